//! Credit accounts, cards and authorisations, persisted as events and run by the billing
//! engine (docs/architecture.md, the credit path).
//!
//! [`CreditService`] keeps every account's [`Engine`] in memory, rebuilt at start-up by
//! replaying its stored events in order, then its days closed through `closed_through`
//! (deterministic). Commands on one account are serialised by its mutex. An authorisation on
//! the day open is applied to the engine in place (every refusal is found before it changes
//! anything: `Engine::receive_in_place`); any other command to a clone of the engine first
//! (a refused command changes and writes nothing). Its event — with the idempotency key and
//! stored answer of an authorisation — and the engine's new ledger accounts and transfers,
//! mirrored to the main ledger with deterministic ids ([`mirror`]), are then made durable in
//! one commit of the ledger's group committer, shared with every other command queued
//! meanwhile ([`writer`]); the clone replaces the engine. Event and mirror are durable together
//! or not at all; a replay at start-up mirrors again whatever the ledger lacks (`exists` for
//! the rest), so nothing is created twice. If the commit fails after an in-place change, the
//! account is rebuilt from its stored events.
//!
//! - `command`: the stored event format. `sql`: the tables on either backend.
//! - `cards`: PAN tokenisation. `view`: what reads answer. `error`: [`CreditError`].
//! - `writer`: a command's rows in the ledger's group commit.

mod bindings;
mod cards;
mod command;
mod error;
mod installments;
pub mod mirror;
mod sql;
mod view;
pub(crate) mod writer;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use cardlife_credit::billing::Bucket;
use cardlife_credit::billing::postings::receivable;
use cardlife_credit::billing::{
    AccountStatus, BillingError, DelinquencyBucket, Engine, Event, PaymentRecord, Product,
    ProductVersions, is_dormant,
};
use cardlife_customers::Pan;
use cardlife_kernel::{Money, round_half_up_to_fen};
use cardlife_ledger::{Account, CreateTransferResult, Transfer, TransferFlags};
use jiff::civil::Date;
use tokio::sync::{Mutex, MutexGuard};
use uuid::Uuid;

pub use cards::CardKeys;
pub use command::StoredEvent;
pub use error::CreditError;
pub use installments::{PurchaseView, SpecialState};
pub use view::{AccountView, AuthorisationView, CardView, StatementLine, StatementView};
pub use writer::KeyRow;

use writer::{Append, Mirrored, Written};

use crate::db::Db;
use crate::durability::Durability;
use crate::idempotency::{Claim, IdempotencyStore};
use crate::ledger::{CreditCommit, LedgerService};

/// Months without a customer transaction after which a zero-balance card is dormant (rule 12).
pub const DORMANT_AFTER_MONTHS: u32 = 18;

/// What opening an account needs (an operator action).
#[derive(Debug)]
pub struct OpenAccount {
    /// The holder (a customer id's UUID).
    pub customer_id: Uuid,
    /// Product parameters over the defaults (docs/domain.md §3), as a JSON object.
    pub product: serde_json::Value,
    /// The permanent credit limit.
    pub credit_limit: Money,
    /// The card number (never stored in the clear).
    pub pan: Pan,
    /// The card's expiry month.
    pub expires_year: i16,
    /// 1–12.
    pub expires_month: i8,
}

/// How a network names the card of an authorisation.
#[derive(Debug)]
pub enum CardRef {
    /// The card number.
    Pan(Pan),
    /// The card id.
    Id(Uuid),
}

/// A request under an `Idempotency-Key`: the key's row is written with the command's event
/// and the answer, in one commit.
#[derive(Debug, Clone)]
pub struct KeyedRequest {
    /// Whose keys these are (the caller and the route).
    pub scope: String,
    /// The key.
    pub key: String,
    /// The hash of the request (route and body).
    pub hash: [u8; 32],
    /// Nanoseconds since the epoch.
    pub created_at_ns: i64,
    /// Whether the command's commit waits for the disk, or a later synced commit of the
    /// caller's, made before it answers anyone, carries it (`crate::durability`).
    pub durability: Durability,
}

/// What a keyed request answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Keyed {
    /// It ran now: the answer stored with it.
    Ran {
        /// The HTTP status.
        status: u16,
        /// The body.
        body: String,
    },
    /// It ran before: the answer stored then.
    Replayed {
        /// The HTTP status.
        status: u16,
        /// The body.
        body: String,
    },
}

/// What applying a command came to.
enum Applied {
    /// Durable, with the answer stored under its key (if it had one), and the ledger's answers
    /// for the transfers that were to go in its commit (`None`: they did not fit the commit and
    /// were not sent).
    Durable(Option<(u16, String)>, Option<Vec<CreateTransferResult>>),
    /// Its key was taken by another request meanwhile: nothing was written or changed.
    KeyTaken,
}

/// Makes a keyed command's answer from the account as the command leaves it.
type Answer<'a> = &'a (dyn Fn(&Live, &Engine) -> Result<(u16, String), CreditError> + Sync);

/// A key held by a request of this process while it runs (dropped: released).
struct InFlight<'a> {
    set: &'a std::sync::Mutex<HashSet<(String, String)>>,
    entry: (String, String),
}

impl<'a> InFlight<'a> {
    fn enter(
        set: &'a std::sync::Mutex<HashSet<(String, String)>>,
        scope: &str,
        key: &str,
    ) -> Result<Self, CreditError> {
        let entry = (scope.to_owned(), key.to_owned());
        let mut held = set
            .lock()
            .map_err(|_| CreditError::Corrupt("in-flight keys lock poisoned".into()))?;
        if !held.insert(entry.clone()) {
            return Err(CreditError::KeyInFlight);
        }
        Ok(Self { set, entry })
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        if let Ok(mut held) = self.set.lock() {
            held.remove(&self.entry);
        }
    }
}

/// One account in memory.
#[derive(Debug)]
struct Live {
    id: Uuid,
    number: u64,
    customer_id: Uuid,
    cash_limit: Money,
    engine: Engine,
    next_seq: i64,
    statements_stored: usize,
    closed_through: Option<Date>,
    /// Ledger changes not yet mirrored (a failed mirror is retried by the next command).
    unsent: (Vec<Account>, Vec<Transfer>),
    /// Authorisations captured or reversed, by hold (the engine forgets them).
    resolved: HashMap<u128, Resolved>,
    /// A command began changing this account and has not finished: its caller stopped waiting
    /// (its future was dropped) somewhere between changing the engine and recording the
    /// outcome. The next command settles it first ([`CreditService::lock`]).
    unsettled: bool,
    /// The commit such a command left queued, if it got that far.
    in_doubt: Option<CreditCommit>,
}

/// What became of an authorisation the engine no longer holds.
#[derive(Debug, Clone, Copy)]
struct Resolved {
    amount: Money,
    captured: Money,
    cash: bool,
    reversed: bool,
}

type Slot = Arc<Mutex<Live>>;

/// The credit accounts of a store. Cheap to clone.
#[derive(Clone, Debug)]
pub struct CreditService {
    db: Db,
    ledger: LedgerService,
    keys: Arc<CardKeys>,
    accounts: Arc<std::sync::RwLock<Registry>>,
    open_lock: Arc<Mutex<()>>,
    in_flight: Arc<std::sync::Mutex<HashSet<(String, String)>>>,
}

#[derive(Debug, Default)]
struct Registry {
    by_id: HashMap<Uuid, Slot>,
    by_number: HashMap<u64, Uuid>,
    /// Card lookup token → account.
    by_lookup: HashMap<Vec<u8>, Uuid>,
    /// Card id → account.
    by_card: HashMap<Uuid, Uuid>,
    /// Account → its last card issued (cards are never removed).
    card_of_account: HashMap<Uuid, Uuid>,
    /// Holder → their accounts as (number, id), in number order: a holder's accounts are found
    /// without visiting (or waiting on) anyone else's.
    by_customer: HashMap<Uuid, Vec<(u64, Uuid)>>,
}

fn date(text: &str) -> Result<Date, CreditError> {
    text.parse()
        .map_err(|e| CreditError::Corrupt(format!("date {text:?}: {e}")))
}

fn uuid(text: &str) -> Result<Uuid, CreditError> {
    Uuid::try_parse(text).map_err(|e| CreditError::Corrupt(format!("id {text:?}: {e}")))
}

/// The product versions stored as `[{"effective_from": null | date, "params": {…}}]`.
fn product_versions(json: &str) -> Result<ProductVersions, CreditError> {
    #[derive(serde::Deserialize)]
    struct Version {
        effective_from: Option<Date>,
        params: serde_json::Value,
    }
    let versions: Vec<Version> =
        serde_json::from_str(json).map_err(|e| CreditError::InvalidProduct(e.to_string()))?;
    let mut out = Vec::new();
    for v in versions {
        let product: Product = serde_json::from_value(v.params)
            .map_err(|e| CreditError::InvalidProduct(e.to_string()))?;
        product.validate()?;
        out.push((v.effective_from, product));
    }
    match out.as_slice() {
        [(None, p)] => Ok(ProductVersions::single(p.clone())),
        _ => {
            let dated = out
                .into_iter()
                .map(|(d, p)| {
                    d.map(|d| (d, p)).ok_or_else(|| {
                        CreditError::InvalidProduct("every later version needs a date".into())
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok(ProductVersions::new(dated)?)
        }
    }
}

fn expiry(text: &str) -> Result<(i16, i8), CreditError> {
    let bad = || CreditError::InvalidCard(format!("expiry {text:?} is not YYYY-MM"));
    let (y, m) = text.split_once('-').ok_or_else(bad)?;
    let year: i16 = y.parse().map_err(|_| bad())?;
    let month: i8 = m.parse().map_err(|_| bad())?;
    if !(1..=12).contains(&month) || y.len() != 4 || m.len() != 2 {
        return Err(bad());
    }
    Ok((year, month))
}

impl CreditService {
    /// Loads every account and replays its events; mirrors anything the main ledger is
    /// missing and stores any statement not yet stored.
    pub async fn start(
        db: &Db,
        ledger: LedgerService,
        keys: CardKeys,
    ) -> Result<Self, CreditError> {
        let me = Self {
            db: db.clone(),
            ledger,
            keys: Arc::new(keys),
            accounts: Arc::new(std::sync::RwLock::new(Registry::default())),
            open_lock: Arc::new(Mutex::new(())),
            in_flight: Arc::new(std::sync::Mutex::new(HashSet::new())),
        };
        for row in sql::accounts(db).await? {
            let live = me.replay(&row).await?;
            me.register(live).await?;
        }
        for (card, account, lookup) in sql::card_index(db).await? {
            me.register_card(uuid(&card)?, uuid(&account)?, lookup)?;
        }
        Ok(me)
    }

    fn register_card(&self, card: Uuid, account: Uuid, lookup: Vec<u8>) -> Result<(), CreditError> {
        let mut reg = self
            .accounts
            .write()
            .map_err(|_| CreditError::Corrupt("registry lock poisoned".into()))?;
        reg.by_lookup.insert(lookup, account);
        reg.by_card.insert(card, account);
        reg.card_of_account.insert(account, card);
        Ok(())
    }

    /// A card of `account` (the last issued), from memory; `None` when it has none. Which of an
    /// account's cards an authorisation names does not matter: it lands on the account.
    pub fn card_of(&self, account: Uuid) -> Result<Option<Uuid>, CreditError> {
        let reg = self
            .accounts
            .read()
            .map_err(|_| CreditError::Corrupt("registry lock poisoned".into()))?;
        Ok(reg.card_of_account.get(&account).copied())
    }

    /// The account of the card named (from memory: no read of the store).
    fn card_account(&self, card: &CardRef) -> Result<Uuid, CreditError> {
        let reg = self
            .accounts
            .read()
            .map_err(|_| CreditError::Corrupt("registry lock poisoned".into()))?;
        match card {
            CardRef::Pan(pan) => reg.by_lookup.get(self.keys.lookup(pan).as_slice()),
            CardRef::Id(id) => reg.by_card.get(id),
        }
        .copied()
        .ok_or(CreditError::CardNotFound)
    }

    /// Rebuilds an account from its stored events (after a command changed its engine in
    /// place and then could not be written).
    async fn rebuild(&self, live: &mut Live) -> Result<(), CreditError> {
        let row = sql::account(&self.db, &live.id.to_string())
            .await?
            .ok_or(CreditError::AccountNotFound)?;
        let mut fresh = self.replay(&row).await?;
        fresh.statements_stored = live.statements_stored;
        *live = fresh;
        Ok(())
    }

    async fn replay(&self, row: &sql::AccountRow) -> Result<Live, CreditError> {
        let versions = product_versions(&row.versions)?;
        let opened = date(&row.opened)?;
        let (year, month) = expiry(&row.card_expires)?;
        let mut engine = Engine::open_versioned(versions, opened, Money::cny(row.credit_limit))?
            .with_card_expiry(year, month)?;
        engine.advance_to(opened)?;
        let mut next_seq = 1;
        let mut resolved = HashMap::new();
        for (seq, day, json) in sql::events(&self.db, &row.id).await? {
            let event: StoredEvent =
                serde_json::from_str(&json).map_err(|e| CreditError::Corrupt(e.to_string()))?;
            let day = date(&day)?;
            engine.advance_to(day)?;
            resolved.extend(resolution(&engine, event));
            engine.receive(&Event {
                date: day,
                kind: event.kind(),
            })?;
            next_seq = seq + 1;
        }
        let closed_through = row.closed_through.as_deref().map(date).transpose()?;
        if let Some(d) = closed_through {
            let next = d
                .tomorrow()
                .map_err(|e| CreditError::Corrupt(e.to_string()))?;
            if engine.today().is_some_and(|t| t < next) {
                engine.advance_to(next)?;
            }
        }
        let number =
            u64::try_from(row.number).map_err(|_| CreditError::Corrupt("number".into()))?;
        Ok(Live {
            id: uuid(&row.id)?,
            number,
            customer_id: uuid(&row.customer_id)?,
            cash_limit: Money::cny(row.cash_limit),
            engine,
            next_seq,
            statements_stored: 0,
            closed_through,
            unsent: (Vec::new(), Vec::new()),
            resolved,
            unsettled: false,
            in_doubt: None,
        })
    }

    async fn register(&self, mut live: Live) -> Result<(), CreditError> {
        self.sync(&mut live).await?;
        let mut reg = self
            .accounts
            .write()
            .map_err(|_| CreditError::Corrupt("registry lock poisoned".into()))?;
        reg.by_number.insert(live.number, live.id);
        let held = reg.by_customer.entry(live.customer_id).or_default();
        if let Err(at) = held.binary_search(&(live.number, live.id)) {
            held.insert(at, (live.number, live.id));
        }
        reg.by_id.insert(live.id, Arc::new(Mutex::new(live)));
        Ok(())
    }

    fn slot(&self, id: Uuid) -> Result<Slot, CreditError> {
        let reg = self
            .accounts
            .read()
            .map_err(|_| CreditError::Corrupt("registry lock poisoned".into()))?;
        reg.by_id
            .get(&id)
            .cloned()
            .ok_or(CreditError::AccountNotFound)
    }

    fn slot_by_number(&self, number: u64) -> Result<Slot, CreditError> {
        let id = {
            let reg = self
                .accounts
                .read()
                .map_err(|_| CreditError::Corrupt("registry lock poisoned".into()))?;
            reg.by_number.get(&number).copied()
        };
        id.map_or(Err(CreditError::AuthorisationNotFound), |id| self.slot(id))
    }

    /// Locks an account, first settling a command whose caller stopped waiting: its queued
    /// commit (if any) is waited for, so the store is final, and the account is rebuilt from it.
    async fn lock<'a>(&self, slot: &'a Slot) -> Result<MutexGuard<'a, Live>, CreditError> {
        let mut live = slot.lock().await;
        if live.unsettled {
            if let Some(mut commit) = live.in_doubt.take() {
                // Its outcome is in the store either way; the rebuild reads it from there.
                let _ = commit.outcome().await;
            }
            self.rebuild(&mut live).await?;
            tracing::warn!(account = %live.id, "settled a credit command its caller abandoned");
        }
        Ok(live)
    }

    /// The ids of `customer_id`'s accounts, in number order (from memory).
    fn ids_of(&self, customer_id: Uuid) -> Result<Vec<Uuid>, CreditError> {
        let reg = self
            .accounts
            .read()
            .map_err(|_| CreditError::Corrupt("registry lock poisoned".into()))?;
        Ok(reg
            .by_customer
            .get(&customer_id)
            .map(|held| held.iter().map(|(_, id)| *id).collect())
            .unwrap_or_default())
    }

    /// Every account id, in number order.
    fn ids(&self) -> Result<Vec<Uuid>, CreditError> {
        let reg = self
            .accounts
            .read()
            .map_err(|_| CreditError::Corrupt("registry lock poisoned".into()))?;
        let mut all: Vec<(u64, Uuid)> = reg.by_number.iter().map(|(n, id)| (*n, *id)).collect();
        all.sort_unstable();
        Ok(all.into_iter().map(|(_, id)| id).collect())
    }

    /// Mirrors the engine's new ledger changes and stores its new statements.
    async fn sync(&self, live: &mut Live) -> Result<(), CreditError> {
        let (accounts, transfers) = live.engine.postings_mut().take_changes();
        live.unsent.0.extend(accounts);
        live.unsent.1.extend(transfers);
        mirror::mirror(&self.ledger, live.number, &live.unsent.0, &live.unsent.1).await?;
        live.unsent = (Vec::new(), Vec::new());
        let cut = live.engine.statements().len();
        let account_id = live.id.to_string();
        for index in live.statements_stored..cut {
            let view = StatementView::of(&live.engine, index)?;
            sql::insert_statement(&self.db, &account_id, &view).await?;
        }
        live.statements_stored = cut;
        Ok(())
    }

    /// Opens an account with its first card on `today`.
    pub async fn open_account(
        &self,
        cmd: OpenAccount,
        today: Date,
    ) -> Result<AccountView, CreditError> {
        let params = cmd.product;
        if !params.is_object() {
            return Err(CreditError::InvalidProduct(
                "product must be a JSON object".into(),
            ));
        }
        let versions =
            serde_json::json!([{ "effective_from": null, "params": params }]).to_string();
        let product_versions = product_versions(&versions)?;
        let product = product_versions.version_on(today).clone();
        let engine = Engine::open_versioned(product_versions, today, cmd.credit_limit)?
            .with_card_expiry(cmd.expires_year, cmd.expires_month)?;
        let exact = rust_decimal::Decimal::from(cmd.credit_limit.fen())
            * Product::fraction(product.cash_limit_pct);
        let cash_limit = Money::cny(round_half_up_to_fen(exact).map_err(BillingError::from)?);
        let lookup = self.keys.lookup(&cmd.pan);
        if sql::card_exists(&self.db, &lookup).await? {
            return Err(CreditError::CardAlreadyIssued);
        }
        let sealed = self.keys.seal(&cmd.pan)?;
        let lookup_token = lookup.to_vec();
        let _guard = self.open_lock.lock().await;
        let number = sql::next_number(&self.db).await?;
        let id = Uuid::now_v7();
        let expires = format!("{:04}-{:02}", cmd.expires_year, cmd.expires_month);
        let row = sql::AccountRow {
            id: id.to_string(),
            number,
            customer_id: cmd.customer_id.to_string(),
            product_id: Uuid::now_v7().to_string(),
            versions,
            opened: today.to_string(),
            credit_limit: cmd.credit_limit.fen(),
            cash_limit: cash_limit.fen(),
            closed_through: None,
            card_expires: expires.clone(),
        };
        let card = sql::CardRow {
            id: Uuid::now_v7().to_string(),
            account_id: row.id.clone(),
            lookup: lookup.to_vec(),
            key_id: i64::from(sealed.key_id.0),
            nonce: sealed.nonce.to_vec(),
            sealed: sealed.ciphertext.clone(),
            first6: cmd.pan.first6().to_owned(),
            last4: cmd.pan.last4().to_owned(),
            expires,
        };
        sql::insert_account(&self.db, &row, &card).await?;
        let mut engine = engine;
        engine.advance_to(today)?;
        let live = Live {
            id,
            number: u64::try_from(number).map_err(|_| CreditError::Corrupt("number".into()))?,
            customer_id: cmd.customer_id,
            cash_limit,
            engine,
            next_seq: 1,
            statements_stored: 0,
            closed_through: None,
            unsent: (Vec::new(), Vec::new()),
            resolved: HashMap::new(),
            unsettled: false,
            in_doubt: None,
        };
        let view = account_view(&live, today)?;
        self.register(live).await?;
        self.register_card(uuid(&card.id)?, id, lookup_token)?;
        Ok(view)
    }

    /// Applies one event to an account on `today` (or the day open for events, if later).
    async fn apply(
        &self,
        live: &mut Live,
        event: StoredEvent,
        today: Date,
    ) -> Result<(), CreditError> {
        self.apply_keyed(live, event, today, None, (Vec::new(), Durability::Synced))
            .await
            .map(|_| ())
    }

    /// Applies one event and appends it durably, with `key`'s row and the answer `key` makes
    /// from the account as the event leaves it (see the module documentation). `also` are
    /// main-ledger transfers to make in the same commit, after the event's own.
    ///
    /// The account is marked unsettled while the command runs; only a command that reaches its
    /// end clears the mark, so one whose future is dropped part-way leaves it for
    /// [`Self::lock`] to settle.
    async fn apply_keyed(
        &self,
        live: &mut Live,
        event: StoredEvent,
        today: Date,
        key: Option<(&KeyedRequest, Answer<'_>)>,
        then: (Vec<Transfer>, Durability),
    ) -> Result<Applied, CreditError> {
        live.unsettled = true;
        let applied = self.apply_unsettled(live, event, today, key, then).await;
        live.unsettled = false;
        applied
    }

    async fn apply_unsettled(
        &self,
        live: &mut Live,
        event: StoredEvent,
        today: Date,
        key: Option<(&KeyedRequest, Answer<'_>)>,
        (also, durability): (Vec<Transfer>, Durability),
    ) -> Result<Applied, CreditError> {
        let day = live.engine.today().map_or(today, |open| open.max(today));
        let json =
            serde_json::to_string(&event).map_err(|e| CreditError::Corrupt(e.to_string()))?;
        let received = Event {
            date: day,
            kind: event.kind(),
        };
        let resolved = resolution(&live.engine, event);
        let in_place = if live.engine.today() == Some(day) {
            live.engine.receive_in_place(&received)
        } else {
            None
        };
        let mut staged = match in_place {
            Some(Ok(())) => None,
            Some(Err(e)) => {
                if !e.refused_unchanged() {
                    self.rebuild(live).await?;
                }
                return Err(e.into());
            }
            None => {
                let mut next = live.engine.clone();
                next.advance_to(day)?;
                next.receive(&received)?;
                Some(next)
            }
        };
        let mut answer = None;
        let mut key_row = None;
        if let Some((request, make)) = key {
            let made = make(live, staged.as_ref().unwrap_or(&live.engine));
            let (status, response) = match made {
                Ok(a) => a,
                Err(e) => {
                    if staged.is_none() {
                        self.rebuild(live).await?;
                    }
                    return Err(e);
                }
            };
            key_row = Some(KeyRow {
                scope: request.scope.clone(),
                key: request.key.clone(),
                hash: request.hash.to_vec(),
                created_at_ns: request.created_at_ns,
                status,
                response: response.clone(),
            });
            answer = Some((status, response));
        }
        let append = Append {
            account_id: live.id.to_string(),
            seq: live.next_seq,
            day: day.to_string(),
            event: json,
            key: key_row,
        };
        // The ledger changes the event implies, with any a failed mirror left: they go in the
        // event's commit when they fit one, else on their own once the event is durable.
        let (new_accounts, new_transfers) = match staged.as_mut() {
            Some(next) => next.postings_mut().take_changes(),
            None => live.engine.postings_mut().take_changes(),
        };
        let mut accounts = live.unsent.0.clone();
        accounts.extend(new_accounts);
        let mut transfers = live.unsent.1.clone();
        transfers.extend(new_transfers);
        let carried = accounts.len() <= cardlife_ledger::BATCH_MAX
            && transfers.len().saturating_add(also.len()) <= cardlife_ledger::BATCH_MAX;
        let (main_accounts, mut main_transfers) = if carried {
            mirror::to_main(live.number, &accounts, &transfers)
        } else {
            (Vec::new(), Vec::new())
        };
        // The event's own transfers first: what `also` takes from an account the event pays in.
        let own = main_transfers.len();
        if carried {
            main_transfers.extend(also);
        }
        let sent = self
            .ledger
            .send_credit(Mirrored {
                append,
                accounts: main_accounts,
                transfers: main_transfers,
                durability,
            })
            .await;
        let committed = match sent {
            Ok(commit) => {
                let outcome = live.in_doubt.insert(commit).outcome().await;
                live.in_doubt = None;
                outcome
            }
            Err(e) => Err(e),
        }
        .map_err(|e| CreditError::WriteFailed(e.to_string()));
        match committed.map(|o| (o.written, o)) {
            Ok((Written::Durable, mut outcome)) => {
                let also_results = carried.then(|| {
                    outcome
                        .transfers
                        .split_off(own.min(outcome.transfers.len()))
                });
                if let Some(next) = staged {
                    live.engine = next;
                }
                live.resolved.extend(resolved);
                live.next_seq += 1;
                let mirrored = if carried {
                    mirror::check(&outcome)
                } else {
                    Ok(())
                };
                // Anything not taken is submitted again now, or by the next command.
                live.unsent = if carried && mirrored.is_ok() {
                    (Vec::new(), Vec::new())
                } else {
                    (accounts, transfers)
                };
                mirrored?;
                self.sync(live).await?;
                Ok(Applied::Durable(answer, also_results))
            }
            Ok((Written::KeyTaken, _)) => {
                if staged.is_none() {
                    self.rebuild(live).await?;
                }
                Ok(Applied::KeyTaken)
            }
            Err(e) => {
                if staged.is_none() {
                    self.rebuild(live).await?;
                }
                Err(e)
            }
        }
    }

    fn owned(live: &Live, customer_id: Option<Uuid>) -> Result<(), CreditError> {
        match customer_id {
            Some(c) if c != live.customer_id => Err(CreditError::AccountNotFound),
            _ => Ok(()),
        }
    }

    /// An account, as of `today`; `customer_id` scopes it to its holder (`None`: an operator).
    pub async fn account(
        &self,
        id: Uuid,
        customer_id: Option<Uuid>,
        today: Date,
    ) -> Result<AccountView, CreditError> {
        let slot = self.slot(id)?;
        let live = self.lock(&slot).await?;
        Self::owned(&live, customer_id)?;
        account_view(&live, today)
    }

    /// How the holder has paid on an account as of `today` (what an offer weighs); another
    /// holder's account answers not found.
    pub async fn payment_record(
        &self,
        id: Uuid,
        customer_id: Uuid,
        today: Date,
    ) -> Result<PaymentRecord, CreditError> {
        let slot = self.slot(id)?;
        let live = self.lock(&slot).await?;
        Self::owned(&live, Some(customer_id))?;
        let as_of = live.engine.today().map_or(today, |open| open.max(today));
        Ok(live.engine.payment_record(as_of)?)
    }

    /// The holder's accounts.
    pub async fn accounts_of(
        &self,
        customer_id: Uuid,
        today: Date,
    ) -> Result<Vec<AccountView>, CreditError> {
        let mut out = Vec::new();
        for id in self.ids_of(customer_id)? {
            let slot = self.slot(id)?;
            let live = self.lock(&slot).await?;
            if live.customer_id == customer_id {
                out.push(account_view(&live, today)?);
            }
        }
        Ok(out)
    }

    /// The holder's cards on an account, masked.
    pub async fn cards(&self, id: Uuid, customer_id: Uuid) -> Result<Vec<CardView>, CreditError> {
        self.exists_for(id, customer_id).await?;
        sql::cards(&self.db, &id.to_string(), &customer_id.to_string())
            .await?
            .into_iter()
            .map(|c| {
                Ok(CardView {
                    id: uuid(&c.id)?,
                    account_id: uuid(&c.account_id)?,
                    first6: c.first6,
                    last4: c.last4,
                    expires: c.expires,
                })
            })
            .collect()
    }

    async fn exists_for(&self, id: Uuid, customer_id: Uuid) -> Result<(), CreditError> {
        let slot = self.slot(id)?;
        let live = self.lock(&slot).await?;
        Self::owned(&live, Some(customer_id))
    }

    /// The holder's statements, newest first.
    pub async fn statements(
        &self,
        id: Uuid,
        customer_id: Uuid,
    ) -> Result<Vec<StatementView>, CreditError> {
        self.exists_for(id, customer_id).await?;
        sql::statements(&self.db, &id.to_string(), &customer_id.to_string()).await
    }

    /// One of the holder's statements, with its lines.
    pub async fn statement(
        &self,
        id: Uuid,
        customer_id: Uuid,
        date: Date,
    ) -> Result<StatementView, CreditError> {
        self.exists_for(id, customer_id).await?;
        sql::statement(
            &self.db,
            &id.to_string(),
            &customer_id.to_string(),
            &date.to_string(),
        )
        .await?
        .ok_or(CreditError::StatementNotFound)
    }

    /// A holder's command on an account: a repayment, a cash advance (急用钱), ….
    pub async fn holder_command(
        &self,
        id: Uuid,
        customer_id: Option<Uuid>,
        event: StoredEvent,
        today: Date,
    ) -> Result<AccountView, CreditError> {
        let slot = self.slot(id)?;
        let mut live = self.lock(&slot).await?;
        Self::owned(&live, customer_id)?;
        self.apply(&mut live, event, today).await?;
        account_view(&live, today)
    }

    /// An authorisation from the network on the card named.
    pub async fn authorise(
        &self,
        card: CardRef,
        amount: Money,
        cash: bool,
        today: Date,
    ) -> Result<AuthorisationView, CreditError> {
        let slot = self.slot(self.card_account(&card)?)?;
        let mut live = self.lock(&slot).await?;
        let amount_fen = amount.fen();
        self.apply(
            &mut live,
            StoredEvent::Authorise { amount_fen, cash },
            today,
        )
        .await?;
        pending_view(&live, &live.engine, amount, cash)
    }

    /// An authorisation under an `Idempotency-Key`, answered by `answer`: the key, the event
    /// and the answer are written in one commit (shared with other accounts' commands). A
    /// retry of the same request gets the stored answer; the same key with another request
    /// [`CreditError::KeyReused`]; a duplicate while the first runs [`CreditError::KeyInFlight`].
    /// A decline writes nothing, the key included.
    ///
    /// The key is not read first: nearly every request's key is new, and the commit claims it
    /// (a key already taken writes nothing of the command). Only an attempt that did not run
    /// reads what the key holds, so a retry gets its stored answer even when the attempt made
    /// now would decline.
    pub async fn authorise_keyed(
        &self,
        card: CardRef,
        amount: Money,
        cash: bool,
        today: Date,
        request: &KeyedRequest,
        answer: &(dyn Fn(&AuthorisationView) -> (u16, String) + Sync),
    ) -> Result<Keyed, CreditError> {
        let _held = InFlight::enter(&self.in_flight, &request.scope, &request.key)?;
        // The attempt, its key not read: `None` when the commit found the key taken.
        let attempt: Result<Option<Keyed>, CreditError> = async {
            let slot = self.slot(self.card_account(&card)?)?;
            let mut live = self.lock(&slot).await?;
            let amount_fen = amount.fen();
            let make = |live: &Live, engine: &Engine| {
                Ok(answer(&pending_view(live, engine, amount, cash)?))
            };
            let applied = self
                .apply_keyed(
                    &mut live,
                    StoredEvent::Authorise { amount_fen, cash },
                    today,
                    Some((request, &make)),
                    (Vec::new(), request.durability),
                )
                .await?;
            match applied {
                Applied::Durable(Some((status, body)), _) => Ok(Some(Keyed::Ran { status, body })),
                Applied::Durable(None, _) => Err(CreditError::Corrupt(
                    "a keyed command without its answer".into(),
                )),
                Applied::KeyTaken => Ok(None),
            }
        }
        .await;
        match attempt {
            Ok(Some(ran)) => Ok(ran),
            Ok(None) => self
                .stored(request)
                .await?
                .unwrap_or(Err(CreditError::KeyInFlight)),
            Err(refused) => match self.stored(request).await {
                Ok(Some(found)) => found,
                Ok(None) | Err(_) => Err(refused),
            },
        }
    }

    /// What the idempotency table holds for a keyed request, as its answer (`None`: free).
    async fn stored(
        &self,
        request: &KeyedRequest,
    ) -> Result<Option<Result<Keyed, CreditError>>, CreditError> {
        let claim = IdempotencyStore::new(self.db.clone())
            .peek(&request.scope, &request.key, &request.hash)
            .await?;
        Ok(claim.map(|c| match c {
            Claim::Done { status, response } => Ok(Keyed::Replayed {
                status,
                body: response,
            }),
            Claim::Mismatch => Err(CreditError::KeyReused),
            Claim::InFlight | Claim::Claimed => Err(CreditError::KeyInFlight),
        }))
    }

    fn auth_slot(&self, id: u128) -> Result<(Slot, u128), CreditError> {
        let (number, hold) = mirror::split_id(id).ok_or(CreditError::AuthorisationNotFound)?;
        Ok((self.slot_by_number(number)?, hold))
    }

    /// The account (id and ledger number) an authorisation was placed on, whatever became of
    /// it (card payments refund to the account that paid: docs/merchants.md).
    pub fn account_of_authorisation(&self, id: u128) -> Result<(Uuid, u64), CreditError> {
        let (number, _) = mirror::split_id(id).ok_or(CreditError::AuthorisationNotFound)?;
        let reg = self
            .accounts
            .read()
            .map_err(|_| CreditError::Corrupt("registry lock poisoned".into()))?;
        reg.by_number
            .get(&number)
            .map(|id| (*id, number))
            .ok_or(CreditError::AuthorisationNotFound)
    }

    /// The installment plans of one of the holder's accounts, in booking order.
    pub async fn installments(
        &self,
        id: Uuid,
        customer_id: Uuid,
    ) -> Result<Vec<cardlife_credit::billing::Plan>, CreditError> {
        let slot = self.slot(id)?;
        let live = self.lock(&slot).await?;
        Self::owned(&live, Some(customer_id))?;
        Ok(live.engine.plans().to_vec())
    }

    /// An authorisation by id.
    pub async fn authorisation(&self, id: u128) -> Result<AuthorisationView, CreditError> {
        let (slot, hold) = self.auth_slot(id)?;
        let live = self.lock(&slot).await?;
        authorisation_view(&live, id, hold)
    }

    /// Captures `amount` (at most what is held) of an authorisation.
    pub async fn capture(
        &self,
        id: u128,
        amount: Money,
        today: Date,
    ) -> Result<AuthorisationView, CreditError> {
        let (view, _) = self
            .capture_then(id, amount, today, Vec::new(), Durability::Synced)
            .await?;
        Ok(view)
    }

    /// Captures an authorisation and makes `then` (main-ledger transfers, such as moving the
    /// purchase on from the card's merchant clearing) in the same durable commit, after the
    /// capture's own postings. Returns the ledger's answers for `then`, or `None` when they did
    /// not fit the commit and were not sent (the caller makes them on their own).
    /// `durability` says whether the commit waits for the disk or a later synced commit of the
    /// caller's carries it (`crate::durability`).
    pub async fn capture_then(
        &self,
        id: u128,
        amount: Money,
        today: Date,
        then: Vec<Transfer>,
        durability: Durability,
    ) -> Result<(AuthorisationView, Option<Vec<CreateTransferResult>>), CreditError> {
        let (slot, hold) = self.auth_slot(id)?;
        let mut live = self.lock(&slot).await?;
        authorisation_view(&live, id, hold)?;
        let hold64 = u64::try_from(hold).map_err(|_| CreditError::AuthorisationNotFound)?;
        let event = StoredEvent::Capture {
            hold: hold64,
            amount_fen: amount.fen(),
        };
        let applied = self
            .apply_keyed(&mut live, event, today, None, (then, durability))
            .await?;
        let results = match applied {
            Applied::Durable(_, results) => results,
            Applied::KeyTaken => None,
        };
        Ok((authorisation_view(&live, id, hold)?, results))
    }

    /// Reverses (voids) an authorisation.
    pub async fn reverse(&self, id: u128, today: Date) -> Result<AuthorisationView, CreditError> {
        let (slot, hold) = self.auth_slot(id)?;
        let mut live = self.lock(&slot).await?;
        authorisation_view(&live, id, hold)?;
        let hold64 = u64::try_from(hold).map_err(|_| CreditError::AuthorisationNotFound)?;
        self.apply(&mut live, StoredEvent::Reverse { hold: hold64 }, today)
            .await?;
        authorisation_view(&live, id, hold)
    }

    /// Closes every day before `today` not yet closed, on every account: posting, late fees,
    /// interest, the paid-in-full test, statements, expiries. Returns the days closed.
    pub async fn close_days_through(&self, last: Date) -> Result<usize, CreditError> {
        let mut closed = 0;
        for id in self.ids()? {
            let slot = self.slot(id)?;
            let mut live = self.lock(&slot).await?;
            let next = last
                .tomorrow()
                .map_err(|e| CreditError::Corrupt(e.to_string()))?;
            let open = live.engine.today().unwrap_or_else(|| live.engine.opened());
            if open >= next {
                continue;
            }
            let mut engine = live.engine.clone();
            engine.advance_to(next)?;
            let days = open.until(next).map(|s| s.get_days()).unwrap_or(0);
            closed += usize::try_from(days).unwrap_or(0);
            sql::set_closed_through(&self.db, &live.id.to_string(), &last.to_string()).await?;
            live.engine = engine;
            live.closed_through = Some(last);
            self.sync(&mut live).await?;
        }
        Ok(closed)
    }
}

/// Before an event is received: what a capture or reversal resolves, for reads of the
/// authorisation afterwards (the engine forgets an authorisation once it posts).
fn resolution(engine: &Engine, event: StoredEvent) -> Option<(u128, Resolved)> {
    let (hold, captured, reversed) = match event {
        StoredEvent::Capture { hold, amount_fen } => (hold, Money::cny(amount_fen), false),
        StoredEvent::Reverse { hold } => (hold, Money::cny(0), true),
        _ => return None,
    };
    let a = engine
        .authorisations()
        .find(|a| a.hold == u128::from(hold))?;
    Some((
        a.hold,
        Resolved {
            amount: a.amount,
            captured,
            cash: a.cash,
            reversed,
        },
    ))
}

/// The answer to an authorisation just placed on `engine` (the account's, as it will be).
fn pending_view(
    live: &Live,
    engine: &Engine,
    amount: Money,
    cash: bool,
) -> Result<AuthorisationView, CreditError> {
    let hold = engine
        .last_hold()
        .ok_or_else(|| CreditError::Corrupt("an authorisation without a hold".into()))?;
    Ok(AuthorisationView {
        id: mirror::global_id(live.number, hold),
        account_id: live.id,
        amount,
        cash,
        status: "pending",
        captured: Money::cny(0),
    })
}

fn authorisation_view(live: &Live, id: u128, hold: u128) -> Result<AuthorisationView, CreditError> {
    if let Some(a) = live.engine.authorisations().find(|a| a.hold == hold) {
        return Ok(AuthorisationView {
            id,
            account_id: live.id,
            amount: a.amount,
            cash: a.cash,
            status: "pending",
            captured: Money::cny(0),
        });
    }
    let Some(&Resolved {
        amount,
        captured,
        cash,
        reversed,
    }) = live.resolved.get(&hold)
    else {
        return expired_view(live, id, hold);
    };
    Ok(AuthorisationView {
        id,
        account_id: live.id,
        amount,
        cash,
        status: if reversed { "reversed" } else { "captured" },
        captured,
    })
}

/// An authorisation neither pending nor captured nor reversed: its hold, if the card's
/// ledger has it, expired (the engine voids holds past the product's expiry).
fn expired_view(live: &Live, id: u128, hold: u128) -> Result<AuthorisationView, CreditError> {
    let t = live
        .engine
        .postings()
        .ledger()
        .transfer(hold)
        .filter(|t| t.flags.contains(TransferFlags::PENDING))
        .ok_or(CreditError::AuthorisationNotFound)?;
    let amount = i64::try_from(t.amount).map_err(|_| CreditError::Corrupt("amount".into()))?;
    Ok(AuthorisationView {
        id,
        account_id: live.id,
        amount: Money::cny(amount),
        cash: t.debit_account_id == receivable(Bucket::Cash),
        status: "expired",
        captured: Money::cny(0),
    })
}

fn account_view(live: &Live, today: Date) -> Result<AccountView, CreditError> {
    let engine = &live.engine;
    let as_of = engine.today().map_or(today, |open| open.max(today));
    let s = engine.summary(as_of)?;
    let dormant = is_dormant(&engine.dormancy_facts()?, as_of, DORMANT_AFTER_MONTHS)?;
    Ok(AccountView {
        id: live.id,
        customer_id: live.customer_id,
        opened: engine.opened(),
        as_of,
        status: match s.status {
            AccountStatus::Active => "active",
            AccountStatus::Frozen => "frozen",
            AccountStatus::Closed => "closed",
        },
        credit_limit: engine.credit_limit(),
        temp_limit: s.temp_limit,
        cash_limit: live.cash_limit,
        balance: s.balance,
        available_credit: s.available_credit,
        pending: s.pending,
        days_past_due: s.days_past_due,
        delinquency: DelinquencyBucket::of(s.days_past_due).label(),
        dormant,
        statement_day: engine.product().statement_day,
    })
}

/// Rows of every credit table (products, accounts, cards, events, statements).
pub async fn row_counts(db: &Db) -> Result<[i64; 5], CreditError> {
    sql::row_counts(db).await
}
