//! `dun org show|set` (the organisation as seller: address, identifiers,
//! bank details, how 0 % lines are declared) and `dun customer
//! set-address` (a customer as buyer). Flags given replace a field; an
//! empty value (`--vat-id ""`) clears it; the rest are kept.

use std::path::PathBuf;

use anyhow::{anyhow, Context as _, Result};
use clap::{Args, Subcommand};
use dun_core::document::{DocumentLocale, DocumentSettings, Logo, Paper};
use dun_core::party::{Party, PaymentInstructions};
use dun_store::document_settings::DocumentOptions;
use dun_store::parties::ZeroRate;
use dun_store::stripe::set_or_not;
use serde::Serialize;

use crate::cli::{Format, FormatArg};
use crate::context::Context;
use crate::output::{emit, Table};

#[derive(Subcommand, Debug)]
pub enum OrgCommand {
    /// Show the organisation as invoices and e-invoices name it.
    Show(FormatArg),
    /// Set the organisation's address, identifiers and bank details.
    Set(Box<OrgSetArgs>),
}

/// Where a party is and how it is identified.
#[derive(Args, Debug, Default)]
pub struct AddressArgs {
    /// A street address line; repeat for up to 3 lines (replaces all lines).
    #[arg(long = "address", value_name = "LINE")]
    pub address: Vec<String>,
    #[arg(long)]
    pub city: Option<String>,
    #[arg(long)]
    pub postcode: Option<String>,
    /// State, county or province.
    #[arg(long)]
    pub region: Option<String>,
    /// ISO 3166-1 alpha-2 country code, e.g. GB, DE, US.
    #[arg(long)]
    pub country: Option<String>,
    /// VAT identifier with its country prefix, e.g. GB123456789.
    #[arg(long)]
    pub vat_id: Option<String>,
    /// Company registration number.
    #[arg(long)]
    pub company_id: Option<String>,
    /// The electronic address e-invoices are delivered to (Peppol) as
    /// SCHEME:ID, e.g. 0088:5790000435975 (a GLN) or 9930:DE123456789
    /// ("" clears). With the seller's and the buyer's, e-invoices follow
    /// Peppol BIS Billing 3.0.
    #[arg(long, value_name = "SCHEME:ID")]
    pub endpoint: Option<String>,
}

#[derive(Args, Debug)]
pub struct OrgSetArgs {
    /// Legal name on documents, when it differs from the organisation's name.
    #[arg(long)]
    pub legal_name: Option<String>,
    #[command(flatten)]
    pub address: AddressArgs,
    /// A tax registration other than VAT (EN 16931 BT-32), e.g. a US state
    /// sales-tax permit: what e-invoices with taxed lines name when the
    /// organisation has no VAT identifier.
    #[arg(long)]
    pub tax_id: Option<String>,
    #[arg(long)]
    pub email: Option<String>,
    #[arg(long)]
    pub phone: Option<String>,
    /// Bank account to be paid into (IBAN; spaces allowed, checksum checked).
    #[arg(long)]
    pub iban: Option<String>,
    #[arg(long)]
    pub bic: Option<String>,
    /// The name the bank account is held in.
    #[arg(long)]
    pub account_name: Option<String>,
    /// A note printed with the payment instructions, e.g. "Quote the invoice number".
    #[arg(long)]
    pub payment_note: Option<String>,
    /// EN 16931 VAT category of lines taxed at 0 %: Z (zero rated), E (exempt), AE (reverse charge), K (intra-community), G (export), O (not subject to VAT).
    #[arg(long)]
    pub zero_rate_category: Option<String>,
    /// Why no VAT is charged on 0 % lines (needed for every category but Z).
    #[arg(long)]
    pub exemption_reason: Option<String>,
    /// Stripe secret API key (sk_… or a restricted rk_…) the portal's Pay
    /// button creates payments with; stored, never shown back ("" clears).
    #[arg(long, value_name = "KEY")]
    pub stripe_secret_key: Option<String>,
    /// Stripe webhook signing secret (whsec_…) that POST /webhooks/stripe
    /// verifies events with; stored, never shown back ("" clears).
    #[arg(long, value_name = "SECRET")]
    pub stripe_webhook_secret: Option<String>,
    /// Stripe publishable key (pk_…) the portal's card form gives Stripe.js;
    /// public by design, so shown back ("" clears). Without it the payment
    /// page has no card form.
    #[arg(long, value_name = "KEY")]
    pub stripe_publishable_key: Option<String>,
    /// The paper documents are laid out on: a4 or us_letter. Until one is
    /// chosen: US Letter when the organisation's country is US or CA, A4
    /// otherwise.
    #[arg(long, value_name = "a4|us_letter")]
    pub paper_size: Option<String>,
    /// The language of documents' fixed words, dates and amounts: en, de or fr.
    #[arg(long, value_name = "en|de|fr")]
    pub document_locale: Option<String>,
    /// A PNG or JPEG logo drawn at the top of invoices, credit notes,
    /// statements and letters (at most 512 KiB); "" removes it.
    #[arg(long, value_name = "FILE")]
    pub logo: Option<String>,
}

#[derive(Args, Debug)]
pub struct SetAddressArgs {
    /// Customer reference.
    #[arg(value_name = "REF")]
    pub reference: String,
    #[command(flatten)]
    pub address: AddressArgs,
}

/// `Some("")` clears, `Some(v)` sets, `None` keeps.
fn merge(field: &mut Option<String>, given: &Option<String>) {
    if let Some(value) = given {
        *field = Some(value.clone()).filter(|v| !v.trim().is_empty());
    }
}

impl AddressArgs {
    fn apply(&self, party: &mut Party) {
        if !self.address.is_empty() {
            party.address_lines = self.address.clone();
        }
        merge(&mut party.city, &self.city);
        merge(&mut party.postcode, &self.postcode);
        merge(&mut party.region, &self.region);
        merge(&mut party.country_code, &self.country);
        merge(&mut party.vat_id, &self.vat_id);
        merge(&mut party.company_id, &self.company_id);
        merge(&mut party.endpoint, &self.endpoint);
    }
}

/// Whether each secret Stripe key is set (never the key), and the
/// publishable key, which is public.
#[derive(Serialize)]
struct StripeJson {
    secret_key: &'static str,
    webhook_secret: &'static str,
    publishable_key: Option<String>,
}

#[derive(Serialize)]
struct SellerJson<'a> {
    seller: &'a Party,
    documents: DocumentsJson,
    payment: &'a PaymentInstructions,
    zero_rate: &'a ZeroRate,
    stripe: StripeJson,
    missing_for_einvoice: Vec<&'static str>,
}

/// How the organisation's documents look.
#[derive(Serialize)]
struct DocumentsJson {
    /// The paper documents are laid out on.
    paper_size: Paper,
    /// Whether it was chosen (else the country decides).
    paper_size_chosen: bool,
    document_locale: DocumentLocale,
    logo: Option<Logo>,
}

impl DocumentsJson {
    fn of(d: DocumentSettings) -> DocumentsJson {
        DocumentsJson {
            paper_size: d.paper,
            paper_size_chosen: d.paper_chosen.is_some(),
            document_locale: d.locale,
            logo: d.logo,
        }
    }
}

/// What `--logo FILE` asks: `Some(None)` removes the logo.
fn logo_given(path: &Option<String>) -> Result<Option<Option<Vec<u8>>>> {
    let Some(path) = path else {
        return Ok(None);
    };
    if path.is_empty() {
        return Ok(Some(None));
    }
    let path = PathBuf::from(path);
    let bytes = std::fs::read(&path).with_context(|| format!("--logo {}", path.display()))?;
    // Checked here so a bad file stops the whole command before anything is written.
    Logo::parse(bytes.clone()).map_err(|e| anyhow!("--logo {}: {e}", path.display()))?;
    Ok(Some(Some(bytes)))
}

pub fn org(ctx: &mut Context, command: OrgCommand) -> Result<()> {
    let org_id = ctx.org.id;
    match command {
        OrgCommand::Show(format) => show_seller(ctx, format.format),
        OrgCommand::Set(args) => {
            let (mut party, mut payment) = ctx.store.seller(org_id)?;
            if let Some(name) = &args.legal_name {
                party.name = if name.trim().is_empty() {
                    ctx.org.name.clone()
                } else {
                    name.clone()
                };
            }
            args.address.apply(&mut party);
            merge(&mut party.tax_id, &args.tax_id);
            merge(&mut party.email, &args.email);
            merge(&mut party.phone, &args.phone);
            merge(&mut payment.iban, &args.iban);
            merge(&mut payment.bic, &args.bic);
            merge(&mut payment.account_name, &args.account_name);
            merge(&mut payment.note, &args.payment_note);
            let mut zero_rate = ctx.store.zero_rate(org_id)?;
            let zero_rate_given =
                args.zero_rate_category.is_some() || args.exemption_reason.is_some();
            if let Some(category) = &args.zero_rate_category {
                zero_rate.category = category.trim().to_ascii_uppercase();
            }
            merge(&mut zero_rate.exemption_reason, &args.exemption_reason);
            if zero_rate_given {
                // Checked before anything is written.
                zero_rate.check()?;
            }
            dun_store::stripe::check_keys(
                args.stripe_secret_key.as_deref(),
                args.stripe_webhook_secret.as_deref(),
            )?;
            dun_store::stripe::check_publishable_key(args.stripe_publishable_key.as_deref())?;
            let current = ctx.store.document_settings(org_id)?;
            let mut options = DocumentOptions {
                paper: current.paper_chosen,
                locale: current.locale,
            };
            if let Some(paper) = &args.paper_size {
                options.paper = Some(Paper::parse(paper).map_err(|e| anyhow!("--paper-size {e}"))?);
            }
            if let Some(locale) = &args.document_locale {
                options.locale =
                    DocumentLocale::parse(locale).map_err(|e| anyhow!("--document-locale {e}"))?;
            }
            let logo = logo_given(&args.logo)?;
            if args.stripe_secret_key.is_some() || args.stripe_webhook_secret.is_some() {
                ctx.store.set_stripe_keys(
                    org_id,
                    args.stripe_secret_key.as_deref(),
                    args.stripe_webhook_secret.as_deref(),
                )?;
            }
            if let Some(key) = &args.stripe_publishable_key {
                ctx.store.set_stripe_publishable_key(org_id, key)?;
            }
            ctx.store.set_seller(org_id, &party, &payment)?;
            if zero_rate_given {
                ctx.store.set_zero_rate(org_id, &zero_rate)?;
            }
            if args.paper_size.is_some() || args.document_locale.is_some() {
                ctx.store.set_document_options(org_id, &options)?;
            }
            match logo {
                Some(Some(bytes)) => {
                    ctx.store.set_logo(org_id, bytes)?;
                }
                Some(None) => {
                    ctx.store.remove_logo(org_id)?;
                }
                None => {}
            }
            show_seller(ctx, Format::Table)
        }
    }
}

fn show_seller(ctx: &mut Context, format: Format) -> Result<()> {
    let (party, payment) = ctx.store.seller(ctx.org.id)?;
    let zero_rate = ctx.store.zero_rate(ctx.org.id)?;
    let documents = ctx.store.document_settings(ctx.org.id)?;
    let missing = party.missing_as_seller();
    let stripe = ctx.store.stripe_keys(ctx.org.id)?;
    let stripe = StripeJson {
        secret_key: set_or_not(&stripe.secret_key),
        webhook_secret: set_or_not(&stripe.webhook_secret),
        publishable_key: stripe.publishable_key,
    };
    let mut table = Table::new(&["field", "value"]);
    let mut row = |field: &str, value: Option<&str>| {
        table.push(vec![field.to_string(), value.unwrap_or("-").to_string()]);
    };
    row("name", Some(&party.name));
    let address = party.address_lines.join(", ");
    row("address", Some(address.as_str()).filter(|a| !a.is_empty()));
    row("city", party.city.as_deref());
    row("postcode", party.postcode.as_deref());
    row("region", party.region.as_deref());
    row("country", party.country_code.as_deref());
    row("vat id", party.vat_id.as_deref());
    row("company id", party.company_id.as_deref());
    row("tax id", party.tax_id.as_deref());
    row("email", party.email.as_deref());
    row("phone", party.phone.as_deref());
    row("electronic address", party.endpoint.as_deref());
    row("iban", payment.iban.as_deref());
    row("bic", payment.bic.as_deref());
    row("account name", payment.account_name.as_deref());
    row("payment note", payment.note.as_deref());
    row("0 % category", Some(&zero_rate.category));
    row("exemption reason", zero_rate.exemption_reason.as_deref());
    row("stripe secret key", Some(stripe.secret_key));
    row("stripe webhook secret", Some(stripe.webhook_secret));
    row("stripe publishable key", stripe.publishable_key.as_deref());
    let paper = match documents.paper_chosen {
        Some(p) => p.as_str().to_string(),
        None => format!("{} (by country; not chosen)", documents.paper.as_str()),
    };
    row("paper size", Some(&paper));
    row("document locale", Some(documents.locale.as_str()));
    let logo = documents.logo.as_ref().map(|l| {
        format!(
            "{}, {}×{} px, {} bytes",
            l.media_type(),
            l.width_px,
            l.height_px,
            l.bytes.len()
        )
    });
    row("logo", logo.as_deref());
    emit(
        format,
        &table,
        &SellerJson {
            seller: &party,
            documents: DocumentsJson::of(documents),
            payment: &payment,
            zero_rate: &zero_rate,
            stripe,
            missing_for_einvoice: missing.clone(),
        },
    )?;
    if format == Format::Table && !missing.is_empty() {
        eprintln!(
            "note: e-invoices need the seller's {}; set it with `dun org set --country GB --vat-id GB123456789` (a seller without VAT: `--tax-id` and `--company-id`)",
            missing.join("; ")
        );
    }
    Ok(())
}

pub fn set_address(ctx: &mut Context, args: &SetAddressArgs) -> Result<()> {
    let org_id = ctx.org.id;
    let mut party = ctx
        .store
        .buyer_by_ref(org_id, &args.reference)
        .map_err(|e| anyhow!("{e}"))?;
    args.address.apply(&mut party);
    let stored = ctx.store.set_buyer(org_id, &args.reference, &party)?;
    println!(
        "Customer {} ({}): {}",
        args.reference.trim(),
        stored.name,
        if stored.address_block().is_empty() {
            "no address".to_string()
        } else {
            stored.address_block().join(", ")
        }
    );
    if let Some(vat) = &stored.vat_id {
        println!("VAT id {vat}");
    }
    Ok(())
}

/// The demo organisation as seller: a believable address and how to pay it.
pub fn demo_seller(name: &str) -> (Party, PaymentInstructions) {
    (
        Party {
            name: name.to_string(),
            address_lines: vec!["100 Market Street".into(), "Suite 400".into()],
            city: Some("New York".into()),
            postcode: Some("10004".into()),
            region: Some("NY".into()),
            country_code: Some("US".into()),
            vat_id: None,
            company_id: Some("EIN 12-3456789".into()),
            // A US seller names its state sales-tax registration (EN 16931
            // BT-32): its invoices' taxed lines then conform (BR-S-02).
            tax_id: Some("NY-ST-123456789".into()),
            email: Some("billing@demotrading.example".into()),
            phone: Some("+1 212 555 0100".into()),
            endpoint: None,
        },
        // A euro collection account beside the dollar one, so the book's
        // euro customers pay by SEPA transfer (their invoices carry the
        // EPC QR code) and everyone else by ACH or wire.
        PaymentInstructions {
            iban: Some("DE89370400440532013000".into()),
            bic: Some("COBADEFFXXX".into()),
            account_name: Some(name.to_string()),
            note: Some(
                "In US dollars: ACH or wire to routing 021000021, account 000123456789. In euro: SEPA transfer to the IBAN above. Please quote the payment reference."
                    .into(),
            ),
        },
    )
}

/// A believable US address for the demo book's `index`-th customer, the
/// same for the same index every time.
pub fn demo_buyer_address(index: usize) -> Party {
    const STREETS: &[&str] = &[
        "Oak Avenue",
        "Maple Street",
        "Harbor Road",
        "Mill Lane",
        "Commerce Drive",
        "Elm Street",
        "Industrial Parkway",
        "Main Street",
        "Lake Shore Drive",
        "Cedar Court",
    ];
    const PLACES: &[(&str, &str, &str)] = &[
        ("Boston", "MA", "02110"),
        ("Chicago", "IL", "60601"),
        ("Austin", "TX", "78701"),
        ("Denver", "CO", "80202"),
        ("Seattle", "WA", "98101"),
        ("Portland", "OR", "97204"),
        ("Atlanta", "GA", "30303"),
        ("Philadelphia", "PA", "19103"),
        ("Minneapolis", "MN", "55402"),
        ("Columbus", "OH", "43215"),
    ];
    let (city, state, zip) = PLACES[(index * 7 + 3) % PLACES.len()];
    Party {
        address_lines: vec![format!(
            "{} {}",
            100 + (index * 37) % 9_800,
            STREETS[index % STREETS.len()]
        )],
        city: Some(city.into()),
        postcode: Some(zip.into()),
        region: Some(state.into()),
        country_code: Some("US".into()),
        ..Party::default()
    }
}

/// Gives a fresh demo book's organisation (when `dun demo` created it) and
/// customers their addresses, so invoices and e-invoices look real.
pub fn set_demo_addresses(
    store: &mut dun_store::Store,
    org: &dun_store::Org,
    customers: &[dun_core::import::CustomerRow],
) -> Result<()> {
    let (seller, payment) = store.seller(org.id)?;
    if seller.country_code.is_none() && org.name == super::demo::DEMO_ORG {
        let (seller, payment_demo) = demo_seller(&seller.name);
        let payment = if payment.is_empty() {
            payment_demo
        } else {
            payment
        };
        store.set_seller(org.id, &seller, &payment)?;
    }
    let addresses: Vec<(String, Party)> = customers
        .iter()
        .enumerate()
        .map(|(i, c)| (c.reference.clone(), demo_buyer_address(i)))
        .collect();
    store.set_buyer_addresses(org.id, &addresses)?;
    Ok(())
}
