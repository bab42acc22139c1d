//! `cardlife demo`: builds a small world through the real use cases on a simulated clock, checks
//! the ledger, then serves it in development mode (docs/demo.md).
//!
//! The world is made by the same `App` methods the API calls — customers (a few with
//! passwords, the rest through the bulk seeding of `app::seed`), credit accounts with cards,
//! an admin operator, merchants applied for and approved with static QR codes — and then lived
//! day by day on a [`DemoClock`]: card authorisations and captures, QR payments, cash advances,
//! repayments (full, minimum, late), the credit daily close, merchant settlement and loan
//! accruals. When the history reaches today the clock follows the system clock and the same
//! `App` is served.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use cardlife_app::App;
use cardlife_app::credit::{CardSelector, OpenCreditAccount};
use cardlife_app::customers::{DevOutbox, IdentityConfig, OtpKey, PhoneLookupKey};
use cardlife_app::merchants::operators::{NewOperator, Role};
use cardlife_app::merchants::{Application, Decision};
use cardlife_kernel::{
    BusinessZone, Clock, CustomerId, FakeClock, MerchantId, Money, Secret, SharedClock, SystemClock,
};
use cardlife_store::{Db, LedgerService};
use futures_util::StreamExt;
use jiff::{Timestamp, ToSpan};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use uuid::Uuid;

/// The demo cardholders' password (demo only: printed on the terminal).
pub const CUSTOMER_PASSWORD: &str = "Demo-card-2026";
/// The demo merchant staff password (demo only).
pub const STAFF_PASSWORD: &str = "Demo-shop-2026";
/// The demo operator's login and password (demo only).
pub const ADMIN_LOGIN: &str = "admin";
/// The demo operator's password (demo only).
pub const ADMIN_PASSWORD: &str = "Demo-admin-2026";

/// A file marking a data directory as a demo store, which `cardlife demo` may replace.
const MARKER: &str = "DEMO-STORE";

/// How many customers get a password (argon2id is slow on purpose); the rest log in by code.
const WITH_PASSWORD_MAX: usize = 10;
/// How many merchants get a staff login (argon2id again).
const WITH_STAFF_MAX: usize = 10;
/// How many requests of one simulated day run at once (they share group commits).
const CONCURRENCY: usize = 48;

/// Options of `cardlife demo`.
#[derive(Debug, Clone, clap::Args)]
pub struct DemoArgs {
    /// Cardholders to create.
    #[arg(long, default_value_t = 2_000)]
    pub customers: usize,
    /// Merchants to create.
    #[arg(long, default_value_t = 200)]
    pub merchants: usize,
    /// Months of history to live through.
    #[arg(long, default_value_t = 3)]
    pub months: i32,
    /// Seed of the random choices (the same seed gives the same activity).
    #[arg(long, default_value_t = 20_260_101)]
    pub seed: u64,
    /// Address to serve on once built.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// The demo's data directory (a demo store there is replaced; any other store is refused).
    #[arg(long, default_value = "data/demo")]
    pub data: PathBuf,
    /// Build the world, check it, print the summary and exit without serving.
    #[arg(long)]
    pub no_serve: bool,
}

/// The simulated clock while the history is built; the system clock once it is switched.
#[derive(Debug)]
pub struct DemoClock {
    fake: FakeClock,
    live: AtomicBool,
}

impl DemoClock {
    fn new(start: Timestamp) -> Self {
        Self {
            fake: FakeClock::new(start),
            live: AtomicBool::new(false),
        }
    }

    fn set(&self, now: Timestamp) {
        self.fake.set(now);
    }

    /// From now on, the system clock.
    fn go_live(&self) {
        self.live.store(true, Ordering::SeqCst);
    }
}

impl Clock for DemoClock {
    fn now(&self) -> Timestamp {
        if self.live.load(Ordering::SeqCst) {
            SystemClock.now()
        } else {
            self.fake.now()
        }
    }
}

/// How a cardholder repays their statements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Payer {
    /// The statement balance, a few days before the due date.
    Full,
    /// The minimum payment, on the due date.
    Minimum,
    /// The statement balance, days after the due date (a late fee is charged).
    Late,
}

#[derive(Debug, Clone)]
struct Holder {
    customer: CustomerId,
    account: Uuid,
    card: String,
    payer: Payer,
}

#[derive(Debug, Default, serde::Serialize)]
struct Tally {
    customers: usize,
    customers_with_password: usize,
    credit_accounts: usize,
    merchants: usize,
    authorisations: usize,
    declined: usize,
    captures: usize,
    qr_payments: usize,
    cash_advances: usize,
    repayments: usize,
    statements: usize,
    settlements: usize,
    loans: usize,
}

/// One day's work for one cardholder.
enum Act {
    Purchase(usize, i64),
    Qr(usize, usize, i64),
    Cash(usize, i64),
    Repay(usize, i64),
}

/// Runs `cardlife demo`.
pub async fn run(args: DemoArgs) -> anyhow::Result<ExitCode> {
    let began = Instant::now();
    anyhow::ensure!(args.customers >= 1, "--customers must be at least 1");
    anyhow::ensure!((1..=24).contains(&args.months), "--months must be 1 to 24");
    anyhow::ensure!(
        args.customers <= 1_000_000,
        "--customers must be at most 1000000"
    );
    prepare_dir(&args.data)?;
    let url = format!("sqlite://{}/cardlife.db", args.data.display());
    let db = Db::open(&url).await?;
    db.migrate().await?;

    let zone = BusinessZone::shanghai();
    let today = zone.today(&SystemClock);
    let first_day = today.checked_sub(args.months.months())?;
    let clock = Arc::new(DemoClock::new(at(&zone, first_day, 9)?));
    let shared: SharedClock = clock.clone();
    let ledger = LedgerService::start(&db, shared.clone()).await?;
    let outbox = Arc::new(DevOutbox::new(shared.clone()));
    let keys = args.data.join("keys");
    let mut identity = IdentityConfig::random(outbox.clone());
    identity.phone_lookup_key = PhoneLookupKey::new(key_in(&keys, "phone-lookup")?);
    identity.otp_key = OtpKey::new(key_in(&keys, "otp")?);
    let mut merchants = cardlife_app::merchants::MerchantsConfig::random();
    merchants.seal_key = Secret::new(key_in(&keys, "merchant-seal")?);
    merchants.lookup_key = Secret::new(key_in(&keys, "merchant-lookup")?);
    merchants.paycode_key = Secret::new(key_in(&keys, "paycode")?);
    let app = App::new(db.clone(), ledger, shared)
        .with_identity(identity)
        .with_credit(cardlife_app::credit::CardKeys::derive(&key_in(
            &keys, "card",
        )?))
        .await?
        .with_loans(cardlife_app::loans::LoansConfig::new(
            key_in(&keys, "card-lookup")?,
            key_in(&keys, "card-vault")?,
        ))
        .with_merchants(merchants);

    let mut rng = StdRng::seed_from_u64(args.seed);
    let mut tally = Tally::default();
    eprintln!(
        "demo: building {} cardholders, {} merchants, {} months from {first_day} to {today} in {}",
        args.customers,
        args.merchants,
        args.months,
        args.data.display()
    );

    // The operator who reviews the merchants.
    let admin = app
        .create_operator(
            NewOperator {
                login: ADMIN_LOGIN.to_owned(),
                phone: "13900000000".to_owned(),
                password: Secret::new(ADMIN_PASSWORD.to_owned()),
                role: Role::Admin,
            },
            None,
        )
        .await?;

    // Cardholders: a few with passwords, the rest in bulk.
    let phones: Vec<String> = (0..args.customers).map(phone).collect();
    let with_password = args.customers.min(WITH_PASSWORD_MAX);
    let mut customers = Vec::with_capacity(args.customers);
    let password = Secret::new(CUSTOMER_PASSWORD.to_owned());
    for p in &phones[..with_password] {
        customers.push(app.seed_customer(p, Some(&password)).await?.customer);
    }
    for seeded in app.seed_customers(&phones[with_password..]).await? {
        customers.push(seeded.id);
    }
    tally.customers = customers.len();
    tally.customers_with_password = with_password;
    eprintln!(
        "demo: {} cardholders ({:.1} s)",
        customers.len(),
        began.elapsed().as_secs_f64()
    );

    // Credit accounts for nine in ten (every customer with a password has one).
    let opening: Vec<(usize, CustomerId)> = customers
        .iter()
        .copied()
        .enumerate()
        .filter(|(i, _)| *i < with_password || i % 10 != 9)
        .collect();
    let limits: Vec<i64> = opening
        .iter()
        .map(|_| rng.random_range(10..=50) * 100_000)
        .collect();
    let holders: Vec<Holder> = futures_util::stream::iter(opening.into_iter().zip(limits))
        .map(|((i, customer), limit)| {
            let app = app.clone();
            async move {
                let card = card_number(i);
                let view = app
                    .credit_open_account(OpenCreditAccount {
                        customer_id: customer,
                        product: serde_json::json!({}),
                        credit_limit_fen: limit,
                        card_number: Secret::new(card.clone()),
                        card_expires: "2031-12".to_owned(),
                    })
                    .await?;
                let payer = match i % 10 {
                    0..=5 => Payer::Full,
                    6 | 7 => Payer::Minimum,
                    _ => Payer::Late,
                };
                anyhow::Ok(Holder {
                    customer,
                    account: view.id,
                    card,
                    payer,
                })
            }
        })
        .buffered(CONCURRENCY)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_, _>>()?;
    tally.credit_accounts = holders.len();
    eprintln!(
        "demo: {} credit accounts with cards ({:.1} s)",
        holders.len(),
        began.elapsed().as_secs_f64()
    );

    // Merchants: applied for (the first few with a staff login), approved, a static code each.
    let mut codes: Vec<String> = Vec::with_capacity(args.merchants);
    let staff_password = Secret::new(STAFF_PASSWORD.to_owned());
    let mut merchant_ids: Vec<MerchantId> = Vec::new();
    for m in 0..args.merchants {
        let (name, mcc) = MERCHANT_KINDS[m % MERCHANT_KINDS.len()];
        let application = Application {
            name: format!("{name} {:03}", m + 1),
            city: CITIES[m % CITIES.len()].to_owned(),
            address: format!("{} Demo Road", m + 1),
            mcc: mcc.to_owned(),
            settlement_account: Secret::new(format!("6222{:012}", 100_000 + m)),
            mdr_rate: None,
        };
        let view = if m < WITH_STAFF_MAX {
            app.apply_merchant_with_staff(application, &staff_login(m), &staff_password)
                .await?
        } else {
            app.apply_merchant(application).await?
        };
        app.review_merchant(&admin, view.id, Decision::Approve, None)
            .await?;
        codes.push(app.create_static_code(view.id).await?.payload);
        merchant_ids.push(view.id);
    }
    tally.merchants = merchant_ids.len();
    eprintln!(
        "demo: {} merchants approved with static codes ({:.1} s)",
        merchant_ids.len(),
        began.elapsed().as_secs_f64()
    );

    // The days, one by one.
    let mut repayments: BTreeMap<jiff::civil::Date, Vec<(usize, i64)>> = BTreeMap::new();
    let loan_day = first_day.checked_add(10.days())?;
    let mut day = first_day;
    while day < today {
        clock.set(at(&zone, day, 10)?);
        let mut acts = Vec::new();
        for (h, holder) in holders.iter().enumerate() {
            let _ = holder;
            if rng.random_bool(0.12) {
                acts.push(Act::Purchase(h, rng.random_range(2_000..=120_000)));
            }
            if !codes.is_empty() && rng.random_bool(0.04) {
                acts.push(Act::Qr(
                    h,
                    rng.random_range(0..codes.len()),
                    rng.random_range(500..=30_000),
                ));
            }
            if rng.random_bool(0.002) {
                acts.push(Act::Cash(h, rng.random_range(5..=30) * 10_000));
            }
        }
        for (h, amount) in repayments.remove(&day).unwrap_or_default() {
            acts.push(Act::Repay(h, amount));
        }
        let results: Vec<anyhow::Result<(&'static str, bool)>> = futures_util::stream::iter(acts)
            .map(|act| {
                let app = app.clone();
                let holders = &holders;
                let codes = &codes;
                async move { live(&app, holders, codes, act).await }
            })
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
        for r in results {
            let (what, ok) = r?;
            match (what, ok) {
                ("purchase", true) => {
                    tally.authorisations += 1;
                    tally.captures += 1;
                }
                ("purchase", false) => {
                    tally.authorisations += 1;
                    tally.declined += 1;
                }
                ("qr", true) => tally.qr_payments += 1,
                ("cash", true) => tally.cash_advances += 1,
                ("repay", true) => tally.repayments += 1,
                _ => {}
            }
        }
        if day == loan_day {
            tally.loans += book_loans(&app, &holders).await?;
        }
        // The night: the next morning closes the day that ended.
        let next = day.tomorrow()?;
        clock.set(at(&zone, next, 2)?);
        let closed = app.credit_close_days_through(next).await?;
        let _ = closed;
        tally.settlements += app.settle_through(day).await?.len();
        app.loans_close_day(day).await?;
        if day.day() == statement_day(&app, &holders).await? {
            let cut = schedule_repayments(&app, &holders, day, &mut repayments).await?;
            tally.statements += cut;
        }
        if day.day() == 1 {
            eprintln!(
                "demo: {day} … {} purchases, {} QR payments, {} repayments so far ({:.1} s)",
                tally.captures,
                tally.qr_payments,
                tally.repayments,
                began.elapsed().as_secs_f64()
            );
        }
        day = next;
    }

    // Today: the system clock from now on.
    clock.set(SystemClock.now());
    clock.go_live();
    app.credit_close_days_through(app.today()).await?;
    let report = app.check().await?;
    let built = began.elapsed();
    eprintln!(
        "demo: history built in {:.1} s; ledger check: {} accounts, {} transfers: {}",
        built.as_secs_f64(),
        report.accounts,
        report.transfers,
        if report.ok() {
            "all invariants hold".to_owned()
        } else {
            format!("{} violations", report.violations.len())
        }
    );
    let summary = serde_json::json!({
        "ledger_ok": report.ok(),
        "ledger_transfers": report.transfers,
        "build_seconds": (built.as_secs_f64() * 10.0).round() / 10.0,
        "first_day": first_day.to_string(),
        "today": today.to_string(),
        "counts": tally,
        "logins": {
            "cardholder": { "phone": phones[0], "password": CUSTOMER_PASSWORD },
            "merchant_staff": { "login": staff_login(0), "password": STAFF_PASSWORD },
            "operator": { "login": ADMIN_LOGIN, "password": ADMIN_PASSWORD },
        },
    });
    println!("{summary}");
    if !report.ok() {
        for v in &report.violations {
            eprintln!("  {v}");
        }
        eprintln!("demo: the ledger check failed; not serving");
        db.close().await;
        return Ok(ExitCode::from(1));
    }
    if args.no_serve {
        db.close().await;
        return Ok(ExitCode::SUCCESS);
    }
    serve(app, outbox, &args, &phones[0], merchant_ids.len()).await?;
    db.close().await;
    Ok(ExitCode::SUCCESS)
}

/// One cardholder action of the day; `(kind, done)` — a decline or refusal is part of life.
async fn live(
    app: &App,
    holders: &[Holder],
    codes: &[String],
    act: Act,
) -> anyhow::Result<(&'static str, bool)> {
    use cardlife_app::AppError;
    let refused = |e: &AppError| {
        matches!(
            e,
            AppError::Declined { .. }
                | AppError::Merchants(_)
                | AppError::CommandRefused(_)
                | AppError::Risk(_)
        )
    };
    match act {
        Act::Purchase(h, fen) => {
            let card = CardSelector::Number(Secret::new(holders[h].card.clone()));
            match app.credit_authorise(card, fen, false).await {
                Ok(auth) => {
                    app.credit_capture(auth.id, fen).await?;
                    Ok(("purchase", true))
                }
                Err(e) if refused(&e) => Ok(("purchase", false)),
                Err(e) => Err(e.into()),
            }
        }
        Act::Qr(h, code, fen) => {
            let key = Uuid::now_v7().to_string();
            match app
                .pay_qr(
                    holders[h].customer,
                    &key,
                    &codes[code],
                    Some(Money::cny(fen)),
                )
                .await
            {
                Ok(_) => Ok(("qr", true)),
                Err(e) if refused(&e) => Ok(("qr", false)),
                Err(e) => Err(e.into()),
            }
        }
        Act::Cash(h, fen) => {
            let holder = &holders[h];
            match app
                .credit_cash_advance(holder.customer, holder.account, fen)
                .await
            {
                Ok(_) => Ok(("cash", true)),
                Err(e) if refused(&e) => Ok(("cash", false)),
                Err(e) => Err(e.into()),
            }
        }
        Act::Repay(h, fen) => {
            let holder = &holders[h];
            app.credit_repay(holder.customer, holder.account, fen)
                .await?;
            Ok(("repay", true))
        }
    }
}

/// The statement day of the demo's accounts (all on the default product).
async fn statement_day(app: &App, holders: &[Holder]) -> anyhow::Result<i8> {
    let Some(h) = holders.first() else {
        return Ok(0);
    };
    Ok(app
        .credit_account(h.customer, h.account)
        .await?
        .statement_day)
}

/// After a statement day's close: reads each account's new statement and plans its repayment
/// by the holder's habit. Answers the statements cut.
async fn schedule_repayments(
    app: &App,
    holders: &[Holder],
    day: jiff::civil::Date,
    plan: &mut BTreeMap<jiff::civil::Date, Vec<(usize, i64)>>,
) -> anyhow::Result<usize> {
    let statements: Vec<_> = futures_util::stream::iter(holders.iter().enumerate())
        .map(|(h, holder)| {
            let app = app.clone();
            async move {
                let list = app
                    .credit_statements(holder.customer, holder.account)
                    .await?;
                anyhow::Ok((h, list.into_iter().find(|s| s.statement_date == day)))
            }
        })
        .buffered(CONCURRENCY)
        .collect()
        .await;
    let mut cut = 0;
    for r in statements {
        let (h, statement) = r?;
        let Some(s) = statement else { continue };
        cut += 1;
        if s.balance_fen <= 0 {
            continue;
        }
        let (when, amount) = match holders[h].payer {
            Payer::Full => (s.due_date.checked_sub(3.days())?, s.balance_fen),
            Payer::Minimum => (s.due_date, s.minimum_payment_fen.max(1)),
            Payer::Late => (s.due_date.checked_add(6.days())?, s.balance_fen),
        };
        if when > day {
            plan.entry(when).or_default().push((h, amount));
        }
    }
    Ok(cut)
}

/// A few consumer loans to the first cardholders, disbursed to a bound debit card.
async fn book_loans(app: &App, holders: &[Holder]) -> anyhow::Result<usize> {
    let mut booked = 0;
    for (i, holder) in holders
        .iter()
        .take(holders.len().div_ceil(100).min(20))
        .enumerate()
    {
        let (card, _) = app
            .bind_debit_card(holder.customer, &debit_card_number(i), Some("张三"))
            .await?;
        let quote = app
            .create_loan_quote(
                holder.customer,
                cardlife_app::loans::LOAN_PRODUCT,
                Money::cny((i64::try_from(i).unwrap_or(0) % 5 + 1) * 1_000_000),
                12,
                "equal_installment",
                None,
            )
            .await?;
        app.book_loan(holder.customer, &quote.id, Some(true), &card.id)
            .await?;
        booked += 1;
    }
    Ok(booked)
}

/// Serves the built world in development mode and prints where each face is.
async fn serve(
    app: App,
    outbox: Arc<DevOutbox>,
    args: &DemoArgs,
    phone: &str,
    merchants: usize,
) -> anyhow::Result<()> {
    let metrics = cardlife_server::install_recorder()?;
    let token: [u8; 32] = rand::random();
    let token: String = token.iter().map(|b| format!("{b:02x}")).collect();
    let config = cardlife_server::ServerConfig::new(Secret::new(token))?.with_dev_outbox(outbox);
    tokio::spawn(crate::serve::close_credit_days(app.clone()));
    tokio::spawn(crate::serve::payment_jobs(app.clone()));
    app.hold_live_sessions().await?;
    let router = cardlife_server::router(app, config, metrics);
    let listener = tokio::net::TcpListener::bind(&args.listen).await?;
    let base = format!("http://{}", listener.local_addr()?);
    println!(
        "demo: serving {} (development mode: {base}/dev/sms lists one-time codes)",
        args.data.display()
    );
    println!("  cardholder app   {base}/app       phone {phone}  password {CUSTOMER_PASSWORD}");
    if merchants > 0 {
        println!(
            "  merchant portal  {base}/merchant  login {}  password {STAFF_PASSWORD}",
            staff_login(0)
        );
    }
    println!("  operator console {base}/console   login {ADMIN_LOGIN}  password {ADMIN_PASSWORD}");
    println!("  these logins are for the demo only; Ctrl-C stops the server");
    cardlife_server::serve(listener, router, crate::serve::shutdown_signal()).await?;
    Ok(())
}

/// Refuses a directory holding anything but a demo store; clears a demo store; marks it.
fn prepare_dir(dir: &Path) -> anyhow::Result<()> {
    if dir.exists() {
        let empty = std::fs::read_dir(dir)?.next().is_none();
        if !empty {
            anyhow::ensure!(
                dir.join(MARKER).exists(),
                "{} holds something that is not a demo store; choose another --data",
                dir.display()
            );
            std::fs::remove_dir_all(dir)?;
        }
    }
    std::fs::create_dir_all(dir)?;
    std::fs::write(
        dir.join(MARKER),
        "made by `cardlife demo`; the next `cardlife demo` replaces this directory\n",
    )?;
    Ok(())
}

/// A fresh random 32-byte key kept in `dir/NAME` for this demo store.
fn key_in(dir: &Path, name: &str) -> anyhow::Result<[u8; 32]> {
    std::fs::create_dir_all(dir)?;
    let key: [u8; 32] = rand::random();
    crate::serve::write_private(
        &dir.join(name),
        &key.iter().map(|b| format!("{b:02x}")).collect::<String>(),
    )?;
    Ok(key)
}

/// `hour` o'clock of `day` in the business zone.
fn at(zone: &BusinessZone, day: jiff::civil::Date, hour: i8) -> anyhow::Result<Timestamp> {
    let _ = zone;
    Ok(day.at(hour, 0, 0, 0).in_tz("Asia/Shanghai")?.timestamp())
}

/// The demo phone of customer `i`: 138 0000 0000 onwards.
fn phone(i: usize) -> String {
    format!("138{:08}", i)
}

/// The staff login of merchant `m`.
fn staff_login(m: usize) -> String {
    format!("shop{:03}", m + 1)
}

/// A Luhn-valid 16-digit card number for customer `i` (a test BIN).
fn card_number(i: usize) -> String {
    luhn(&format!("622588{:09}", i))
}

/// A Luhn-valid debit card number for loan holder `i`.
fn debit_card_number(i: usize) -> String {
    luhn(&format!("621700{:09}", i))
}

fn luhn(body: &str) -> String {
    let sum: u32 = body
        .bytes()
        .rev()
        .enumerate()
        .map(|(k, b)| {
            let d = u32::from(b - b'0');
            if k % 2 == 0 {
                let d = d * 2;
                if d > 9 { d - 9 } else { d }
            } else {
                d
            }
        })
        .sum();
    format!("{body}{}", (10 - sum % 10) % 10)
}

const MERCHANT_KINDS: &[(&str, &str)] = &[
    ("NOODLE HOUSE", "5812"),
    ("CORNER MART", "5411"),
    ("TEA SHOP", "5814"),
    ("BOOKSTORE", "5942"),
    ("PHARMACY", "5912"),
    ("CINEMA", "7832"),
    ("FRUIT STAND", "5499"),
    ("BAKERY", "5462"),
];

const CITIES: &[&str] = &["SHANGHAI", "BEIJING", "SHENZHEN", "HANGZHOU", "CHENGDU"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn card_numbers_pass_the_luhn_check() {
        for i in [0, 1, 7, 1234, 999_999] {
            assert!(
                cardlife_customers_luhn(&card_number(i)),
                "{}",
                card_number(i)
            );
        }
        assert_eq!(luhn("7992739871"), "79927398713");
    }

    fn cardlife_customers_luhn(n: &str) -> bool {
        let sum: u32 = n
            .bytes()
            .rev()
            .enumerate()
            .map(|(k, b)| {
                let d = u32::from(b - b'0');
                if k % 2 == 1 {
                    let d = d * 2;
                    if d > 9 { d - 9 } else { d }
                } else {
                    d
                }
            })
            .sum();
        sum.is_multiple_of(10)
    }
}
