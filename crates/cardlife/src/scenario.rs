//! `cardlife scenario run FILE [--json]`: replays a credit-card account's life day by day on the
//! real billing engine (`cardlife_credit::billing`) with an in-memory ledger, then checks the
//! ledger's invariants and that every statement reconciles to it.
//!
//! Exit codes: 0 success; 1 the ledger disagrees with the engine (a bug); 2 a bad file, product
//! or event (one line on stderr).

use std::path::PathBuf;
use std::process::ExitCode;

use cardlife_credit::billing::{
    Engine, Event, EventKind, Outcome, Product, ProductVersions, PurchaseRef, Statement, Terms,
};
use cardlife_credit::quote::FeeMode;
use cardlife_kernel::{Money, Rate};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// Scenario commands.
#[derive(Debug, clap::Subcommand)]
pub enum ScenarioCommand {
    /// Replay a scenario file and print its statements and the account at the end.
    Run {
        /// The scenario (TOML, see docs/cli.md).
        file: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Runs a scenario command.
pub async fn run(command: ScenarioCommand) -> anyhow::Result<ExitCode> {
    match command {
        ScenarioCommand::Run { file, json } => Ok(run_file(&file, json)),
    }
}

fn run_file(file: &std::path::Path, json: bool) -> ExitCode {
    let outcome = match load(file).and_then(|(scenario, events)| replay(scenario, &events)) {
        Ok(o) => o,
        Err(message) => {
            eprintln!("cardlife: {}", one_line(&message));
            return ExitCode::from(2);
        }
    };
    let problems = outcome.reconciliation_problems();
    if !problems.is_empty() {
        eprintln!(
            "cardlife: ledger does not reconcile: {}",
            one_line(&problems.join("; "))
        );
        return ExitCode::from(1);
    }
    let report = Report::of(&outcome);
    if json {
        match serde_json::to_string_pretty(&report) {
            Ok(text) => println!("{text}"),
            Err(e) => {
                eprintln!("cardlife: {e}");
                return ExitCode::from(1);
            }
        }
    } else {
        print_table(&report);
    }
    ExitCode::SUCCESS
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

// ----- input -----

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScenarioFile {
    #[allow(dead_code)]
    name: Option<String>,
    #[serde(default)]
    product: toml::Table,
    #[serde(default)]
    product_change: Vec<toml::Table>,
    account: AccountSection,
    #[serde(default)]
    event: Vec<EventSection>,
    run: RunSection,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AccountSection {
    opened: Date,
    credit_limit: Money,
    /// `"YYYY-MM"`: the card is valid through the last day of that month.
    card_expires: Option<String>,
}

/// `"YYYY-MM"` as (year, month).
fn year_month(text: &str) -> Result<(i16, i8), String> {
    let bad = || format!("[account] card_expires `{text}`: expected \"YYYY-MM\"");
    let (y, m) = text.split_once('-').ok_or_else(bad)?;
    if y.len() != 4 || m.len() != 2 {
        return Err(bad());
    }
    let year = y.parse::<i16>().map_err(|_| bad())?;
    let month = m.parse::<i8>().map_err(|_| bad())?;
    if !(1..=12).contains(&month) {
        return Err(bad());
    }
    Ok((year, month))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RunSection {
    until: Date,
}

/// One `[[event]]` as written; fields of event types we run are checked in [`to_event`].
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct EventSection {
    date: Date,
    #[serde(rename = "type")]
    kind: String,
    amount: Option<Money>,
    until: Option<Date>,
    mcc: Option<String>,
    merchant: Option<String>,
    channel: Option<String>,
    periods: Option<i64>,
    rate: Option<String>,
    fee_mode: Option<String>,
    purchase: Option<i64>,
    plan: Option<i64>,
}

fn load(file: &std::path::Path) -> Result<(Loaded, Vec<Event>), String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let scenario: ScenarioFile =
        toml::from_str(&text).map_err(|e| format!("{}: {}", file.display(), e.message()))?;
    let versions = product_versions(&scenario).map_err(|e| format!("{}: {e}", file.display()))?;
    let events = scenario
        .event
        .iter()
        .enumerate()
        .map(|(i, e)| {
            to_event(i + 1, e)
                .map_err(|m| format!("{}: event {} on {}: {m}", file.display(), i + 1, e.date))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok((Loaded { scenario, versions }, events))
}

/// A parsed file and its product versions.
struct Loaded {
    scenario: ScenarioFile,
    versions: ProductVersions,
}

/// `[product]` is version 1, in force from the opening date; each `[[product_change]]` is the
/// next version from its `effective` date, with the previous version's parameters where it
/// names none.
fn product_versions(scenario: &ScenarioFile) -> Result<ProductVersions, String> {
    let parse = |table: &toml::Table, what: &str| {
        Product::deserialize(toml::Value::Table(table.clone()))
            .map_err(|e| format!("{what}: {}", e.message()))
    };
    let mut table = scenario.product.clone();
    let mut versions = vec![(scenario.account.opened, parse(&table, "[product]")?)];
    for (i, change) in scenario.product_change.iter().enumerate() {
        let what = format!("product_change {}", i + 1);
        let effective = match change.get("effective") {
            Some(toml::Value::String(text)) => text
                .parse::<Date>()
                .map_err(|e| format!("{what}: effective `{text}`: {e}"))?,
            Some(toml::Value::Datetime(dt)) => dt
                .to_string()
                .parse::<Date>()
                .map_err(|e| format!("{what}: effective `{dt}`: {e}"))?,
            Some(other) => return Err(format!("{what}: effective must be a date, got {other}")),
            None => return Err(format!("{what}: `effective` is required")),
        };
        for (key, value) in change.iter().filter(|(k, _)| *k != "effective") {
            table.insert(key.clone(), value.clone());
        }
        versions.push((effective, parse(&table, &what)?));
    }
    ProductVersions::new(versions).map_err(|e| e.to_string())
}

/// `periods`, `rate` and `fee_mode` of an installment booking.
fn terms(e: &EventSection) -> Result<Terms, String> {
    let periods = e.periods.ok_or("`periods` is required")?;
    let periods = u32::try_from(periods)
        .map_err(|_| format!("periods must be from 1 to 60, got {periods}"))?;
    let rate = e.rate.as_deref().ok_or("`rate` is required")?;
    let rate = Rate::parse(rate).map_err(|err| format!("rate `{rate}`: {err}"))?;
    let fee_mode = match e.fee_mode.as_deref() {
        None => FeeMode::PerPeriod,
        Some(text) => text.parse::<FeeMode>().map_err(|err| err.to_string())?,
    };
    Ok(Terms {
        periods,
        rate,
        fee_mode,
    })
}

/// A 1-based index field (`purchase`, `plan`).
fn one_based(value: Option<i64>, name: &str) -> Result<usize, String> {
    let n = value.ok_or_else(|| format!("`{name}` is required"))?;
    usize::try_from(n)
        .ok()
        .filter(|n| *n >= 1)
        .ok_or_else(|| format!("`{name}` is a 1-based index, got {n}"))
}

fn to_event(_index: usize, e: &EventSection) -> Result<Event, String> {
    let kind = match e.kind.as_str() {
        "purchase_installment" => EventKind::PurchaseInstallment {
            purchase: PurchaseRef::Nth(one_based(e.purchase, "purchase")?),
            terms: terms(e)?,
        },
        "settle_installment" => EventKind::SettleInstallment {
            plan: one_based(e.plan, "plan")?,
        },
        "freeze" | "unfreeze" | "close" => {
            if e.amount.is_some() {
                return Err(format!("`{}` takes no amount", e.kind));
            }
            match e.kind.as_str() {
                "freeze" => EventKind::Freeze,
                "unfreeze" => EventKind::Unfreeze,
                _ => EventKind::Close,
            }
        }
        _ => to_amount_event(e)?,
    };
    Ok(Event { date: e.date, kind })
}

fn to_amount_event(e: &EventSection) -> Result<EventKind, String> {
    let amount = e.amount.ok_or("`amount` is required")?;
    let kind = match e.kind.as_str() {
        "bill_installment" => EventKind::BillInstallment {
            amount,
            terms: terms(e)?,
        },
        "purchase" => EventKind::Purchase { amount },
        "refund" => EventKind::Refund { amount },
        "cash_advance" => {
            if let Some(ch) = e
                .channel
                .as_deref()
                .filter(|c| !matches!(*c, "atm" | "transfer"))
            {
                return Err(format!("unknown channel `{ch}` (atm or transfer)"));
            }
            EventKind::CashAdvance { amount }
        }
        "payment" => EventKind::Payment { amount },
        "temp_limit" => EventKind::TempLimit {
            amount,
            until: e.until.ok_or("`until` is required for temp_limit")?,
        },
        other => return Err(format!("unknown event type `{other}`")),
    };
    Ok(kind)
}

fn replay(loaded: Loaded, events: &[Event]) -> Result<Outcome, String> {
    let Loaded { scenario, versions } = loaded;
    let mut engine = Engine::open_versioned(
        versions,
        scenario.account.opened,
        scenario.account.credit_limit,
    )
    .map_err(|e| e.to_string())?;
    if let Some(text) = scenario.account.card_expires.as_deref() {
        let (year, month) = year_month(text)?;
        engine = engine
            .with_card_expiry(year, month)
            .map_err(|e| e.to_string())?;
    }
    engine
        .run(events, scenario.run.until)
        .map_err(|e| e.to_string())
}

// ----- output -----

#[derive(Debug, Serialize)]
struct Report {
    statements: Vec<StatementOut>,
    account: AccountOut,
}

#[derive(Debug, Serialize)]
struct StatementOut {
    statement_date: Date,
    due_date: Date,
    previous_balance: Money,
    payments_credits: Money,
    purchases: Money,
    cash_advances: Money,
    interest: Money,
    fees: Money,
    installments: Money,
    balance: Money,
    minimum_payment: Money,
    product_version: usize,
}

#[derive(Debug, Serialize)]
struct AccountOut {
    as_of: Date,
    balance: Money,
    available_credit: Money,
    days_past_due: i64,
}

impl Report {
    fn of(o: &Outcome) -> Self {
        Self {
            statements: o.statements.iter().map(StatementOut::of).collect(),
            account: AccountOut {
                as_of: o.as_of,
                balance: o.balance,
                available_credit: o.available_credit,
                days_past_due: o.days_past_due,
            },
        }
    }
}

impl StatementOut {
    fn of(s: &Statement) -> Self {
        Self {
            statement_date: s.statement_date,
            due_date: s.due_date,
            previous_balance: s.previous_balance,
            payments_credits: s.totals.payments_credits,
            purchases: s.totals.purchases,
            cash_advances: s.totals.cash_advances,
            interest: s.totals.interest,
            fees: s.totals.fees,
            installments: s.totals.installments,
            balance: s.balance,
            minimum_payment: s.minimum_payment,
            product_version: s.product_version,
        }
    }
}

fn print_table(r: &Report) {
    println!(
        "{:<10} {:<10} {:>12} {:>12} {:>12} {:>12} {:>10} {:>10} {:>10} {:>12} {:>12}",
        "statement",
        "due",
        "previous",
        "pay/credit",
        "purchases",
        "cash",
        "interest",
        "fees",
        "instal.",
        "balance",
        "minimum"
    );
    for s in &r.statements {
        println!(
            "{:<10} {:<10} {:>12} {:>12} {:>12} {:>12} {:>10} {:>10} {:>10} {:>12} {:>12}",
            s.statement_date.to_string(),
            s.due_date.to_string(),
            s.previous_balance.to_string(),
            s.payments_credits.to_string(),
            s.purchases.to_string(),
            s.cash_advances.to_string(),
            s.interest.to_string(),
            s.fees.to_string(),
            s.installments.to_string(),
            s.balance.to_string(),
            s.minimum_payment.to_string(),
        );
    }
    let a = &r.account;
    println!(
        "as of {}: balance {}, available credit {}, days past due {}",
        a.as_of, a.balance, a.available_credit, a.days_past_due
    );
}
