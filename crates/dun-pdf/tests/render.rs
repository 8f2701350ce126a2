//! Renders each document from the domain's types through `views`, then
//! reads it back with poppler (`pdftotext`: the text a person and a machine
//! see) and rasterises it (`pdftoppm`). `DUN_UPDATE_SCREENSHOTS=1` writes the
//! PNGs to docs/screenshots/.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use dun_core::aging::AgingEdges;
use dun_core::book::Book;
use dun_core::collections::document::{parse, DEFAULT_POLICY};
use dun_core::collections::law::Law;
use dun_core::invoice::{totals, InvoiceDraft, InvoiceLine};
use dun_core::ledger::EntryKind;
use dun_core::party::{Party, PaymentInstructions};
use dun_core::posting::AllocationRequest;
use dun_core::reference::CreditorReference;
use dun_core::statement::{statements, StatementInput};
use dun_core::terms::Terms;
use dun_core::{Currency, Date};
use dun_pdf::views::{self, InvoiceFacts, LetterFacts};
use dun_pdf::{DocumentLocale, DocumentSettings, Logo, Paper};

fn day(s: &str) -> Date {
    Date::parse(s).unwrap()
}

fn eur() -> Currency {
    Currency::parse("EUR").unwrap()
}

fn seller() -> Party {
    Party {
        name: "Northwind Supplies Ltd".into(),
        address_lines: vec!["14 Harbour Street".into()],
        city: Some("Bristol".into()),
        postcode: Some("BS1 4RN".into()),
        country_code: Some("GB".into()),
        vat_id: Some("GB123456789".into()),
        company_id: Some("08123456".into()),
        tax_id: None,
        email: Some("accounts@northwind.example".into()),
        ..Party::default()
    }
}

fn buyer() -> Party {
    Party {
        name: "Acme Engineering GmbH".into(),
        address_lines: vec![
            "Attn: Accounts payable".into(),
            "Friedrichstraße 120".into(),
        ],
        city: Some("Berlin".into()),
        postcode: Some("10117".into()),
        country_code: Some("DE".into()),
        vat_id: Some("DE811907980".into()),
        ..Party::default()
    }
}

fn instructions() -> PaymentInstructions {
    PaymentInstructions {
        iban: Some("GB82WEST12345698765432".into()),
        bic: Some("WESTGB2L".into()),
        account_name: Some("Northwind Supplies Ltd".into()),
        note: Some("Please quote the reference so we can match your payment.".into()),
    }
}

const PORTAL: &str = "https://pay.northwind.example/p/7f3c9a21";

fn lines(n: usize) -> Vec<InvoiceLine> {
    let items = [
        (
            "Hydraulic pump HP-200, refurbished",
            20_000,
            48_500,
            200_000,
        ),
        (
            "On-site installation and commissioning (hours)",
            65_000,
            9_500,
            200_000,
        ),
        ("Seal kit SK-12", 40_000, 1_875, 200_000),
        ("Travel: Bristol to Berlin, return", 10_000, 42_000, 0),
        (
            "Annual maintenance plan, 12 months, billed in advance",
            10_000,
            120_000,
            200_000,
        ),
    ];
    (0..n)
        .map(|i| {
            let (d, q, p, t) = items[i % items.len()];
            InvoiceLine::new(d, q, p, t).unwrap()
        })
        .collect()
}

/// The invoice's id in the book the tests imagine: its reference names it.
const INVOICE_ID: i64 = 42;

fn invoice_pdf(line_count: usize) -> Vec<u8> {
    invoice_pdf_in(line_count, eur(), &instructions())
}

fn invoice_pdf_in(
    line_count: usize,
    currency: Currency,
    instructions: &PaymentInstructions,
) -> Vec<u8> {
    dun_pdf::render_invoice(
        &invoice_view(line_count, currency, instructions),
        &DocumentSettings::default(),
    )
    .unwrap()
}

fn invoice_view(
    line_count: usize,
    currency: Currency,
    instructions: &PaymentInstructions,
) -> dun_pdf::InvoiceView {
    invoice_view_of(lines(line_count), currency, instructions)
}

fn invoice_view_of(
    lines: Vec<InvoiceLine>,
    currency: Currency,
    instructions: &PaymentInstructions,
) -> dun_pdf::InvoiceView {
    let policy = parse(DEFAULT_POLICY).unwrap();
    let terms = Terms::Net { days: 30 };
    let (seller, buyer) = (seller(), buyer());
    let reference = CreditorReference::for_invoice(INVOICE_ID);
    views::invoice(&InvoiceFacts {
        title: "Invoice",
        number: "INV-000042",
        currency,
        issue_date: day("2026-11-02"),
        due_date: day("2026-12-02"),
        terms: &terms,
        description: "Pump replacement at the Spandau plant, order PO-88231.",
        lines: &lines,
        schedule: &[],
        totals: totals(&lines),
        fees_and_interest_minor: 0,
        open_minor: totals(&lines).total_minor,
        seller: &seller,
        buyer: &buyer,
        customer_reference: Some("C0042"),
        payment_reference: &reference,
        instructions,
        late_payment: views::late_payment_sentence(&policy, currency, eur()),
        portal_link: Some(PORTAL.into()),
        locale: DocumentLocale::En,
    })
}

/// A customer's autumn: invoices, a part payment, a credit note, a fee.
fn book() -> (Book, BTreeMap<i64, String>, BTreeMap<i64, String>) {
    let mut book = Book::new();
    let issue = |book: &mut Book, date: &str, l: Vec<InvoiceLine>| {
        book.issue(&InvoiceDraft {
            customer_id: 1,
            currency: eur(),
            issue_date: day(date),
            terms: Terms::Net { days: 30 },
            description: String::new(),
            lines: l,
            installments: Vec::new(),
        })
        .unwrap()
    };
    let a = issue(&mut book, "2026-07-15", lines(2));
    issue(&mut book, "2026-09-03", lines(3)[2..].to_vec());
    let c = issue(&mut book, "2026-10-01", lines(1));
    issue(&mut book, "2026-11-02", lines(5));
    book.charge(a, EntryKind::Fee, 4_000, day("2026-10-02"))
        .unwrap();
    book.receive(
        1,
        eur(),
        day("2026-10-06"),
        250_000,
        &AllocationRequest::OldestDueFirst,
    )
    .unwrap();
    let credit = book
        .reduce(c, EntryKind::CreditNote, 9_700, day("2026-10-20"))
        .unwrap();
    let mut payments = BTreeMap::new();
    payments.insert(1, "BACS 771203".to_string());
    let mut credit_notes = BTreeMap::new();
    credit_notes.insert(credit, "CN-000007".to_string());
    (book, payments, credit_notes)
}

fn statement_pdf() -> Vec<u8> {
    statement_pdf_with(&DocumentSettings::default())
}

fn statement_pdf_with(settings: &DocumentSettings) -> Vec<u8> {
    let (book, payments, credit_notes) = book();
    let edges = AgingEdges::standard();
    let all = statements(&StatementInput {
        customer_id: 1,
        from: day("2026-10-01"),
        to: day("2026-11-30"),
        edges: &edges,
        entries: &book.entries,
        invoices: &book.invoices,
        credit_notes: &credit_notes,
        payments: &payments,
        plans: &[],
    })
    .unwrap();
    assert_eq!(all.len(), 1);
    let view = views::statement(
        &all[0],
        &seller(),
        &buyer(),
        Some("C0042"),
        &instructions(),
        Some(PORTAL.into()),
        settings.locale,
    );
    dun_pdf::render_statement(&view, settings).unwrap()
}

fn letter_pdf() -> Vec<u8> {
    letter_pdf_with(&DocumentSettings::default())
}

fn letter_pdf_with(settings: &DocumentSettings) -> Vec<u8> {
    let (book, payments, credit_notes) = book();
    let edges = AgingEdges::standard();
    let s = statements(&StatementInput {
        customer_id: 1,
        from: day("2026-12-01"),
        to: day("2026-12-20"),
        edges: &edges,
        entries: &book.entries,
        invoices: &book.invoices,
        credit_notes: &credit_notes,
        payments: &payments,
        plans: &[],
    })
    .unwrap()
    .remove(0);
    let overdue: Vec<_> = s
        .open_invoices
        .iter()
        .filter(|i| i.days_past_due > 0)
        .cloned()
        .collect();
    let policy = parse(DEFAULT_POLICY).unwrap();
    let (seller, buyer, instructions) = (seller(), buyer(), instructions());
    let view = views::final_demand(&LetterFacts {
        title: "Final demand",
        sender: &seller,
        recipient: &buyer,
        date: day("2026-12-20"),
        customer_reference: Some("C0042"),
        customer_id: 1,
        currency: eur(),
        invoices: &overdue,
        reminded: &[],
        pay_by: day("2027-01-03"),
        late_payment: views::late_payment_sentence_in(&policy, eur(), eur(), settings.locale),
        instructions: &instructions,
        portal_link: Some(PORTAL.into()),
        signature: "Jane Holloway, Credit control, Northwind Supplies Ltd",
        locale: settings.locale,
    });
    dun_pdf::render_letter(&view, settings).unwrap()
}

/// Whether poppler's tools are here; if not, says so loudly (and fails
/// when the CI requires them).
fn poppler(test: &str) -> bool {
    let ok = Command::new("pdftotext").arg("-v").output().is_ok()
        && Command::new("pdftoppm").arg("-v").output().is_ok();
    if !ok {
        let message =
            format!("SKIPPED: {test} because pdftotext/pdftoppm (poppler-utils) are not installed");
        if std::env::var("DUN_TEST_REQUIRE_TOOLS").as_deref() == Ok("1") {
            panic!("{message}, and DUN_TEST_REQUIRE_TOOLS=1");
        }
        // To stderr itself: libtest keeps a passing test's eprintln! from
        // the person running `cargo test`, and a skip must be seen.
        {
            use std::io::Write as _;
            let _ = writeln!(std::io::stderr(), "{message}");
        }
    }
    ok
}

fn text_of(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("doc.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "pdftotext refused the PDF: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "poppler complained: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Rasterises the first page; with DUN_UPDATE_SCREENSHOTS=1 keeps it as
/// docs/screenshots/NAME.png.
fn png_of(pdf: &[u8], name: &str) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("doc.pdf");
    std::fs::write(&path, pdf).unwrap();
    let prefix = dir.path().join(name);
    let out = Command::new("pdftoppm")
        .args(["-png", "-r", "80", "-singlefile"])
        .arg(&path)
        .arg(&prefix)
        .output()
        .unwrap();
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "pdftoppm: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let png = std::fs::read(prefix.with_extension("png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    if std::env::var("DUN_UPDATE_SCREENSHOTS").as_deref() == Ok("1") {
        let dest: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../docs/screenshots")
            .join(format!("{name}.png"));
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::write(&dest, &png).unwrap();
    }
    png
}

/// Every QR code on the first page, decoded: the page rasterised in grey
/// by `pdftoppm` at 300 dpi (a PGM, read here) and searched by `rqrr`.
fn qr_codes_of(pdf: &[u8]) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("doc.pdf");
    std::fs::write(&path, pdf).unwrap();
    let prefix = dir.path().join("page");
    let out = Command::new("pdftoppm")
        .args(["-gray", "-r", "300", "-f", "1", "-l", "1", "-singlefile"])
        .arg(&path)
        .arg(&prefix)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "pdftoppm: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pgm = std::fs::read(prefix.with_extension("pgm")).unwrap();
    let (width, height, pixels) = read_pgm(&pgm);
    let mut image =
        rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| pixels[y * width + x]);
    image
        .detect_grids()
        .iter()
        .map(|grid| grid.decode().expect("a QR code found decodes").1)
        .collect()
}

/// A binary PGM (`P5`, 8 bits): width, height and the grey of each pixel.
fn read_pgm(bytes: &[u8]) -> (usize, usize, &[u8]) {
    let mut fields = Vec::new();
    let mut at = 0;
    while fields.len() < 4 {
        while bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        if bytes[at] == b'#' {
            while bytes[at] != b'\n' {
                at += 1;
            }
            continue;
        }
        let start = at;
        while !bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        fields.push(std::str::from_utf8(&bytes[start..at]).unwrap().to_string());
    }
    assert_eq!((fields[0].as_str(), fields[3].as_str()), ("P5", "255"));
    let (w, h): (usize, usize) = (fields[1].parse().unwrap(), fields[2].parse().unwrap());
    let pixels = &bytes[at + 1..];
    assert_eq!(pixels.len(), w * h);
    (w, h, pixels)
}

fn squash(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn the_invoice_says_what_it_is_and_adds_up() {
    let pdf = invoice_pdf(5);
    let reference = CreditorReference::for_invoice(INVOICE_ID).grouped();
    assert!(pdf.starts_with(b"%PDF-"));
    assert!(
        pdf.len() < 120_000,
        "subset fonts keep an invoice small, got {} bytes",
        pdf.len()
    );
    if !poppler("the_invoice_says_what_it_is_and_adds_up") {
        return;
    }
    let text = squash(&text_of(&pdf));
    for needle in [
        "Invoice",
        "INV-000042",
        "Issue date 2026-11-02",
        "Due date 2026-12-02",
        "Northwind Supplies Ltd",
        "Acme Engineering GmbH",
        "Friedrichstraße 120",
        "VAT ID DE811907980",
        "Hydraulic pump HP-200, refurbished",
        // 6.5 h × 95.00 = 617.50, right-aligned in its column.
        "6.5 95.00 20% 617.50",
        "Subtotal 3,282.50",
        "Tax 20% on 2,862.50 572.50",
        "Tax 0% on 420.00 0.00",
        "Total (EUR) 3,855.00",
        "AMOUNT DUE (EUR)",
        "Net 30",
        "late fee of 40.00 EUR",
        "Interest at 8% a year",
        "IBAN: GB82 WEST 1234 5698 7654 32",
        // In the amount box, and with the instructions.
        "PAYMENT REFERENCE",
        &format!("Payment reference: {reference}"),
        "Scan with your banking app",
        PORTAL,
        "Page 1 of 1",
    ] {
        assert!(text.contains(needle), "'{needle}' is not in:\n{text}");
    }
    png_of(&pdf, "invoice");
}

#[test]
fn a_unit_price_shows_its_decimals_and_the_amounts_the_currencys() {
    let price = |t: &str| dun_core::money::UnitPrice::parse(t, eur()).unwrap();
    let lines = vec![
        InvoiceLine::priced("Bolts", 30_000, price("13.333"), 200_000).unwrap(),
        InvoiceLine::priced("Cable (m)", 25_000, price("1234.5678"), 0).unwrap(),
    ];
    let pdf = dun_pdf::render_invoice(
        &invoice_view_of(lines, eur(), &instructions()),
        &DocumentSettings::default(),
    )
    .unwrap();
    if !poppler("a_unit_price_shows_its_decimals_and_the_amounts_the_currencys") {
        return;
    }
    let text = squash(&text_of(&pdf));
    for needle in [
        // 3 × 13.333 = 39.999 → 40.00; 2.5 × 1,234.5678 = 3,086.4195 → 3,086.42.
        "Bolts 3 13.333 20% 40.00",
        "Cable (m) 2.5 1,234.5678 0% 3,086.42",
        "Subtotal 3,126.42",
        "Tax 20% on 40.00 8.00",
        "Total (EUR) 3,134.42",
    ] {
        assert!(text.contains(needle), "'{needle}' is not in:\n{text}");
    }
}

#[test]
fn the_invoices_epc_qr_code_reads_back_as_the_transfer_it_pays() {
    let pdf = invoice_pdf(5);
    if !poppler("the_invoices_epc_qr_code_reads_back_as_the_transfer_it_pays") {
        return;
    }
    let reference = CreditorReference::for_invoice(INVOICE_ID);
    // EPC069-12, version 002, UTF-8: BIC, the account holder, the IBAN,
    // the amount open, no purpose, the invoice's reference; nothing after.
    let expected = format!(
        "BCD\n002\n1\nSCT\nWESTGB2L\nNorthwind Supplies Ltd\nGB82WEST12345698765432\nEUR3855.00\n\n{}",
        reference.as_str()
    );
    assert_eq!(qr_codes_of(&pdf), vec![expected]);
    if std::env::var("DUN_UPDATE_SCREENSHOTS").as_deref() == Ok("1") {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("doc.pdf");
        std::fs::write(&path, &pdf).unwrap();
        let dest =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/screenshots/invoice-pdf-epc-qr");
        let out = Command::new("pdftoppm")
            .args(["-png", "-r", "90", "-f", "1", "-l", "1", "-singlefile"])
            .arg(&path)
            .arg(&dest)
            .output()
            .unwrap();
        assert!(out.status.success());
    }
}

#[test]
fn a_part_paid_invoices_code_asks_for_what_is_open() {
    let lines = lines(5);
    let terms = Terms::Net { days: 30 };
    let (seller, buyer, bank) = (seller(), buyer(), instructions());
    let reference = CreditorReference::for_invoice(INVOICE_ID);
    let with_open = |fees_and_interest_minor: i64, open_minor: i64| {
        views::invoice(&InvoiceFacts {
            title: "Invoice",
            number: "INV-000042",
            currency: eur(),
            issue_date: day("2026-11-02"),
            due_date: day("2026-12-02"),
            terms: &terms,
            description: "",
            lines: &lines,
            schedule: &[],
            totals: totals(&lines),
            fees_and_interest_minor,
            open_minor,
            seller: &seller,
            buyer: &buyer,
            customer_reference: None,
            payment_reference: &reference,
            instructions: &bank,
            late_payment: None,
            portal_link: None,
            locale: DocumentLocale::En,
        })
    };
    // A fee charged, part paid: the code asks for what is open.
    let part_paid = with_open(4_000, 104_000);
    assert!(
        part_paid
            .payment_qr
            .as_deref()
            .unwrap()
            .contains("\nEUR1040.00\n"),
        "{:?}",
        part_paid.payment_qr
    );
    // Paid in full: nothing to scan; the reference is still printed.
    let paid = with_open(0, 0);
    assert_eq!(paid.payment_qr, None);
    assert_eq!(paid.payment_reference, reference.grouped());
}

#[test]
fn no_code_for_a_dollar_invoice_or_an_organisation_without_an_iban() {
    let usd = Currency::parse("USD").unwrap();
    let dollars = invoice_pdf_in(5, usd, &instructions());
    let no_iban = PaymentInstructions {
        iban: None,
        bic: None,
        account_name: None,
        note: Some("Pay by cheque to Northwind Supplies Ltd.".into()),
    };
    let unbanked = invoice_pdf_in(5, eur(), &no_iban);
    assert_eq!(invoice_view(5, usd, &instructions()).payment_qr, None);
    assert_eq!(invoice_view(5, eur(), &no_iban).payment_qr, None);
    if !poppler("no_code_for_a_dollar_invoice_or_an_organisation_without_an_iban") {
        return;
    }
    let reference = CreditorReference::for_invoice(INVOICE_ID);
    for (pdf, what) in [(&dollars, "USD"), (&unbanked, "no IBAN")] {
        assert_eq!(qr_codes_of(pdf), Vec::<String>::new(), "{what}");
        let text = squash(&text_of(pdf));
        assert!(
            text.contains(&format!("Payment reference: {reference}")),
            "{what}: {text}"
        );
        assert!(!text.contains("Scan with your banking app"), "{what}");
    }
    // Without bank details, the organisation's note says how to pay.
    assert!(squash(&text_of(&unbanked)).contains("Pay by cheque to Northwind Supplies Ltd."));
}

#[test]
fn a_long_invoice_flows_onto_numbered_pages_with_its_header_repeated() {
    let pdf = invoice_pdf(60);
    if !poppler("a_long_invoice_flows_onto_numbered_pages_with_its_header_repeated") {
        return;
    }
    let text = text_of(&pdf);
    let pages: Vec<&str> = text
        .split('\u{c}')
        .filter(|p| !p.trim().is_empty())
        .collect();
    assert!(pages.len() >= 2, "60 lines fit on one page?\n{text}");
    let n = pages.len();
    for (i, page) in pages.iter().enumerate() {
        let page = squash(page);
        assert!(page.contains(&format!("Page {} of {n}", i + 1)), "{page}");
        if page.contains("Seal kit") {
            assert!(
                page.contains("Description Qty Unit price Tax Amount"),
                "{page}"
            );
        }
        if i > 0 {
            assert!(page.contains("Invoice INV-000042 (continued)"), "{page}");
        }
    }
    // Every line made it: 60 lines, 12 of each item.
    assert_eq!(text.matches("Seal kit SK-12").count(), 12);
    assert!(text.rfind("Total (EUR)") > text.rfind("Seal kit"), "{text}");
}

#[test]
fn the_statement_runs_from_opening_to_closing_with_an_aging() {
    let pdf = statement_pdf();
    if !poppler("the_statement_runs_from_opening_to_closing_with_an_aging") {
        return;
    }
    let text = squash(&text_of(&pdf));
    for needle in [
        "Statement",
        "Period 2026-10-01 to 2026-11-30",
        "Acme Engineering GmbH",
        // Before October: the invoices of July (1,905.00) and September (90.00).
        "2026-10-01 Opening balance 1,995.00",
        "2026-10-01 Invoice INV-000003 1,164.00 3,159.00",
        "2026-10-02 Late fee on INV-000001 40.00 3,199.00",
        "2026-10-06 Payment received (ref BACS 771203) 2,500.00 699.00",
        // The description wraps in its column; the amounts stay on its first line.
        "2026-10-20 Credit note CN-000007 on 97.00 602.00 INV-000003",
        "2026-11-02 Invoice INV-000004 3,855.00 4,457.00",
        "2026-11-30 Closing balance 5,059.00 2,597.00 4,457.00",
        "Not yet due 1-30 days 31-60 days 61-90 days 90+ days Total open",
        // INV-000003 is 30 days late; INV-000004 falls due on 2026-12-02.
        "3,855.00 602.00 0.00 0.00 0.00 4,457.00",
        &format!("Payment reference: {}", CreditorReference::for_customer(1)),
        "Page 1 of 1",
    ] {
        assert!(text.contains(needle), "'{needle}' is not in:\n{text}");
    }
    assert!(!text.contains("not yet applied"), "{text}");
    // The code pays the balance due with the customer's reference.
    assert_eq!(
        qr_codes_of(&pdf),
        vec![format!(
            "BCD\n002\n1\nSCT\nWESTGB2L\nNorthwind Supplies Ltd\nGB82WEST12345698765432\nEUR4457.00\n\n{}",
            CreditorReference::for_customer(1).as_str()
        )]
    );
    png_of(&pdf, "statement");
}

#[test]
fn the_final_demand_lists_the_overdue_invoices_and_the_total() {
    let pdf = letter_pdf();
    if !poppler("the_final_demand_lists_the_overdue_invoices_and_the_total") {
        return;
    }
    let text = squash(&text_of(&pdf));
    for needle in [
        "Final demand",
        "Dear Acme Engineering GmbH,",
        "Invoice / payment reference Issued Due Days overdue Amount open",
        &format!(
            "INV-000003 2026-10-01 2026-10-31 50 602.00 {}",
            CreditorReference::for_invoice(3)
        ),
        &format!(
            "INV-000004 2026-11-02 2026-12-02 18 3,855.00 {}",
            CreditorReference::for_invoice(4)
        ),
        // Two invoices: one transfer for both quotes the customer's.
        &format!("Payment reference: {}", CreditorReference::for_customer(1)),
        "Total now due (EUR) 4,457.00",
        "Please pay 4,457.00 EUR in full by 2027-01-03",
        "Yours faithfully,",
        "Jane Holloway",
        PORTAL,
    ] {
        assert!(text.contains(needle), "'{needle}' is not in:\n{text}");
    }
    png_of(&pdf, "letter");
}

// ---- The organisation's paper and logo ----

fn on(paper: Paper) -> DocumentSettings {
    DocumentSettings {
        paper,
        ..DocumentSettings::default()
    }
}

fn claim_pdf_with(settings: &DocumentSettings) -> Vec<u8> {
    let view = dun_pdf::ClaimFileView {
        creditor: views::party(&seller()),
        debtor: views::party(&buyer()),
        debtor_reference: "C0042".into(),
        date: "2026-12-20".into(),
        standing: "With a collection agency since 2026-12-01: no reply".into(),
        claimed: vec![dun_pdf::LabelledAmount {
            label: "Open (EUR)".into(),
            amount: "1,234.56".into(),
        }],
        invoices: Vec::new(),
        history: Vec::new(),
        enclosures: vec!["statement-EUR.pdf".into()],
    };
    dun_pdf::render_claim_file(&view, settings).unwrap()
}

fn file_of(pdf: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("doc.pdf");
    std::fs::write(&path, pdf).unwrap();
    (dir, path)
}

/// Each page's MediaBox width and height, as `pdfinfo` reads them.
fn page_sizes(pdf: &[u8]) -> Vec<(String, String)> {
    let (_dir, path) = file_of(pdf);
    let out = Command::new("pdfinfo")
        .args(["-f", "1", "-l", "9999", "-box"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter(|l| l.starts_with("Page") && l.contains("MediaBox:"))
        .map(|l| {
            let nums: Vec<&str> = l
                .split("MediaBox:")
                .nth(1)
                .unwrap()
                .split_whitespace()
                .collect();
            (nums[2].to_string(), nums[3].to_string())
        })
        .collect()
}

/// The right and bottom edges of every word `pdftotext -bbox` finds.
fn word_edges(pdf: &[u8]) -> Vec<(f32, f32)> {
    let (_dir, path) = file_of(pdf);
    let out = Command::new("pdftotext")
        .arg("-bbox")
        .arg(&path)
        .arg("-")
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let attr = |line: &str, name: &str| -> f32 {
        let start = line.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
        let rest = &line[start..];
        rest[..rest.find('"').unwrap()].parse().unwrap()
    };
    text.lines()
        .filter(|l| l.trim_start().starts_with("<word "))
        .map(|l| (attr(l, "xMax"), attr(l, "yMax")))
        .collect()
}

#[test]
fn every_document_is_laid_out_on_the_organisations_paper() {
    if !poppler("every_document_is_laid_out_on_the_organisations_paper") {
        return;
    }
    for (paper, size) in [
        (Paper::A4, ("595.28", "841.89")),
        (Paper::UsLetter, ("612.00", "792.00")),
    ] {
        let settings = on(paper);
        let documents = [
            (
                "invoice",
                dun_pdf::render_invoice(&invoice_view(60, eur(), &instructions()), &settings)
                    .unwrap(),
            ),
            ("statement", statement_pdf_with(&settings)),
            ("letter", letter_pdf_with(&settings)),
            ("claim file", claim_pdf_with(&settings)),
        ];
        let (width, height) = paper.size_pt();
        for (name, pdf) in &documents {
            let sizes = page_sizes(pdf);
            assert!(!sizes.is_empty(), "{name}");
            for s in &sizes {
                assert_eq!((s.0.as_str(), s.1.as_str()), size, "{name} on {paper:?}");
            }
            // Every word inside the page, clear of its edges.
            for (x, y) in word_edges(pdf) {
                assert!(
                    x <= width - 40.0 && y <= height - 20.0,
                    "{name} on {paper:?}: a word ends at ({x}, {y})"
                );
            }
        }
        // The long invoice breaks onto numbered pages and ends with its totals.
        let text = text_of(&documents[0].1);
        let pages: Vec<&str> = text
            .split('\u{c}')
            .filter(|p| !p.trim().is_empty())
            .collect();
        let n = pages.len();
        assert!(n >= 2, "{paper:?}: 60 lines on one page?");
        for (i, page) in pages.iter().enumerate() {
            assert!(
                squash(page).contains(&format!("Page {} of {n}", i + 1)),
                "{paper:?}: {page}"
            );
        }
        assert_eq!(text.matches("Seal kit SK-12").count(), 12, "{paper:?}");
        assert!(
            text.rfind("Total (EUR)") > text.rfind("Seal kit"),
            "{paper:?}"
        );
    }
    // Letter is shorter and wider than A4: the same invoice takes at least as many pages.
    let a4 = page_sizes(
        &dun_pdf::render_invoice(&invoice_view(60, eur(), &instructions()), &on(Paper::A4))
            .unwrap(),
    )
    .len();
    let letter = page_sizes(
        &dun_pdf::render_invoice(
            &invoice_view(60, eur(), &instructions()),
            &on(Paper::UsLetter),
        )
        .unwrap(),
    )
    .len();
    assert!(letter >= a4, "A4 {a4} pages, Letter {letter}");
}

/// An RGBA PNG `w` × `h`, its left half opaque red, its right half clear.
fn png_logo(w: u32, h: u32) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, w, h);
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().unwrap();
    let data: Vec<u8> = (0..w * h)
        .flat_map(|i| {
            let opaque = i % w < w / 2;
            [200, 30, 30, if opaque { 255 } else { 0 }]
        })
        .collect();
    writer.write_image_data(&data).unwrap();
    writer.finish().unwrap();
    out
}

/// A JPEG `w` × `h`: the first page of a document, rasterised by poppler.
fn jpeg_logo(w: u32, h: u32) -> Vec<u8> {
    let (dir, path) = file_of(&invoice_pdf(1));
    let prefix = dir.path().join("logo");
    let out = Command::new("pdftoppm")
        .args([
            "-jpeg",
            "-singlefile",
            "-scale-to-x",
            &w.to_string(),
            "-scale-to-y",
            &h.to_string(),
        ])
        .arg(&path)
        .arg(&prefix)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read(dir.path().join("logo.jpg")).unwrap()
}

/// `pdfimages -list`: each image's (type, width, height, encoding, x-ppi, y-ppi).
fn images_of(pdf: &[u8]) -> Vec<(String, u32, u32, String, u32, u32)> {
    let (_dir, path) = file_of(pdf);
    let out = Command::new("pdfimages")
        .arg("-list")
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .skip(2)
        .map(|l| {
            let c: Vec<&str> = l.split_whitespace().collect();
            (
                c[2].to_string(),
                c[3].parse().unwrap(),
                c[4].parse().unwrap(),
                c[8].to_string(),
                c[12].parse().unwrap(),
                c[13].parse().unwrap(),
            )
        })
        .collect()
}

#[test]
fn the_logo_is_drawn_at_the_top_scaled_to_its_box() {
    if !poppler("the_logo_is_drawn_at_the_top_scaled_to_its_box") {
        return;
    }
    // A wide PNG with transparency: 360 × 60 px fills the 180 × 60 pt
    // box's width (180 pt = 2.5 in, so 144 ppi) and is 30 pt high.
    let png = Logo::parse(png_logo(360, 60)).unwrap();
    let settings = DocumentSettings {
        logo: Some(png),
        ..DocumentSettings::default()
    };
    for (name, pdf) in [
        (
            "invoice",
            dun_pdf::render_invoice(&invoice_view(3, eur(), &instructions()), &settings).unwrap(),
        ),
        ("statement", statement_pdf_with(&settings)),
        ("letter", letter_pdf_with(&settings)),
    ] {
        let images = images_of(&pdf);
        assert_eq!(
            images.len(),
            2,
            "{name}: the image and its soft mask: {images:?}"
        );
        assert_eq!(
            images[0],
            ("image".into(), 360, 60, "image".into(), 144, 144),
            "{name}"
        );
        assert_eq!(
            (images[1].0.as_str(), images[1].1, images[1].2),
            ("smask", 360, 60),
            "{name}"
        );
        // Still the whole document under it.
        assert!(
            squash(&text_of(&pdf)).contains("Northwind Supplies Ltd"),
            "{name}"
        );
    }
    // A tall JPEG: 100 × 200 px fills the box's height (60 pt), 30 pt wide:
    // 240 ppi both ways (the aspect ratio kept), embedded as it is.
    let jpeg = jpeg_logo(100, 200);
    let logo = Logo::parse(jpeg).unwrap();
    assert_eq!((logo.width_px, logo.height_px), (100, 200));
    let settings = DocumentSettings {
        logo: Some(logo),
        ..DocumentSettings::default()
    };
    let pdf = dun_pdf::render_invoice(&invoice_view(3, eur(), &instructions()), &settings).unwrap();
    assert_eq!(
        images_of(&pdf),
        vec![("image".into(), 100, 200, "jpeg".into(), 240, 240)]
    );
    // No logo, no image.
    assert!(images_of(&invoice_pdf(3)).is_empty());
}

// ---- The document locale ----

/// An invoice of five lines in `locale`, under `law`'s late-payment preset.
fn invoice_pdf_in_locale(locale: DocumentLocale, law: Law) -> (Vec<u8>, i64) {
    let mut policy = parse(DEFAULT_POLICY).unwrap();
    policy.law = law;
    let lines = lines(5);
    let terms = Terms::Net { days: 30 };
    let (seller, buyer) = (seller(), buyer());
    let reference = CreditorReference::for_invoice(INVOICE_ID);
    let words = dun_pdf::words::words(locale);
    let view = views::invoice(&InvoiceFacts {
        title: words.invoice,
        number: "INV-000042",
        currency: eur(),
        issue_date: day("2026-11-02"),
        due_date: day("2026-12-02"),
        terms: &terms,
        description: "",
        lines: &lines,
        schedule: &[],
        totals: totals(&lines),
        fees_and_interest_minor: 0,
        open_minor: totals(&lines).total_minor,
        seller: &seller,
        buyer: &buyer,
        customer_reference: Some("C0042"),
        payment_reference: &reference,
        instructions: &instructions(),
        late_payment: views::late_payment_sentence_in(&policy, eur(), eur(), locale),
        portal_link: None,
        locale,
    });
    let settings = DocumentSettings {
        locale,
        ..DocumentSettings::default()
    };
    (
        dun_pdf::render_invoice(&view, &settings).unwrap(),
        totals(&lines).total_minor,
    )
}

/// The text with no-break spaces read as spaces, runs of space made one.
fn plain(pdf: &[u8]) -> String {
    squash(&text_of(pdf).replace('\u{a0}', " "))
}

#[test]
fn a_german_invoice_speaks_german_and_states_section_288() {
    if !poppler("a_german_invoice_speaks_german_and_states_section_288") {
        return;
    }
    let (pdf, total) = invoice_pdf_in_locale(DocumentLocale::De, Law::DeBgb288);
    let text = plain(&pdf);
    let amount = dun_pdf::words::DE.amount(total, eur());
    assert!(amount.contains('.') && amount.contains(','), "{amount}");
    for needle in [
        "Rechnung",
        "Rechnungsdatum 02.11.2026",
        "Fälligkeitsdatum 02.12.2026",
        "RECHNUNGSEMPFÄNGER",
        "Beschreibung Menge Einzelpreis USt. Betrag",
        "Zwischensumme",
        &format!("Gesamtbetrag (EUR) {amount}"),
        "ZAHLBETRAG (EUR)",
        "VERWENDUNGSZWECK",
        "Zahlbar innerhalb von 30 Tagen ab Rechnungsdatum, bis zum 02.12.2026.",
        "Verzugszinsen in Höhe von neun Prozentpunkten über dem Basiszinssatz",
        "Pauschale von 40 Euro (§ 288 Abs. 5 BGB)",
        "Mahngebühr von 40,00 EUR",
        "Seite 1 von 2",
        "USt-IdNr. GB123456789",
    ] {
        assert!(text.contains(needle), "'{needle}' is not in:\n{text}");
    }
    assert!(
        !text.contains("Invoice") && !text.contains("Due date"),
        "{text}"
    );
}

#[test]
fn a_french_invoice_speaks_french_and_states_article_l441_10() {
    if !poppler("a_french_invoice_speaks_french_and_states_article_l441_10") {
        return;
    }
    let (pdf, total) = invoice_pdf_in_locale(DocumentLocale::Fr, Law::FrL441_10);
    let text = plain(&pdf);
    let amount = dun_pdf::words::FR
        .amount(total, eur())
        .replace('\u{a0}', " ");
    assert!(amount.contains(' ') && amount.contains(','), "{amount}");
    for needle in [
        "Facture",
        "Date d'émission 02/11/2026",
        "Date d'échéance 02/12/2026",
        "FACTURÉ À",
        "Titulaire du compte : Northwind Supplies Ltd",
        "Désignation Qté Prix unitaire TVA Montant",
        &format!("Total TTC (EUR) {amount}"),
        "MONTANT DÛ (EUR)",
        "Payable à 30 jours à compter de la date de facture, soit le 02/12/2026.",
        "article L441-10 du Code de commerce",
        "majoré de 10 points de pourcentage",
        "indemnité forfaitaire pour frais de recouvrement de 40 euros (art. D441-5 du Code de commerce)",
        "Page 1 sur 2",
        "20 %",
    ] {
        assert!(text.contains(needle), "'{needle}' is not in:\n{text}");
    }
    assert!(
        !text.contains("Invoice") && !text.contains("Due date"),
        "{text}"
    );
}

#[test]
fn a_statement_and_a_letter_in_german_and_french() {
    if !poppler("a_statement_and_a_letter_in_german_and_french") {
        return;
    }
    for (locale, needles) in [
        (
            DocumentLocale::De,
            [
                "Datum 30.11.2026",
                "01.10.2026 bis 30.11.2026",
                "Anfangssaldo",
                "Zahlungseingang (ref BACS 771203)",
                "Seite 1 von",
            ],
        ),
        (
            DocumentLocale::Fr,
            [
                "Relevé",
                "du 01/10/2026 au 30/11/2026",
                "Solde d'ouverture",
                "Paiement reçu (ref BACS 771203)",
                "Page 1 sur",
            ],
        ),
    ] {
        let settings = DocumentSettings {
            locale,
            ..DocumentSettings::default()
        };
        let text = plain(&statement_pdf_with(&settings));
        for needle in needles {
            assert!(
                text.contains(needle),
                "{locale:?}: '{needle}' is not in:\n{text}"
            );
        }
        let letter = plain(&letter_pdf_with(&settings));
        let (total_label, pay_by) = match locale {
            DocumentLocale::De => ("Jetzt fällig gesamt (EUR)", "bis zum 03.01.2027"),
            _ => ("Total exigible (EUR)", "au plus tard le 03/01/2027"),
        };
        for needle in [total_label, pay_by] {
            assert!(
                letter.contains(needle),
                "{locale:?}: '{needle}' is not in:\n{letter}"
            );
        }
    }
}
