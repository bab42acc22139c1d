//! `cardlife serve`: open the store, migrate, start the ledger writer and the HTTP server.

use std::process::ExitCode;
use std::sync::Arc;

use cardlife_app::customers::{DevOutbox, IdentityConfig, OtpKey, PhoneLookupKey};
use cardlife_kernel::{AheadClock, Secret, SharedClock, SystemClock};
use cardlife_store::{Db, LedgerService};

/// Options of the server.
#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "CARDLIFE_LISTEN", default_value = DEFAULT_LISTEN)]
    pub listen: String,
}

const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

impl Default for ServeArgs {
    fn default() -> Self {
        Self {
            listen: DEFAULT_LISTEN.to_owned(),
        }
    }
}

/// Runs the server until SIGINT or SIGTERM.
pub async fn run(database_url: &str, args: ServeArgs) -> anyhow::Result<ExitCode> {
    let metrics = cardlife_server::install_recorder()?;
    let db = Db::open(database_url).await?;
    db.migrate().await?;
    // Development mode runs on the wall clock that `POST /dev/clock` can move ahead.
    let dev_clock = dev_mode().then(AheadClock::new);
    let clock: SharedClock = match &dev_clock {
        Some(c) => c.shared(),
        None => Arc::new(SystemClock),
    };
    let ledger = LedgerService::start(&db, clock.clone()).await?;
    let outbox = Arc::new(DevOutbox::new(clock.clone()));
    let app = cardlife_app::App::new(db.clone(), ledger, clock)
        .with_identity(identity(outbox.clone())?)
        .with_credit(card_keys()?)
        .await?;
    tokio::spawn(close_credit_days(app.clone()));
    // Debit-card lookup and vault keys, kept beside the identity keys (docs/loans.md).
    let app = app.with_loans(cardlife_app::loans::LoansConfig::new(
        key_file("card-lookup")?,
        key_file("card-vault")?,
    ));
    // Merchant settlement-account and signing-secret keys (docs/merchants.md).
    let mut merchants = cardlife_app::merchants::MerchantsConfig::random();
    merchants.seal_key = Secret::new(key_file("merchant-seal")?);
    merchants.lookup_key = Secret::new(key_file("merchant-lookup")?);
    merchants.paycode_key = Secret::new(key_file("paycode")?);
    // Webhooks: https to public addresses only, except in development mode where a receiver
    // on this machine over plain http is the usual set-up (docs/merchants.md).
    if dev_mode() {
        merchants.webhook_destinations = cardlife_app::merchants::WebhookDestinations::LOCAL;
    }
    // A payment answers once captured; its points, cashier reward and campaign offers run after
    // the answer from a durable queue the recovery sweep finishes (docs/merchants.md).
    merchants.after_capture = cardlife_app::merchants::AfterCapture::Queued;
    let app = app.with_merchants(merchants);
    // Flash sales on or coming: their sequencers ready before the first claim (docs/rewards.md).
    match app.arm_flash_sales().await {
        Ok(n) => tracing::info!(sales = n, "flash sales armed"),
        Err(e) => {
            tracing::warn!(error = %e, "arming flash sales failed; each starts on its first claim")
        }
    }
    let sweeper = tokio::spawn(payment_jobs(app.clone()));
    let webhooks = tokio::spawn(webhook_deliveries(app.clone()));
    let coupon_sweeper = tokio::spawn(coupon_jobs(app.clone()));
    let session_log = tokio::spawn(session_log_jobs(app.clone()));
    let mut config = cardlife_server::ServerConfig::new(internal_token()?)?;
    if dev_mode() {
        tracing::warn!(
            "development mode (CARDLIFE_DEV=1): /dev/sms shows every one-time code sent"
        );
        config = config.with_dev_outbox(outbox);
    }
    if let Some(clock) = dev_clock {
        tracing::warn!("development mode: POST /dev/clock moves the clock ahead");
        config = config.with_dev_clock(clock);
    }
    // Live sessions held before the first request (docs/identity.md).
    let held = app.hold_live_sessions().await?;
    tracing::info!(sessions = held, "live sessions held in memory");
    let router = cardlife_server::router(app, config, metrics);
    let listener = tokio::net::TcpListener::bind(&args.listen).await?;
    tracing::info!(address = %listener.local_addr()?, store = db.backend(), "cardlife is listening");
    cardlife_server::serve(listener, router, shutdown_signal()).await?;
    sweeper.abort();
    webhooks.abort();
    coupon_sweeper.abort();
    session_log.abort();
    db.close().await;
    Ok(ExitCode::SUCCESS)
}

/// At start-up and then every minute: finish or void interrupted payments and expire unpaid
/// orders, then credit lottery points still owed (docs/rewards.md), then settle every
/// merchant's closed days (T+1; idempotent per merchant and day), as docs/merchants.md
/// describes; then the group-buy deadline sweep; then the daily points job for today (docs/rewards.md). A failed round is logged and tried again next time.
pub(crate) async fn payment_jobs(app: cardlife_app::App) {
    use jiff::ToSpan;
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
    let mut points_done = None;
    loop {
        tick.tick().await;
        if let Err(e) = app.recover_payments().await {
            tracing::warn!(error = %e, "payment recovery sweep failed");
        }
        // Lottery points whose credit after the draw failed are credited, once per draw.
        if let Err(e) = app.pay_owed_lottery_points().await {
            tracing::warn!(error = %e, "lottery points sweep failed");
        }
        if let Ok(yesterday) = app.business_date().checked_sub(1.day())
            && let Err(e) = app.settle_through(yesterday).await
        {
            tracing::warn!(error = %e, "settlement run failed");
        }
        // Group buys whose window has ended complete (virtually) or fail and refund; money
        // steps a failed join left undone are finished (docs/rewards.md, "Group buying").
        if let Err(e) = app.settle_due_group_buys(app.clock().now()).await {
            tracing::warn!(error = %e, "group-buy sweep failed");
        }
        // Points: lapse today's expiries, write advance notices, post the ledger outbox
        // (docs/rewards.md, "The daily points job"; idempotent per date).
        let today = app.today();
        if points_done != Some(today) {
            match app.run_points_expiry(today).await {
                Ok(_) => points_done = Some(today),
                Err(e) => tracing::warn!(error = %e, "points expiry run failed"),
            }
        }
    }
}

/// Every few seconds: one attempt at each merchant webhook event that is due (docs/merchants.md,
/// "Webhooks"). A failed round is logged and tried again next time.
pub(crate) async fn webhook_deliveries(app: cardlife_app::App) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(5));
    loop {
        tick.tick().await;
        if let Err(e) = app.deliver_webhooks().await {
            tracing::warn!(error = %e, "webhook delivery failed");
        }
    }
}

/// At start-up and then every ten minutes: coupons past their last valid date become expired
/// (docs/rewards.md). A failed round is logged and tried again next time.
pub(crate) async fn coupon_jobs(app: cardlife_app::App) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(600));
    loop {
        tick.tick().await;
        if let Err(e) = app.expire_coupons().await {
            tracing::warn!(error = %e, "coupon expiry sweep failed");
        }
    }
}

/// At start-up and then every minute: the session-change log trimmed to its newest changes
/// (docs/identity.md, "Sessions held in memory"). A failed round is logged and tried again next
/// time.
pub(crate) async fn session_log_jobs(app: cardlife_app::App) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
    loop {
        tick.tick().await;
        match app.trim_session_changes().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(deleted = n, "session-change log trimmed"),
            Err(e) => tracing::warn!(error = %e, "session-change log trim failed"),
        }
    }
}

/// Development mode: `CARDLIFE_DEV=1` (docs/web.md, "Development SMS page").
fn dev_mode() -> bool {
    std::env::var("CARDLIFE_DEV").is_ok_and(|v| v == "1")
}

/// The bearer token of the internal API: `CARDLIFE_INTERNAL_TOKEN`, or else the one kept in
/// `data/internal-token` (made at first start, readable by its owner only).
fn internal_token() -> anyhow::Result<Secret<String>> {
    if let Ok(token) = std::env::var("CARDLIFE_INTERNAL_TOKEN") {
        return Ok(Secret::new(token));
    }
    let path = std::path::Path::new(TOKEN_FILE);
    if let Ok(token) = std::fs::read_to_string(path) {
        return Ok(Secret::new(token.trim().to_owned()));
    }
    let random: [u8; 32] = rand::random();
    let token: String = random.iter().map(|b| format!("{b:02x}")).collect();
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    write_private(path, &token)?;
    tracing::info!(
        path = TOKEN_FILE,
        "made a token for the internal API (set CARDLIFE_INTERNAL_TOKEN to choose one)"
    );
    Ok(Secret::new(token))
}

/// How often the server closes the credit business days that are over (by the clock).
const CLOSE_DAYS_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// Closes every credit business day that is over, once a minute: posting, interest, late fees,
/// statements, delinquency and expiries follow the clock without an operator.
pub(crate) async fn close_credit_days(app: cardlife_app::App) {
    let mut every = tokio::time::interval(CLOSE_DAYS_EVERY);
    loop {
        every.tick().await;
        match app.credit_close_days_through(app.today()).await {
            Ok(0) => {}
            Ok(days) => tracing::info!(days, "closed credit business days"),
            Err(e) => tracing::error!(error = %e, "closing credit business days failed"),
        }
    }
}

/// The card-number keys: derived from `CARDLIFE_CARD_KEY` (at least 32 bytes), or else from
/// the key kept in `data/keys/card` (made at first start; losing it loses every card number).
fn card_keys() -> anyhow::Result<cardlife_app::credit::CardKeys> {
    use cardlife_app::credit::CardKeys;
    if let Ok(key) = std::env::var("CARDLIFE_CARD_KEY") {
        anyhow::ensure!(
            key.len() >= 32,
            "CARDLIFE_CARD_KEY must be at least 32 bytes"
        );
        return Ok(CardKeys::derive(key.as_bytes()));
    }
    Ok(CardKeys::derive(&key_file("card")?))
}

/// The identity layer's keys, kept in `data/keys/` (made at first start, owner-only), so phone
/// lookups, one-time codes and sealed real-name details survive a restart. Codes go to the
/// development outbox.
fn identity(outbox: Arc<DevOutbox>) -> anyhow::Result<IdentityConfig> {
    let mut config = IdentityConfig::random(outbox);
    config.phone_lookup_key = PhoneLookupKey::new(key_file("phone-lookup")?);
    config.otp_key = OtpKey::new(key_file("otp")?);
    config.real_name = cardlife_app::identity::RealNameConfig::new(
        key_file("resident-id-lookup")?,
        key_file("real-name-vault")?,
    );
    Ok(config)
}

/// A 32-byte key in `data/keys/NAME` (64 hex digits), made at first use.
pub fn key_file(name: &str) -> anyhow::Result<[u8; 32]> {
    let path = std::path::Path::new(KEYS_DIR).join(name);
    if let Ok(text) = std::fs::read_to_string(&path) {
        let text = text.trim();
        let mut key = [0u8; 32];
        anyhow::ensure!(
            text.len() == 64,
            "{} must hold 64 hex digits",
            path.display()
        );
        for (i, byte) in key.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16)?;
        }
        return Ok(key);
    }
    let key: [u8; 32] = rand::random();
    std::fs::create_dir_all(KEYS_DIR)?;
    write_private(
        &path,
        &key.iter().map(|b| format!("{b:02x}")).collect::<String>(),
    )?;
    tracing::info!(path = %path.display(), "made a key");
    Ok(key)
}

/// Where generated keys are kept.
const KEYS_DIR: &str = "data/keys";

/// Where the generated internal token is kept.
const TOKEN_FILE: &str = "data/internal-token";

#[cfg(unix)]
pub(crate) fn write_private(path: &std::path::Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(contents.as_bytes())
}

#[cfg(not(unix))]
pub(crate) fn write_private(path: &std::path::Path, contents: &str) -> std::io::Result<()> {
    std::fs::write(path, contents)
}

pub(crate) async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down");
}
