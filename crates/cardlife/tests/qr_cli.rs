//! `cardlife qr decode|encode` on the built binary, against payloads built by hand here (with a
//! CRC computed here, not by the codec under test).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Output, Stdio};

use serde_json::{Value, json};

fn cardlife(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cardlife"))
        .args(args)
        .env_remove("RUST_LOG")
        .env_remove("CARDLIFE_LOG_FORMAT")
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

/// `cardlife qr decode PAYLOAD --json`, which must succeed.
fn decode_json(payload: &str) -> Value {
    let out = cardlife(&["qr", "decode", payload, "--json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "decode {payload:?} failed:\n{}",
        stderr(&out)
    );
    serde_json::from_slice(&out.stdout).expect("decode --json prints JSON")
}

/// Exit 2, one line on stderr, no panic.
fn assert_rejected(payload: &str) -> String {
    let out = cardlife(&["qr", "decode", payload, "--json"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{payload:?}:\n{err}");
    assert!(!err.contains("panicked"), "{payload:?} panicked:\n{err}");
    assert_eq!(err.lines().count(), 1, "{payload:?}: not one line:\n{err}");
    assert!(
        stdout(&out).is_empty(),
        "{payload:?} printed:\n{}",
        stdout(&out)
    );
    err
}

/// One data object, its length counted in characters.
fn tlv(tag: &str, value: &str) -> String {
    format!("{tag}{:02}{value}", value.chars().count())
}

/// CRC-16/CCITT-FALSE, written out here independently of the codec.
fn crc16(bytes: &[u8]) -> u16 {
    let mut crc: u16 = 0xFFFF;
    for &byte in bytes {
        crc ^= u16::from(byte) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 == 0 {
                crc << 1
            } else {
                (crc << 1) ^ 0x1021
            };
        }
    }
    crc
}

/// `body` + `6304` + the CRC of both, upper-case.
fn signed(body: &str) -> String {
    let covered = format!("{body}6304");
    format!("{covered}{:04X}", crc16(covered.as_bytes()))
}

fn account_template() -> String {
    tlv("26", &(tlv("00", "com.cardlife") + &tlv("01", "mer_0001")))
}

fn static_body() -> String {
    [
        tlv("00", "01"),
        tlv("01", "11"),
        account_template(),
        tlv("52", "5812"),
        tlv("53", "156"),
        tlv("58", "CN"),
        tlv("59", "LAOWANG NOODLES"),
        tlv("60", "SHANGHAI"),
    ]
    .concat()
}

#[test]
fn the_independent_crc_matches_the_standard_check_value() {
    assert_eq!(crc16(b"123456789"), 0x29B1);
}

#[test]
fn a_static_payload_built_by_hand_decodes_to_the_contract_json() {
    let payload = signed(&static_body());
    let crc = &payload[payload.len() - 4..];
    let decoded = decode_json(&payload);
    let tags = decoded["tags"].clone();
    assert_eq!(
        decoded,
        json!({
            "payload_format": "01",
            "point_of_initiation": "static",
            "merchant_name": "LAOWANG NOODLES",
            "merchant_city": "SHANGHAI",
            "mcc": "5812",
            "currency": "156",
            "country": "CN",
            "amount": null,
            "crc": crc,
            "crc_valid": true,
            "tags": tags,
        })
    );
    assert_eq!(tags[0], json!({ "tag": "00", "length": 2, "value": "01" }));
    assert_eq!(
        tags[2],
        json!({
            "tag": "26", "length": 28, "value": "0012com.cardlife0108mer_0001",
            "children": [
                { "tag": "00", "length": 12, "value": "com.cardlife" },
                { "tag": "01", "length": 8, "value": "mer_0001" },
            ],
        })
    );
    assert_eq!(tags[8], json!({ "tag": "63", "length": 4, "value": crc }));
    assert_eq!(tags.as_array().unwrap().len(), 9);
}

#[test]
fn a_dynamic_payload_carries_its_amount_verbatim() {
    let body = static_body().replace("010211", "010212")
        + &tlv("54", "0036.5")
        + &tlv("62", &tlv("01", "ORDER-42"));
    let decoded = decode_json(&signed(&body));
    assert_eq!(decoded["point_of_initiation"], "dynamic");
    assert_eq!(decoded["amount"], "0036.5");
    assert_eq!(decoded["crc_valid"], true);
    let additional = &decoded["tags"][9];
    assert_eq!(additional["tag"], "62");
    assert_eq!(additional["children"][0]["value"], "ORDER-42");
}

#[test]
fn a_chinese_merchant_name_is_measured_in_characters() {
    let body = [
        tlv("00", "01"),
        tlv("01", "11"),
        tlv("59", "老王面馆"),
        tlv("60", "上海"),
    ]
    .concat();
    assert!(body.contains("5904老王面馆6002上海"), "{body}");
    let decoded = decode_json(&signed(&body));
    assert_eq!(decoded["merchant_name"], "老王面馆");
    assert_eq!(decoded["merchant_city"], "上海");
    assert_eq!(decoded["tags"][2]["length"], 4);
    assert_eq!(decoded["crc_valid"], true);
}

#[test]
fn a_wrong_crc_still_decodes_and_exits_zero_with_crc_valid_false() {
    let good = signed(&static_body());
    let (covered, crc) = good.split_at(good.len() - 4);
    let wrong = format!("{:04X}", u16::from_str_radix(crc, 16).unwrap() ^ 0x0100);
    let decoded = decode_json(&format!("{covered}{wrong}"));
    assert_eq!(decoded["crc_valid"], false);
    assert_eq!(decoded["crc"], wrong);
    assert_eq!(decoded["merchant_name"], "LAOWANG NOODLES");
}

#[test]
fn a_changed_field_under_a_kept_crc_is_caught() {
    let good = signed(&static_body());
    let tampered = good.replace("SHANGHAI", "SHENZHEN");
    assert_eq!(decode_json(&tampered)["crc_valid"], false);
}

#[test]
fn a_lower_case_crc_is_accepted_and_reported_as_found() {
    // A CRC of digits only has no case: pick the first merchant whose CRC has a letter.
    let good = (0..100)
        .map(|n| signed(&static_body().replace("mer_0001", &format!("mer_{n:04}"))))
        .find(|payload| {
            payload[payload.len() - 4..]
                .bytes()
                .any(|b| b.is_ascii_alphabetic())
        })
        .unwrap();
    let (covered, crc) = good.split_at(good.len() - 4);
    let lower = crc.to_ascii_lowercase();
    let decoded = decode_json(&format!("{covered}{lower}"));
    assert_eq!(decoded["crc_valid"], true);
    assert_eq!(decoded["crc"], lower);
}

#[test]
fn a_truncated_payload_exits_2_with_one_line() {
    let payload = signed(&static_body());
    let err = assert_rejected(&payload[..payload.len() - 6]);
    assert!(err.contains("truncated"), "{err}");
    assert_rejected("0");
    assert_rejected("000");
}

#[test]
fn a_length_overrunning_the_payload_exits_2_with_one_line() {
    let err = assert_rejected("0002015920老王面馆");
    assert!(err.contains("length 20"), "{err}");
    // Four characters but twelve bytes: a byte-counting parser would not see the overrun.
    assert_rejected("0002015905老王面馆");
}

#[test]
fn non_digit_tags_and_lengths_exit_2_with_one_line() {
    let err = assert_rejected("0002015A02AB");
    assert!(err.contains("tag"), "{err}");
    let err = assert_rejected("00020159x2AB");
    assert!(err.contains("length"), "{err}");
    assert_rejected("老王0101");
    assert_rejected("00020159\n2AB");
    assert_rejected("");
}

#[test]
fn a_template_whose_value_is_not_tlv_has_null_children() {
    let body = tlv("00", "01") + &tlv("26", "hello, world") + &tlv("62", "");
    let decoded = decode_json(&signed(&body));
    let template = &decoded["tags"][1];
    assert_eq!(template["value"], "hello, world");
    assert_eq!(template["length"], 12);
    assert!(template.as_object().unwrap().contains_key("children"));
    assert_eq!(template["children"], Value::Null);
    // An empty template is valid TLV: no children, but a list.
    assert_eq!(decoded["tags"][2]["children"], json!([]));
    // A primitive has no `children` key at all.
    assert!(
        !decoded["tags"][0]
            .as_object()
            .unwrap()
            .contains_key("children")
    );
    assert_eq!(decoded["crc_valid"], true);
}

#[test]
fn a_repeated_tag_is_listed_twice_and_named_fields_take_the_first() {
    let body = static_body() + &tlv("59", "SECOND NAME");
    let decoded = decode_json(&signed(&body));
    assert_eq!(decoded["merchant_name"], "LAOWANG NOODLES");
    let names: Vec<&Value> = decoded["tags"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["tag"] == "59")
        .map(|t| &t["value"])
        .collect();
    assert_eq!(names, [&json!("LAOWANG NOODLES"), &json!("SECOND NAME")]);
}

#[test]
fn absent_tags_and_other_initiation_values_are_null() {
    let decoded = decode_json(&(tlv("00", "01") + &tlv("01", "13")));
    for field in [
        "point_of_initiation",
        "merchant_name",
        "merchant_city",
        "mcc",
        "currency",
        "country",
        "amount",
        "crc",
    ] {
        assert_eq!(decoded[field], Value::Null, "{field}");
    }
    assert_eq!(decoded["crc_valid"], false);
}

#[test]
fn decode_without_json_prints_a_readable_listing() {
    let out = cardlife(&["qr", "decode", &signed(&static_body())]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("LAOWANG NOODLES"), "{text}");
    assert!(text.contains("static"), "{text}");
    assert!(text.contains("(valid)"), "{text}");
    assert!(text.contains("com.cardlife"), "{text}");
}

#[test]
fn encode_prints_a_signed_payload_that_decodes_back() {
    let out = cardlife(&[
        "qr",
        "encode",
        "--merchant-name",
        "老王面馆",
        "--merchant-city",
        "上海",
        "--mcc",
        "5812",
        "--currency",
        "156",
        "--country",
        "CN",
        "--amount",
        "36.50",
        "--account",
        "mer_0001",
        "--bill-number",
        "ORDER-42",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let payload = stdout(&out).trim_end().to_owned();
    let (covered, crc) = payload.split_at(payload.len() - 4);
    assert!(covered.ends_with("6304"), "{payload}");
    assert_eq!(crc, format!("{:04X}", crc16(covered.as_bytes())));
    let decoded = decode_json(&payload);
    assert_eq!(decoded["point_of_initiation"], "dynamic");
    assert_eq!(decoded["merchant_name"], "老王面馆");
    assert_eq!(decoded["merchant_city"], "上海");
    assert_eq!(decoded["amount"], "36.50");
    assert_eq!(decoded["crc_valid"], true);
    let account = decoded["tags"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["tag"] == "26")
        .unwrap();
    assert_eq!(account["children"][1]["value"], "mer_0001");
}

#[test]
fn encode_without_an_amount_makes_a_static_code() {
    let out = cardlife(&[
        "qr",
        "encode",
        "--merchant-name",
        "LAOWANG NOODLES",
        "--merchant-city",
        "SHANGHAI",
        "--mcc",
        "5812",
        "--account",
        "mer_0001",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let payload = stdout(&out).trim_end().to_owned();
    assert_eq!(payload, signed(&static_body()));
}

#[test]
fn encode_refuses_a_bad_amount_or_an_overlong_value_in_one_line() {
    let long_name = "面".repeat(100);
    let long_bill = "B".repeat(96);
    for (bad_flag, bad_value, needle) in [
        ("--amount", "36.505", "amount"),
        ("--amount", "1,000", "amount"),
        ("--amount", "12345678901", "amount"),
        ("--merchant-name", long_name.as_str(), "99"),
        ("--bill-number", long_bill.as_str(), "99"),
        ("--mcc", "58", "merchant category code"),
    ] {
        let mut args = vec!["qr", "encode"];
        for (flag, value) in [
            ("--merchant-name", "N"),
            ("--merchant-city", "C"),
            ("--mcc", "5812"),
            ("--account", "mer_0001"),
        ] {
            if flag != bad_flag {
                args.extend([flag, value]);
            }
        }
        args.extend([bad_flag, bad_value]);
        let out = cardlife(&args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{bad_flag} {bad_value}:\n{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(needle), "{err}");
        assert!(!err.contains("panicked"), "{err}");
        assert!(stdout(&out).is_empty());
    }
}
