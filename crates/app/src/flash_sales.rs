//! Flash sales (docs/rewards.md): scheduling a sale, and claims decided by one in-process
//! sequencer per sale with group commit.
//!
//! Every claim of a sale that may win goes through one writer task (the *sequencer*), which
//! keeps what is durable about the sale in memory. What that memory alone settles (a replayed
//! key, outside the window, the customer's limit reached, sold out — all monotonic, and memory
//! changes only after a commit, so never wrong) is answered by the caller's own task without
//! queueing: once a sale is sold out, a claim costs no trip through the writer. The writer takes
//! every queued claim at once (up to [`CLAIM_BATCH_MAX`]), settles again what memory now
//! settles, and commits the rest in **one** transaction that locks the sale's row and decides
//! them from the database's own figures. Nobody is answered before the batch
//! holding their decision is durable, refusals included (a refusal decided after a win waits for
//! that win's commit). The batch's answers wait for the disk in a task of their own
//! (`cardlife_store::log_sync`): the writer decides and writes the next batch meanwhile, and
//! memory learns a batch only once it is on disk. Memory is rebuilt from the store when a sale's
//! sequencer starts — when the sale is scheduled, or as a process starts
//! ([`App::arm_flash_sales`]), so its first claims do not wait for it — and on PostgreSQL the
//! locked row makes processes sharing one database agree.
//!
//! A win reserves one unit for its winner at the sale's price: an order to pay later (the claim
//! row is the reservation; no money moves until it is paid). The `Idempotency-Key` is scoped to
//! (sale, customer): the same key again answers the same win, marked `replayed`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use cardlife_kernel::{CustomerId, Money, SharedClock};
use cardlife_rewards::flash_sale::{FlashSale, FlashSaleTerms};
use cardlife_store::log_sync::Unsynced;
use cardlife_store::rewards::flash_sale::{
    ClaimRecord, ClaimsConnection, FlashSaleRecord, FlashSaleStore,
};
use jiff::Timestamp;
use tokio::sync::{mpsc, oneshot};

pub use cardlife_rewards::RewardsError;
pub use cardlife_rewards::ids::FlashSaleId;
pub use cardlife_store::rewards::flash_sale::SaleAudit;

use crate::{App, AppError, Missing};

/// Most claims one commit decides.
pub const CLAIM_BATCH_MAX: usize = 8_192;
/// Claims queued per sale before callers wait for room.
pub const CLAIM_QUEUE_MAX: usize = 65_536;
/// How long a sale's writer keeps its own store connection with no claims to commit.
pub const WRITER_IDLE: std::time::Duration = std::time::Duration::from_secs(10);
/// The largest stock a sale may have.
pub const STOCK_MAX: u32 = 10_000_000;
/// The longest item reference, in bytes.
pub const ITEM_LEN_MAX: usize = 200;
/// The longest `Idempotency-Key`, in bytes.
pub const IDEMPOTENCY_KEY_LEN_MAX: usize = 200;
/// Most sales [`App::visible_flash_sales`] lists.
pub const VISIBLE_SALES_MAX: u32 = 50;

/// A sale to schedule.
#[derive(Debug, Clone)]
pub struct NewFlashSale {
    /// What is sold (an item or voucher reference).
    pub item: String,
    /// Units for sale (1..=[`STOCK_MAX`]).
    pub stock: u32,
    /// Most units one customer may win (≥ 1).
    pub per_user_limit: u32,
    /// What a winner pays (≥ 0).
    pub price: Money,
    /// First instant claims are accepted.
    pub starts_at: Timestamp,
    /// First instant claims are refused again (after `starts_at`).
    pub ends_at: Timestamp,
}

/// A sale as callers see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlashSaleView {
    /// The sale.
    pub id: FlashSaleId,
    /// What is sold.
    pub item: String,
    /// Units for sale.
    pub stock: u32,
    /// Units not yet won (durable figure).
    pub remaining: u32,
    /// Most units one customer may win.
    pub per_user_limit: u32,
    /// What a winner pays.
    pub price: Money,
    /// First instant claims are accepted.
    pub starts_at: Timestamp,
    /// First instant claims are refused again.
    pub ends_at: Timestamp,
}

/// A won claim: one unit reserved for the customer, to be paid at `price`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimView {
    /// The sale.
    pub sale: FlashSaleId,
    /// Position among all winners, from 1.
    pub seq: u32,
    /// The customer's own count of wins, from 1.
    pub nth: u32,
    /// What the customer pays for it.
    pub price: Money,
    /// When it was decided.
    pub claimed_at: Timestamp,
    /// The same `Idempotency-Key` was answered before: this is that answer again.
    pub replayed: bool,
}

/// The sequencers of the sales claimed so far in this process.
#[derive(Debug, Default)]
pub(crate) struct Sequencers {
    running: Mutex<HashMap<FlashSaleId, Sequencer>>,
    starting: tokio::sync::Mutex<()>,
}

/// A running sequencer: its queue, and what it knows to be durable (read by callers too, so what
/// memory settles is answered without queueing).
#[derive(Debug, Clone)]
struct Sequencer {
    queue: mpsc::Sender<ClaimRequest>,
    known: Arc<Known>,
}

#[derive(Debug)]
struct ClaimRequest {
    customer: CustomerId,
    key: Option<String>,
    reply: Reply,
}

/// Where a claim's answer goes.
type Reply = oneshot::Sender<Result<ClaimView, AppError>>;

fn record_of(id: FlashSaleId, new: &NewFlashSale) -> FlashSaleRecord {
    FlashSaleRecord {
        id: id.as_uuid(),
        item: new.item.clone(),
        stock: new.stock,
        remaining: new.stock,
        per_user_limit: new.per_user_limit,
        price_fen: new.price.fen(),
        currency: new.price.currency().code().to_owned(),
        starts_at: new.starts_at,
        ends_at: new.ends_at,
    }
}

fn view_of(r: FlashSaleRecord) -> Result<FlashSaleView, AppError> {
    let currency = cardlife_kernel::Currency::from_code(&r.currency).ok_or_else(|| {
        AppError::Storage(cardlife_store::StoreError::Corrupt("flash sale currency"))
    })?;
    Ok(FlashSaleView {
        id: FlashSaleId::from_uuid(r.id),
        item: r.item,
        stock: r.stock,
        remaining: r.remaining,
        per_user_limit: r.per_user_limit,
        price: Money::new(r.price_fen, currency),
        starts_at: r.starts_at,
        ends_at: r.ends_at,
    })
}

fn terms_of(v: &FlashSaleView) -> FlashSaleTerms {
    FlashSaleTerms {
        id: v.id,
        stock: v.stock,
        per_user_limit: v.per_user_limit,
        starts_at: v.starts_at,
        ends_at: v.ends_at,
    }
}

fn invalid(reason: &'static str) -> AppError {
    AppError::Rewards(RewardsError::InvalidConfig { reason })
}

impl App {
    fn flash_store(&self) -> FlashSaleStore {
        FlashSaleStore::new(self.db().clone())
    }

    /// Schedules a sale with nothing sold. Bad terms answer `InvalidConfig` and write nothing.
    pub async fn schedule_flash_sale(&self, new: NewFlashSale) -> Result<FlashSaleView, AppError> {
        let item = new.item.trim();
        if item.is_empty() || item.len() > ITEM_LEN_MAX {
            return Err(invalid("a flash sale's item is 1 to 200 bytes"));
        }
        if new.stock == 0 || new.stock > STOCK_MAX {
            return Err(invalid("a flash sale's stock is 1 to 10,000,000"));
        }
        if new.price.is_negative() {
            return Err(invalid("a flash sale's price cannot be negative"));
        }
        let id = FlashSaleId::generate();
        let record = record_of(id, &new);
        let view = view_of(record.clone())?;
        FlashSale::new(terms_of(&view)).map_err(AppError::Rewards)?;
        if !self
            .flash_store()
            .insert(&record, self.clock().now())
            .await?
        {
            return Err(invalid("a flash sale with this id exists"));
        }
        self.sequencer(id).await?;
        Ok(view)
    }

    /// Starts the sequencer of every sale not yet ended (at most [`VISIBLE_SALES_MAX`]), so
    /// that no sale's opening claims wait for theirs to load; a process runs this as it starts
    /// ([`Self::schedule_flash_sale`] does it for the sale it schedules). Returns how many.
    pub async fn arm_flash_sales(&self) -> Result<usize, AppError> {
        let sales = self
            .flash_store()
            .not_ended(self.clock().now(), VISIBLE_SALES_MAX)
            .await?;
        for sale in &sales {
            self.sequencer(FlashSaleId::from_uuid(sale.id)).await?;
        }
        Ok(sales.len())
    }

    /// The sales whose sequencer runs in this process (armed), in no order.
    pub fn armed_flash_sales(&self) -> Vec<FlashSaleId> {
        let map = self
            .sequencers()
            .running
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        map.iter()
            .filter(|(_, s)| s.runs())
            .map(|(id, _)| *id)
            .collect()
    }

    /// A sale by id, with its durable remaining stock.
    pub async fn flash_sale(&self, id: FlashSaleId) -> Result<FlashSaleView, AppError> {
        let record = self
            .flash_store()
            .sale(id.as_uuid())
            .await?
            .ok_or(AppError::NotFound(Missing::FlashSale))?;
        view_of(record)
    }

    /// The sales a cardholder can see: on sale now or upcoming (not ended), most recently
    /// scheduled first, at most [`VISIBLE_SALES_MAX`].
    pub async fn visible_flash_sales(&self) -> Result<Vec<FlashSaleView>, AppError> {
        self.flash_store()
            .not_ended(self.clock().now(), VISIBLE_SALES_MAX)
            .await?
            .into_iter()
            .map(view_of)
            .collect()
    }

    /// Claims one unit of `sale` for `customer`, answered once the decision is durable.
    /// Refusals: `SaleNotStarted`/`SaleEnded`, `AlreadyClaimed`, `StockExhausted`; an unknown
    /// sale is `NotFound`.
    pub async fn claim_flash_sale(
        &self,
        sale: FlashSaleId,
        customer: CustomerId,
        idempotency_key: Option<String>,
    ) -> Result<ClaimView, AppError> {
        if idempotency_key
            .as_ref()
            .is_some_and(|k| k.is_empty() || k.len() > IDEMPOTENCY_KEY_LEN_MAX)
        {
            return Err(invalid("an Idempotency-Key is 1 to 200 bytes"));
        }
        let sequencer = self.sequencer(sale).await?;
        // What durable memory settles (a replayed key, the window, the customer's limit, sold
        // out) is answered here; only a claim that may win waits for the writer.
        if let Some(answer) =
            sequencer
                .known
                .settle(customer, idempotency_key.as_deref(), self.clock().now())
        {
            return answer;
        }
        let (reply, answer) = oneshot::channel();
        let request = ClaimRequest {
            customer,
            key: idempotency_key,
            reply,
        };
        sequencer
            .queue
            .send(request)
            .await
            .map_err(|_| AppError::Unavailable)?;
        answer.await.map_err(|_| AppError::Unavailable)?
    }

    /// What the tables say about a sale's claims, for checks after a run.
    pub async fn flash_sale_audit(&self, sale: FlashSaleId) -> Result<SaleAudit, AppError> {
        self.flash_store()
            .audit(sale.as_uuid())
            .await?
            .ok_or(AppError::NotFound(Missing::FlashSale))
    }

    /// `sale`'s sequencer, starting it (from the store) on first use.
    async fn sequencer(&self, sale: FlashSaleId) -> Result<Sequencer, AppError> {
        let sequencers = self.sequencers();
        if let Some(tx) = running(sequencers, sale) {
            return Ok(tx);
        }
        let _starting = sequencers.starting.lock().await;
        if let Some(tx) = running(sequencers, sale) {
            return Ok(tx);
        }
        let view = self.flash_sale(sale).await?;
        let store = self.flash_store();
        let state = Memory::load(&store, &view).await?;
        let (tx, rx) = mpsc::channel(CLAIM_QUEUE_MAX);
        let known = Arc::new(Known {
            terms: terms_of(&view),
            price: view.price,
            memory: Mutex::new(state),
        });
        let writer = Writer {
            store,
            conn: ClaimsConnection::default(),
            clock: self.clock().clone(),
            known: known.clone(),
        };
        tokio::spawn(writer.run(rx));
        let sequencer = Sequencer { queue: tx, known };
        sequencers
            .running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(sale, sequencer.clone());
        Ok(sequencer)
    }
}

impl Sequencer {
    /// Whether its writer still takes claims (a writer that stopped closed its queue).
    fn runs(&self) -> bool {
        !self.queue.is_closed()
    }
}

fn running(s: &Sequencers, sale: FlashSaleId) -> Option<Sequencer> {
    let map = s.running.lock().unwrap_or_else(|p| p.into_inner());
    map.get(&sale).filter(|q| q.runs()).cloned()
}

/// What the sequencer knows: a lower bound of what is durable (exact on the embedded store,
/// where this process is the only writer).
#[derive(Debug)]
struct Memory {
    sold: u32,
    won: HashMap<CustomerId, Vec<ClaimRecord>>,
}

impl Memory {
    async fn load(store: &FlashSaleStore, view: &FlashSaleView) -> Result<Self, AppError> {
        let claims = store.claims(view.id.as_uuid()).await?;
        // Replaying the durable winners through the domain sequencer checks them once more.
        let tickets: Vec<_> = claims
            .iter()
            .map(|c| cardlife_rewards::flash_sale::ClaimTicket {
                sale: view.id,
                user: c.customer,
                seq: c.seq,
                nth_for_user: c.nth,
                at: c.claimed_at,
            })
            .collect();
        let replayed = FlashSale::replay(terms_of(view), &tickets).map_err(|_| {
            AppError::Storage(cardlife_store::StoreError::Corrupt("flash sale claims"))
        })?;
        let mut won: HashMap<CustomerId, Vec<ClaimRecord>> = HashMap::new();
        for c in claims {
            won.entry(c.customer).or_default().push(c);
        }
        Ok(Self {
            sold: replayed.sold(),
            won,
        })
    }

    fn won_by(&self, c: CustomerId) -> u32 {
        self.won
            .get(&c)
            .map_or(0, |v| u32::try_from(v.len()).unwrap_or(u32::MAX))
    }

    fn by_key(&self, c: CustomerId, key: Option<&str>) -> Option<&ClaimRecord> {
        let key = key?;
        self.won
            .get(&c)?
            .iter()
            .find(|r| r.idempotency_key.as_deref() == Some(key))
    }

    fn remember(&mut self, claim: ClaimRecord) {
        let list = self.won.entry(claim.customer).or_default();
        if !list.iter().any(|r| r.seq == claim.seq) {
            list.push(claim);
        }
    }
}

/// A sale's terms and what its writer knows to be durable. Memory changes only once a commit is
/// on disk, so whatever it settles is final: callers may read it without queueing.
#[derive(Debug)]
struct Known {
    terms: FlashSaleTerms,
    price: Money,
    memory: Mutex<Memory>,
}

impl Known {
    fn memory(&self) -> std::sync::MutexGuard<'_, Memory> {
        self.memory.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn view(&self, c: &ClaimRecord, replayed: bool) -> ClaimView {
        ClaimView {
            sale: self.terms.id,
            seq: c.seq,
            nth: c.nth,
            price: self.price,
            claimed_at: c.claimed_at,
            replayed,
        }
    }

    /// What memory alone settles: a replayed key, outside the window, the limit, sold out.
    fn settle(
        &self,
        customer: CustomerId,
        key: Option<&str>,
        now: Timestamp,
    ) -> Option<Result<ClaimView, AppError>> {
        let memory = self.memory();
        if let Some(c) = memory.by_key(customer, key) {
            return Some(Ok(self.view(c, true)));
        }
        let t = &self.terms;
        let refusal = if now < t.starts_at {
            RewardsError::SaleNotStarted {
                starts_at: t.starts_at,
            }
        } else if now >= t.ends_at {
            RewardsError::SaleEnded { ends_at: t.ends_at }
        } else if memory.won_by(customer) >= t.per_user_limit {
            RewardsError::AlreadyClaimed {
                limit: t.per_user_limit,
            }
        } else if memory.sold >= t.stock {
            RewardsError::StockExhausted
        } else {
            return None;
        };
        Some(Err(AppError::Rewards(refusal)))
    }
}

/// The single writer of one sale.
struct Writer {
    store: FlashSaleStore,
    /// Its own connection on the embedded store, kept while claims keep coming.
    conn: ClaimsConnection,
    clock: SharedClock,
    known: Arc<Known>,
}

/// A batch written, its answers held until the disk has it.
struct Written {
    /// The winners, once the commit is on disk.
    winners: Unsynced<Vec<ClaimRecord>>,
    /// Units sold after the batch, by the database's figures.
    sold: Option<u32>,
    /// Other customers' claims the batch read (to answer a replayed key), for memory.
    read: Vec<ClaimRecord>,
    /// Each candidate's answer, in order.
    answers: Vec<Result<ClaimView, AppError>>,
}

impl Written {
    /// Waits for the disk, then lets memory learn the batch and answers each candidate by its
    /// reply; if the disk failed, nobody hears of the batch (memory keeps its durable lower
    /// bound).
    async fn answer(self, known: Arc<Known>, replies: Vec<Reply>) {
        match self.winners.durable().await {
            Ok(winners) => {
                {
                    let mut memory = known.memory();
                    if let Some(sold) = self.sold {
                        memory.sold = memory.sold.max(sold);
                    }
                    for c in winners.into_iter().chain(self.read) {
                        memory.remember(c);
                    }
                }
                for (reply, answer) in replies.into_iter().zip(self.answers) {
                    let _ = reply.send(answer);
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "a flash-sale batch did not reach the disk");
                for reply in replies {
                    let _ = reply.send(Err(AppError::Unavailable));
                }
            }
        }
    }
}

impl Writer {
    async fn run(mut self, mut rx: mpsc::Receiver<ClaimRequest>) {
        let mut batch = Vec::with_capacity(CLAIM_BATCH_MAX);
        if let Err(e) = self.store.warm(&mut self.conn).await {
            // The first batch opens the connection itself.
            tracing::warn!(error = %e, "readying a flash-sale writer's connection failed");
        }
        loop {
            let received = rx.recv_many(&mut batch, CLAIM_BATCH_MAX);
            // While it holds a connection, the writer waits at most WRITER_IDLE, then gives it back.
            let taken = if self.conn.is_open() {
                let Ok(taken) = tokio::time::timeout(WRITER_IDLE, received).await else {
                    self.conn.release().await;
                    continue;
                };
                taken
            } else {
                received.await
            };
            if taken == 0 {
                return;
            }
            self.decide(&mut batch).await;
        }
    }

    /// Answers at once what memory settles, commits the rest in one transaction and leaves
    /// their answers to a task of their own that waits for the disk: the writer goes on to the
    /// next batch while the disk takes this one.
    async fn decide(&mut self, batch: &mut Vec<ClaimRequest>) {
        let now = self.clock.now();
        let mut candidates = Vec::with_capacity(batch.len());
        for request in batch.drain(..) {
            match self
                .known
                .settle(request.customer, request.key.as_deref(), now)
            {
                Some(answer) => {
                    let _ = request.reply.send(answer);
                }
                None => candidates.push(request),
            }
        }
        if candidates.is_empty() {
            return;
        }
        match self.commit(&candidates, now).await {
            Ok(written) => {
                let replies = candidates.into_iter().map(|r| r.reply).collect();
                tokio::spawn(written.answer(self.known.clone(), replies));
            }
            Err(e) => {
                tracing::error!(error = %e, "flash-sale batch commit failed");
                for r in candidates {
                    let _ = r.reply.send(Err(AppError::Unavailable));
                }
            }
        }
    }

    /// Decides `candidates` under the sale's row lock, from the database's figures, and writes
    /// the winners.
    async fn commit(
        &mut self,
        candidates: &[ClaimRequest],
        now: Timestamp,
    ) -> Result<Written, AppError> {
        let mut customers: Vec<CustomerId> = candidates.iter().map(|r| r.customer).collect();
        customers.sort_unstable();
        customers.dedup();
        let terms = self.known.terms;
        let mut decided: Vec<Result<ClaimRecord, RewardsError>> = Vec::new();
        let mut sold_after = None;
        let winners = self
            .store
            .commit_batch(&mut self.conn, terms.id.as_uuid(), &customers, |snapshot| {
                let mut sale = FlashSale::resume(terms, snapshot.sold, snapshot.won)
                    .map_err(|_| cardlife_store::StoreError::Corrupt("flash sale sold count"))?;
                let mut winners = Vec::new();
                for r in candidates {
                    let d = sale.claim(r.customer, now).map(|t| ClaimRecord {
                        seq: t.seq,
                        customer: t.user,
                        nth: t.nth_for_user,
                        idempotency_key: r.key.clone(),
                        claimed_at: t.at,
                    });
                    if let Ok(w) = &d {
                        winners.push(w.clone());
                    }
                    decided.push(d);
                }
                sold_after = Some(sale.sold());
                Ok(winners)
            })
            .await?;
        let mut read = Vec::new();
        let mut answers = Vec::with_capacity(decided.len());
        for (r, d) in candidates.iter().zip(decided) {
            answers.push(match d {
                Ok(w) => Ok(self.known.view(&w, false)),
                Err(e) => self.refused(r, e, &mut read).await,
            });
        }
        Ok(Written {
            winners,
            sold: sold_after,
            read,
            answers,
        })
    }

    /// A refusal from the database's figures; `AlreadyClaimed` with a key answered before (by
    /// this batch or another process) is that answer again, from the stored claims, which are
    /// added to `read`.
    async fn refused(
        &self,
        r: &ClaimRequest,
        e: RewardsError,
        read: &mut Vec<ClaimRecord>,
    ) -> Result<ClaimView, AppError> {
        if matches!(e, RewardsError::AlreadyClaimed { .. }) && r.key.is_some() {
            let theirs = self
                .store
                .claims_of(self.known.terms.id.as_uuid(), r.customer)
                .await?;
            let answer = theirs
                .iter()
                .find(|c| c.idempotency_key == r.key)
                .map(|c| self.known.view(c, true));
            read.extend(theirs);
            if let Some(view) = answer {
                return Ok(view);
            }
        }
        Err(AppError::Rewards(e))
    }
}
