//! `cardlife qr decode|encode`: EMVCo merchant-presented QR payloads (docs/cli.md).
//!
//! The codec is `cardlife_payments::qr`; this module parses flags, and shapes the output: the JSON
//! of the contract, or a listing for people.

use std::process::ExitCode;

use anyhow::Context as _;
use cardlife_payments::qr::{
    Contents, DEFAULT_ACCOUNT_GUID, DataObject, MerchantPresented, Payload,
};
use serde::Serialize;

/// QR commands.
#[derive(Debug, clap::Subcommand)]
pub enum QrCommand {
    /// Decode a payload: its named fields, its CRC verdict and every tag. Exits 2 if it is not
    /// valid TLV; a wrong CRC still exits 0 (`crc_valid: false`).
    Decode {
        /// The payload, as scanned.
        #[arg(allow_hyphen_values = true)]
        payload: String,
        /// Print the contract's JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Build a merchant-presented payload and print it, signed with its CRC.
    Encode(EncodeArgs),
}

/// The fields of a merchant's code.
#[derive(Debug, clap::Args)]
pub struct EncodeArgs {
    /// Merchant name (tag 59), up to 99 characters.
    #[arg(long)]
    merchant_name: String,
    /// Merchant city (tag 60), up to 99 characters.
    #[arg(long)]
    merchant_city: String,
    /// Merchant category code (tag 52), 4 digits.
    #[arg(long)]
    mcc: String,
    /// Currency (tag 53), ISO 4217 numeric.
    #[arg(long, default_value = "156")]
    currency: String,
    /// Country (tag 58), ISO 3166 alpha-2.
    #[arg(long, default_value = "CN")]
    country: String,
    /// Amount (tag 54), like 36.50; present makes the code dynamic, absent static.
    #[arg(long)]
    amount: Option<String>,
    /// The merchant's account (template 26, subtag 01).
    #[arg(long)]
    account: String,
    /// The scheme's globally unique identifier (template 26, subtag 00).
    #[arg(long, default_value = DEFAULT_ACCOUNT_GUID)]
    guid: String,
    /// Bill number (template 62, subtag 01).
    #[arg(long)]
    bill_number: Option<String>,
}

/// Runs a QR command.
pub fn run(command: QrCommand) -> anyhow::Result<ExitCode> {
    match command {
        QrCommand::Decode { payload, json } => decode(&payload, json),
        QrCommand::Encode(args) => encode(args),
    }
}

fn decode(input: &str, json: bool) -> anyhow::Result<ExitCode> {
    // The caller prints the error on one line and exits 2.
    let payload = Payload::decode(input).context("not a valid QR payload")?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&DecodeJson::from(&payload))?
        );
    } else {
        print!("{}", listing(&payload));
    }
    Ok(ExitCode::SUCCESS)
}

fn encode(args: EncodeArgs) -> anyhow::Result<ExitCode> {
    let qr = MerchantPresented {
        merchant_name: args.merchant_name,
        merchant_city: args.merchant_city,
        mcc: args.mcc,
        currency: args.currency,
        country: args.country,
        amount: args.amount,
        account_guid: args.guid,
        account: args.account,
        bill_number: args.bill_number,
    };
    let payload = qr.encode().context("cannot encode the QR payload")?;
    println!("{payload}");
    Ok(ExitCode::SUCCESS)
}

/// The `--json` object of docs/cli.md.
#[derive(Debug, Serialize)]
struct DecodeJson<'a> {
    payload_format: Option<&'a str>,
    point_of_initiation: Option<&'static str>,
    merchant_name: Option<&'a str>,
    merchant_city: Option<&'a str>,
    mcc: Option<&'a str>,
    currency: Option<&'a str>,
    country: Option<&'a str>,
    amount: Option<&'a str>,
    crc: Option<&'a str>,
    crc_valid: bool,
    tags: Vec<TagJson<'a>>,
}

/// One data object. `children` is absent for a primitive, `null` for a template that is not TLV.
#[derive(Debug, Serialize)]
struct TagJson<'a> {
    tag: String,
    length: usize,
    value: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    children: Option<Option<Vec<TagJson<'a>>>>,
}

impl<'a> From<&'a Payload> for DecodeJson<'a> {
    fn from(payload: &'a Payload) -> Self {
        DecodeJson {
            payload_format: payload.payload_format(),
            point_of_initiation: payload.point_of_initiation().map(|p| p.as_str()),
            merchant_name: payload.merchant_name(),
            merchant_city: payload.merchant_city(),
            mcc: payload.mcc(),
            currency: payload.currency(),
            country: payload.country(),
            amount: payload.amount(),
            crc: payload.crc(),
            crc_valid: payload.crc_valid(),
            tags: payload.objects().iter().map(TagJson::from).collect(),
        }
    }
}

impl<'a> From<&'a DataObject> for TagJson<'a> {
    fn from(object: &'a DataObject) -> Self {
        TagJson {
            tag: object.tag.to_string(),
            length: object.length(),
            value: &object.value,
            children: match &object.contents {
                Contents::Primitive => None,
                Contents::Template(children) => {
                    Some(Some(children.iter().map(Self::from).collect()))
                }
                Contents::NotTlv(_) => Some(None),
            },
        }
    }
}

/// The readable form: named fields, then every tag with templates indented under their parent.
fn listing(payload: &Payload) -> String {
    let absent = "-";
    let crc = match (payload.crc(), payload.crc_valid()) {
        (Some(crc), true) => format!("{crc} (valid)"),
        (Some(crc), false) => format!("{crc} (INVALID)"),
        (None, _) => format!("{absent} (missing)"),
    };
    let fields = [
        ("payload format", payload.payload_format()),
        (
            "point of initiation",
            payload.point_of_initiation().map(|p| p.as_str()),
        ),
        ("merchant name", payload.merchant_name()),
        ("merchant city", payload.merchant_city()),
        ("mcc", payload.mcc()),
        ("currency", payload.currency()),
        ("country", payload.country()),
        ("amount", payload.amount()),
        ("crc", Some(crc.as_str())),
    ];
    let mut out = String::new();
    for (name, value) in fields {
        out += &format!("{name:<20} {}\n", value.unwrap_or(absent));
    }
    out += "tags\n";
    for object in payload.objects() {
        out += &format!(
            "  {} ({:>2}) {}\n",
            object.tag,
            object.length(),
            object.value
        );
        match &object.contents {
            Contents::Primitive => {}
            Contents::Template(children) => {
                for child in children {
                    out += &format!(
                        "      {} ({:>2}) {}\n",
                        child.tag,
                        child.length(),
                        child.value
                    );
                }
            }
            Contents::NotTlv(error) => out += &format!("      (not TLV: {error})\n"),
        }
    }
    out
}
