//! `cardlife quote installment …` and `cardlife quote loan …`: schedules with the annualised rate,
//! as a table or as the JSON of docs/cli.md. Text is parsed into domain types here, at the edge;
//! the arithmetic lives in `cardlife_credit::quote`.

use std::io::{self, Write};
use std::process::ExitCode;

use anyhow::{Context, anyhow};
use cardlife_credit::quote::{
    FeeMode, InstallmentQuote, InstallmentQuoteView, LoanQuote, LoanQuoteView, PERIODS_MAX,
    Periods, RepaymentMethod, format_percent,
};
use cardlife_kernel::{Money, Rate};

/// Quote commands.
#[derive(Debug, clap::Subcommand)]
pub enum QuoteCommand {
    /// An installment plan (分期): principal and fee per period, APR and EAR.
    Installment(InstallmentArgs),
    /// A consumer loan (贷款): payment, interest, principal and balance per month, and the APR.
    Loan(LoanArgs),
}

/// `cardlife quote installment`. Values are taken as text and checked here so that every bad
/// input gets a one-line message (negative numbers included).
#[derive(Debug, clap::Args)]
pub struct InstallmentArgs {
    /// Principal, at most two decimals (12000.00).
    #[arg(long, allow_hyphen_values = true)]
    amount: String,
    /// Number of monthly periods, 1 to 60.
    #[arg(long, allow_hyphen_values = true)]
    periods: String,
    /// Fee rate per period as a decimal (0.006 = 0.60%).
    #[arg(long, allow_hyphen_values = true)]
    rate: String,
    /// per_period (a fee every period) or upfront (the whole fee at booking).
    #[arg(long, default_value = "per_period", allow_hyphen_values = true)]
    fee_mode: String,
    /// Print the JSON of docs/cli.md instead of a table.
    #[arg(long)]
    json: bool,
}

/// `cardlife quote loan`.
#[derive(Debug, clap::Args)]
pub struct LoanArgs {
    /// Principal, at most two decimals (100000.00).
    #[arg(long, allow_hyphen_values = true)]
    amount: String,
    /// Number of monthly periods, 1 to 60.
    #[arg(long, allow_hyphen_values = true)]
    periods: String,
    /// Nominal annual rate as a decimal (0.04 = 4%); the monthly rate is a twelfth of it.
    #[arg(long, allow_hyphen_values = true)]
    annual_rate: String,
    /// equal_installment (等额本息) or equal_principal (等额本金).
    #[arg(long, allow_hyphen_values = true)]
    method: String,
    /// Print the JSON of docs/cli.md instead of a table.
    #[arg(long)]
    json: bool,
}

/// Runs a quote command.
pub fn run(command: QuoteCommand) -> anyhow::Result<ExitCode> {
    match command {
        QuoteCommand::Installment(args) => installment(&args)?,
        QuoteCommand::Loan(args) => loan(&args)?,
    }
    Ok(ExitCode::SUCCESS)
}

fn installment(args: &InstallmentArgs) -> anyhow::Result<()> {
    let amount = parse_amount(&args.amount)?;
    let periods = parse_periods(&args.periods)?;
    let rate = parse_rate("--rate", &args.rate)?;
    let fee_mode: FeeMode = args.fee_mode.parse()?;
    let quote = InstallmentQuote::new(amount, periods, rate, fee_mode)?;
    let mut out = io::stdout().lock();
    if args.json {
        let json = serde_json::to_string(&InstallmentQuoteView::from(&quote))?;
        writeln!(out, "{json}")?;
    } else {
        write_installment_table(&mut out, &quote)?;
    }
    out.flush()?;
    Ok(())
}

fn loan(args: &LoanArgs) -> anyhow::Result<()> {
    let amount = parse_amount(&args.amount)?;
    let periods = parse_periods(&args.periods)?;
    let annual_rate = parse_rate("--annual-rate", &args.annual_rate)?;
    let method: RepaymentMethod = args.method.parse()?;
    let quote = LoanQuote::new(amount, periods, annual_rate, method)?;
    let mut out = io::stdout().lock();
    if args.json {
        let json = serde_json::to_string(&LoanQuoteView::from(&quote))?;
        writeln!(out, "{json}")?;
    } else {
        write_loan_table(&mut out, &quote)?;
    }
    out.flush()?;
    Ok(())
}

fn parse_amount(text: &str) -> anyhow::Result<Money> {
    Money::parse_cny(text).with_context(|| format!("--amount {text:?}"))
}

fn parse_periods(text: &str) -> anyhow::Result<Periods> {
    // Anything that is not a whole number in range gets the same precise message.
    let out_of_range =
        || anyhow!("--periods {text:?}: periods must be a whole number from 1 to {PERIODS_MAX}");
    let n: u32 = text.parse().map_err(|_| out_of_range())?;
    Periods::new(n).map_err(|_| out_of_range())
}

fn parse_rate(flag: &str, text: &str) -> anyhow::Result<Rate> {
    let rate = Rate::parse(text).with_context(|| format!("{flag} {text:?}"))?;
    if rate.is_negative() {
        return Err(anyhow!("{flag} {text:?}: rate must not be negative"));
    }
    Ok(rate)
}

/// The annualised rate first and most prominent, as the regulator asks; then the schedule.
fn write_installment_table(out: &mut impl Write, q: &InstallmentQuote) -> io::Result<()> {
    let a = q.annualised();
    writeln!(
        out,
        "APR {}%   EAR {}%",
        format_percent(a.apr_percent()),
        format_percent(a.ear_percent())
    )?;
    writeln!(
        out,
        "installment of {} over {} periods at {} per period, fee {}",
        q.amount(),
        q.periods().get(),
        q.rate(),
        q.fee_mode()
    )?;
    writeln!(
        out,
        "{:>6} {:>14} {:>12} {:>14}",
        "period", "principal", "fee", "payment"
    )?;
    for r in q.schedule() {
        writeln!(
            out,
            "{:>6} {:>14} {:>12} {:>14}",
            r.period,
            r.principal.to_string(),
            r.fee.to_string(),
            r.payment.to_string()
        )?;
    }
    writeln!(out, "total fee {}", q.total_fee())?;
    writeln!(out, "upfront fee {} (charged at booking)", q.upfront_fee())
}

fn write_loan_table(out: &mut impl Write, q: &LoanQuote) -> io::Result<()> {
    writeln!(out, "APR {}%", format_percent(q.annualised().apr_percent()))?;
    writeln!(
        out,
        "loan of {} over {} months at {} a year, {}",
        q.amount(),
        q.periods().get(),
        q.annual_rate(),
        q.method()
    )?;
    writeln!(
        out,
        "{:>6} {:>14} {:>12} {:>14} {:>16}",
        "period", "payment", "interest", "principal", "balance"
    )?;
    for r in q.schedule() {
        writeln!(
            out,
            "{:>6} {:>14} {:>12} {:>14} {:>16}",
            r.period,
            r.payment.to_string(),
            r.interest.to_string(),
            r.principal.to_string(),
            r.balance.to_string()
        )?;
    }
    writeln!(out, "total interest {}", q.total_interest())
}
