//! `cardlife quote installment` and `cardlife quote loan` on the built binary: the exact JSON of
//! docs/cli.md and docs/domain.md §4–§5, the readable table, and one-line failures on bad input.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Output, Stdio};

use serde_json::{Value, json};

fn quote(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cardlife"))
        .arg("quote")
        .args(args)
        .env_remove("RUST_LOG")
        .env_remove("DATABASE_URL")
        .current_dir(std::env::temp_dir())
        .stdin(Stdio::null())
        .output()
        .expect("run cardlife")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs a quote with `--json`, expects success, returns the parsed output.
fn quote_json(args: &[&str]) -> Value {
    let mut args = args.to_vec();
    args.push("--json");
    let out = quote(&args);
    assert!(out.status.success(), "{args:?} failed:\n{}", stderr(&out));
    serde_json::from_str(&stdout(&out)).unwrap()
}

/// A failure as the contracts ask: exit 2 (main's code for an error), one line, no panic.
fn assert_one_line_failure(args: &[&str], needle: &str) {
    let out = quote(args);
    let err = stderr(&out);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{args:?}: {err}{}",
        stdout(&out)
    );
    assert!(!err.contains("panicked"), "{args:?} panicked:\n{err}");
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "{args:?}: not one line on stderr:\n{err}");
    assert!(lines[0].starts_with("cardlife: "), "{args:?}: {err}");
    assert!(err.contains(needle), "{args:?}: {err:?} lacks {needle:?}");
    assert!(stdout(&out).is_empty(), "{args:?} printed {}", stdout(&out));
}

/// `n` installment rows of the same principal, fee and payment.
fn level_rows(n: u32, principal: &str, fee: &str, payment: &str) -> Vec<Value> {
    (1..=n)
        .map(|period| json!({"period": period, "principal": principal, "fee": fee, "payment": payment}))
        .collect()
}

#[test]
fn installment_json_is_exactly_the_contract_example() {
    let got = quote_json(&[
        "installment",
        "--amount",
        "12000.00",
        "--periods",
        "12",
        "--rate",
        "0.006",
    ]);
    let expected = json!({
        "amount": "12000.00", "periods": 12, "rate": "0.006", "fee_mode": "per_period",
        "schedule": level_rows(12, "1000.00", "72.00", "1072.00"),
        "total_fee": "864.00",
        "upfront_fee": "0.00",
        "apr_percent": "13.03",
        "ear_percent": "13.84"
    });
    assert_eq!(got, expected);
}

#[test]
fn installment_json_reproduces_every_row_of_the_domain_table() {
    // (periods, fee mode, first payment, upfront fee, APR, EAR) from docs/domain.md §4.
    let table = [
        ("3", "per_period", "4072.00", "0.00", "10.77", "11.32"),
        ("12", "per_period", "1072.00", "0.00", "13.03", "13.84"),
        ("24", "per_period", "572.00", "0.00", "13.27", "14.10"),
        ("12", "upfront", "1000.00", "864.00", "14.02", "14.96"),
    ];
    for (n, mode, payment, upfront, apr, ear) in table {
        let got = quote_json(&[
            "installment",
            "--amount",
            "12000",
            "--periods",
            n,
            "--rate",
            "0.006",
            "--fee-mode",
            mode,
        ]);
        let row = &got["schedule"][0];
        assert_eq!(
            (row["payment"].as_str(), got["upfront_fee"].as_str()),
            (Some(payment), Some(upfront)),
            "{n} {mode}: {got}"
        );
        assert_eq!(
            (got["apr_percent"].as_str(), got["ear_percent"].as_str()),
            (Some(apr), Some(ear)),
            "{n} {mode}: {got}"
        );
        assert_eq!(got["fee_mode"], mode);
        assert_eq!(got["amount"], "12000.00");
    }
}

#[test]
fn installment_upfront_json_has_zero_row_fees_and_the_whole_fee_upfront() {
    let got = quote_json(&[
        "installment",
        "--amount",
        "12000.00",
        "--periods",
        "12",
        "--rate",
        "0.006",
        "--fee-mode",
        "upfront",
    ]);
    let expected = json!({
        "amount": "12000.00", "periods": 12, "rate": "0.006", "fee_mode": "upfront",
        "schedule": level_rows(12, "1000.00", "0.00", "1000.00"),
        "total_fee": "864.00",
        "upfront_fee": "864.00",
        "apr_percent": "14.02",
        "ear_percent": "14.96"
    });
    assert_eq!(got, expected);
}

#[test]
fn installment_puts_the_remainder_of_an_uneven_amount_on_the_last_period() {
    let got = quote_json(&[
        "installment",
        "--amount",
        "100",
        "--periods",
        "3",
        "--rate",
        "0.00125",
    ]);
    let principals: Vec<&str> = got["schedule"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["principal"].as_str().unwrap())
        .collect();
    assert_eq!(principals, ["33.33", "33.33", "33.34"]);
    // 100.00 × 0.00125 = 0.125, half-up 0.13 in every period.
    assert_eq!(got["schedule"][2]["fee"], "0.13");
    assert_eq!(got["schedule"][2]["payment"], "33.47");
    assert_eq!(got["total_fee"], "0.39");
}

#[test]
fn loan_equal_installment_json_matches_the_contract_example() {
    let got = quote_json(&[
        "loan",
        "--amount",
        "100000.00",
        "--periods",
        "36",
        "--annual-rate",
        "0.04",
        "--method",
        "equal_installment",
    ]);
    let schedule = got["schedule"].as_array().unwrap();
    assert_eq!(schedule.len(), 36);
    let mut top = got.clone();
    top.as_object_mut().unwrap().remove("schedule");
    assert_eq!(
        top,
        json!({
            "amount": "100000.00", "periods": 36, "annual_rate": "0.04", "method": "equal_installment",
            "total_interest": "6286.35",
            "apr_percent": "4.00"
        })
    );
    assert_eq!(
        schedule[0],
        json!({ "period": 1, "payment": "2952.40", "interest": "333.33", "principal": "2619.07", "balance": "97380.93" })
    );
    // Period 31 opens at 17,509.50: interest 58.365 exactly, a tie, half-up 58.37.
    assert_eq!(
        schedule[30],
        json!({ "period": 31, "payment": "2952.40", "interest": "58.37", "principal": "2894.03", "balance": "14615.47" })
    );
    // The last period clears the balance: remaining principal plus its interest.
    assert_eq!(
        schedule[35],
        json!({ "period": 36, "payment": "2952.35", "interest": "9.81", "principal": "2942.54", "balance": "0.00" })
    );
}

#[test]
fn loan_equal_principal_json_matches_the_domain_example() {
    let got = quote_json(&[
        "loan",
        "--amount",
        "100000.00",
        "--periods",
        "36",
        "--annual-rate",
        "0.04",
        "--method",
        "equal_principal",
    ]);
    assert_eq!(got["method"], "equal_principal");
    assert_eq!(
        got["schedule"][0],
        json!({ "period": 1, "payment": "3111.11", "interest": "333.33", "principal": "2777.78", "balance": "97222.22" })
    );
    assert_eq!(got["schedule"][35]["balance"], "0.00");
    assert_eq!(got["total_interest"], "6166.67");
    assert_eq!(got["apr_percent"], "4.00");
}

#[test]
fn every_amount_in_the_json_has_exactly_two_decimals() {
    fn two_decimals(s: &str) -> bool {
        let Some((units, cents)) = s.split_once('.') else {
            return false;
        };
        !units.is_empty()
            && units.bytes().all(|b| b.is_ascii_digit())
            && cents.len() == 2
            && cents.bytes().all(|b| b.is_ascii_digit())
    }
    let loan = quote_json(&[
        "loan",
        "--amount",
        "777.77",
        "--periods",
        "7",
        "--annual-rate",
        "0.0365",
        "--method",
        "equal_installment",
    ]);
    let inst = quote_json(&[
        "installment",
        "--amount",
        "777.77",
        "--periods",
        "7",
        "--rate",
        "0.0075",
    ]);
    for (doc, fields, row_fields) in [
        (
            &loan,
            &["amount", "total_interest", "apr_percent"][..],
            &["payment", "interest", "principal", "balance"][..],
        ),
        (
            &inst,
            &[
                "amount",
                "total_fee",
                "upfront_fee",
                "apr_percent",
                "ear_percent",
            ][..],
            &["principal", "fee", "payment"][..],
        ),
    ] {
        for f in fields {
            assert!(two_decimals(doc[f].as_str().unwrap()), "{f}: {doc}");
        }
        for row in doc["schedule"].as_array().unwrap() {
            for f in row_fields {
                assert!(two_decimals(row[f].as_str().unwrap()), "{f}: {row}");
            }
        }
    }
}

#[test]
fn the_table_shows_the_annualised_rate_first() {
    let out = quote(&[
        "installment",
        "--amount",
        "12000",
        "--periods",
        "12",
        "--rate",
        "0.006",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.lines().next().unwrap().contains("APR 13.03%"),
        "{text}"
    );
    assert!(
        text.contains("EAR 13.84%") && text.contains("1072.00"),
        "{text}"
    );
    let out = quote(&[
        "loan",
        "--amount",
        "100000",
        "--periods",
        "36",
        "--annual-rate",
        "0.04",
        "--method",
        "equal_principal",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.starts_with("APR 4.00%"), "{text}");
    assert!(
        text.contains("3111.11") && text.contains("total interest 6166.67"),
        "{text}"
    );
}

#[test]
fn installment_rejects_bad_input_with_one_line() {
    let base = |amount: &'static str, periods: &'static str, rate: &'static str| {
        vec![
            "installment",
            "--amount",
            amount,
            "--periods",
            periods,
            "--rate",
            rate,
        ]
    };
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (base("-100.00", "12", "0.006"), "amount must be above zero"),
        (base("0", "12", "0.006"), "amount must be above zero"),
        (
            base("100.005", "12", "0.006"),
            "3 decimal places, at most 2",
        ),
        (base("abc", "12", "0.006"), "--amount"),
        (
            base("100", "0", "0.006"),
            "periods must be a whole number from 1 to 60",
        ),
        (
            base("100", "61", "0.006"),
            "periods must be a whole number from 1 to 60",
        ),
        (
            base("100", "-3", "0.006"),
            "periods must be a whole number from 1 to 60",
        ),
        (
            base("100", "2.5", "0.006"),
            "periods must be a whole number from 1 to 60",
        ),
        (base("100", "12", "-0.006"), "rate must not be negative"),
        (base("100", "12", "1e-3"), "--rate"),
    ];
    for (args, needle) in &cases {
        assert_one_line_failure(args, needle);
    }
    let mut bad_mode = base("100", "12", "0.006");
    bad_mode.extend(["--fee-mode", "monthly"]);
    assert_one_line_failure(&bad_mode, "unknown fee mode \"monthly\"");
    assert_one_line_failure(
        &base("1000", "60", "1000000000"),
        "annualised rate above 120000%",
    );
    let mut too_costly = base("100", "12", "0.1");
    too_costly.extend(["--fee-mode", "upfront"]);
    assert_one_line_failure(
        &too_costly,
        "upfront fee 120.00 is not below the amount 100.00",
    );
}

#[test]
fn loan_rejects_bad_input_with_one_line() {
    let base =
        |amount: &'static str, periods: &'static str, rate: &'static str, method: &'static str| {
            vec![
                "loan",
                "--amount",
                amount,
                "--periods",
                periods,
                "--annual-rate",
                rate,
                "--method",
                method,
            ]
        };
    let cases = [
        (
            base("-1", "12", "0.04", "equal_installment"),
            "amount must be above zero",
        ),
        (
            base("1000.123", "12", "0.04", "equal_installment"),
            "3 decimal places, at most 2",
        ),
        (base("1000", "0", "0.04", "equal_principal"), "from 1 to 60"),
        (
            base("1000", "61", "0.04", "equal_principal"),
            "from 1 to 60",
        ),
        (
            base("1000", "12", "-0.04", "equal_principal"),
            "rate must not be negative",
        ),
        (
            base("1000", "12", "0.04", "bullet"),
            "unknown method \"bullet\"",
        ),
    ];
    for (args, needle) in &cases {
        assert_one_line_failure(args, needle);
    }
}
