//! The Bank and Payments pages over real HTTP, on SQLite and PostgreSQL:
//! a statement uploaded (multipart, with the form's CSRF token) matches
//! what names an invoice and leaves a stranger's line waiting; the line is
//! confirmed from the page, a match undone; a payment recorded from the
//! list, opened, and reversed with a reason.

// Amounts are written as money reads: `120_00` is 120.00.
#![allow(clippy::inconsistent_digit_grouping)]

mod common;

use common::TestServer;
use dun_core::import::CustomerRow;
use dun_core::invoice::{InvoiceDraft, InvoiceLine};
use dun_core::{Currency, Date};
use dun_store::Store;

const PASSWORD: &str = "correct horse battery";
const BOUNDARY: &str = "dun-test-boundary";

fn multipart(csrf: &str, file: &str) -> String {
    format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{csrf}\r\n\
         --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"preset\"\r\n\r\n\r\n\
         --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"march.csv\"\r\nContent-Type: text/csv\r\n\r\n{file}\r\n\
         --{BOUNDARY}--\r\n"
    )
}

/// The first bank line's id on a page (`id="line-N"`).
fn first_line(body: &str) -> String {
    let at = body.find("id=\"line-").expect("a bank line") + "id=\"line-".len();
    body[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect()
}

fn run(url: &str) {
    let server = TestServer::start(url);
    let owner = server.browser();
    let made = owner.post_form(
        "/setup",
        &[
            ("organisation", "Acme Tools"),
            ("currency", "USD"),
            ("timezone", "UTC"),
            ("name", "Olive Owner"),
            ("email", "olive@acme.example"),
            ("password", PASSWORD),
        ],
    );
    assert_eq!(made.status, 303, "{}", made.body);
    let mut store = Store::open(url).expect("the store");
    let org = store.orgs().unwrap().into_iter().next().unwrap();
    let row = CustomerRow {
        row: 1,
        reference: "BOLT".into(),
        name: "Bolt & Nut".into(),
        email: None,
        phone: None,
        credit_limit_minor: None,
        terms: None,
        notes: None,
        payment_methods: None,
    };
    let customer = store.add_customer(org.id, &row, None).unwrap();
    let draft = InvoiceDraft {
        customer_id: customer.id,
        currency: Currency::parse("USD").unwrap(),
        issue_date: Date::parse("2026-03-01").unwrap(),
        terms: dun_core::terms::Terms::Net { days: 30 },
        description: String::new(),
        lines: vec![InvoiceLine::new("Bolts", 10_000, 120_00, 0).unwrap()],
        installments: Vec::new(),
    };
    let posted = store
        .create_and_issue_invoice(org.id, &draft, None, None)
        .unwrap();

    // The Bank page: empty, with the upload form.
    let bank = owner.get("/bank");
    assert_eq!(bank.status, 200, "{}", bank.body);
    bank.assert_contains("Nothing is waiting");
    let csrf = bank.csrf();
    let file = format!(
        "date,amount,currency,counterparty_name,remittance,bank_ref\n2026-03-20,120.00,USD,Bolt and Nut,paid {},B-1\n2026-03-21,45.00,USD,Stranger Things Ltd,hello,B-2\n",
        posted.number
    );
    let content_type = format!("multipart/form-data; boundary={BOUNDARY}");
    let without = owner.send(
        "POST",
        "/bank/import",
        Some(multipart("", &file)),
        &[("Content-Type", &content_type)],
    );
    assert_eq!(
        without.status, 403,
        "no CSRF token, no import: {}",
        without.body
    );
    let uploaded = owner.send(
        "POST",
        "/bank/import",
        Some(multipart(&csrf, &file)),
        &[("Content-Type", &content_type)],
    );
    assert_eq!(uploaded.status, 303, "{}", uploaded.body);
    let after = owner.get(uploaded.location.as_deref().unwrap());
    after.assert_contains(
        "Read 2 lines: 2 new, 0 already imported. 1 matched and posted; 1 waiting for you.",
    );
    after.assert_contains("Stranger Things Ltd");
    let matched = owner.get("/bank?show=matched");
    matched.assert_contains("invoice number");
    matched.assert_contains(&posted.number);

    // A bad file: the page says what and where, nothing is written.
    let bad = owner.send(
        "POST",
        "/bank/import",
        Some(multipart(
            &csrf,
            "date,amount,currency\n2026-13-45,1.00,USD\n",
        )),
        &[("Content-Type", &content_type)],
    );
    assert_eq!(bad.status, 422, "{}", bad.body);
    bad.assert_contains("row 2");
    bad.assert_contains("Nothing was imported");

    // Confirm the waiting line as Bolt's (their credit now).
    let id = first_line(&after.body);
    let confirmed = owner.post_form(
        &format!("/bank/{id}/confirm"),
        &[
            ("csrf_token", &csrf),
            ("customer", "BOLT"),
            ("invoices", ""),
        ],
    );
    assert_eq!(confirmed.status, 303, "{}", confirmed.body);
    owner.get("/bank").assert_contains("Nothing is waiting");
    // Undo it: back in the queue.
    let undone = owner.post_form(
        &format!("/bank/{id}/undo"),
        &[("csrf_token", &csrf), ("reason", "not Bolt's")],
    );
    assert_eq!(undone.status, 303, "{}", undone.body);
    owner.get("/bank").assert_contains("Stranger Things Ltd");

    // Payments: the bank's payment is listed; record one by hand, open it, reverse it.
    let payments = owner.get("/payments");
    assert_eq!(payments.status, 200, "{}", payments.body);
    payments.assert_contains("bank transfer");
    let recorded = owner.post_form(
        "/payments",
        &[
            ("csrf_token", &csrf),
            ("customer", "BOLT"),
            ("amount", "30.00"),
            ("reference", "cheque 77"),
            ("allocate", "none"),
        ],
    );
    assert_eq!(recorded.status, 303, "{}", recorded.body);
    let at = recorded.location.clone().unwrap();
    let payment = owner.get(&at);
    payment.assert_contains("cheque 77");
    payment.assert_contains("USD 30.00");
    let refused = owner.post_form(
        "/payments",
        &[
            ("csrf_token", &csrf),
            ("customer", "BOLT"),
            ("amount", "thirty"),
        ],
    );
    assert_eq!(refused.status, 422, "{}", refused.body);
    let reversed = owner.post_form(
        &format!("{at}/reverse"),
        &[("csrf_token", &csrf), ("reason", "bounced")],
    );
    assert_eq!(reversed.status, 303, "{}", reversed.body);
    owner.get(&at).assert_contains("reversed");
}

#[test]
fn the_bank_and_payments_pages_on_sqlite() {
    common::store::on_sqlite("bank_payments_pages", run);
}

#[test]
fn the_bank_and_payments_pages_on_postgres() {
    common::store::on_postgres("bank_payments_pages", run);
}

fn multipart_with_mapping(csrf: &str, file: &str, mapping: &str) -> String {
    format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{csrf}\r\n\
         --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"mapping\"\r\n\r\n{mapping}\r\n\
         --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"konto.csv\"\r\nContent-Type: text/csv\r\n\r\n{file}\r\n\
         --{BOUNDARY}--\r\n"
    )
}

/// A mapping typed into the upload form reads an export no layout reads
/// (and a wrong one is refused naming its line and key); 501 waiting
/// lines are listed 500 and 1, with Next and Previous.
fn pages_and_mappings(url: &str) {
    let server = TestServer::start(url);
    let owner = server.browser();
    let made = owner.post_form(
        "/setup",
        &[
            ("organisation", "Acme Tools"),
            ("currency", "USD"),
            ("timezone", "UTC"),
            ("name", "Olive Owner"),
            ("email", "olive@acme.example"),
            ("password", PASSWORD),
        ],
    );
    assert_eq!(made.status, 303, "{}", made.body);
    let bank = owner.get("/bank");
    bank.assert_contains("name=\"mapping\"");
    let csrf = bank.csrf();
    let content_type = format!("multipart/form-data; boundary={BOUNDARY}");
    let mapping = "skip_rows = 1\ndate = \"Datum\"\ndate_format = \"dd.mm.yyyy\"\namount = \"Betrag\"\ndecimal = \",\"\nfixed_currency = \"USD\"\nremittance = \"Text\"\nfooter_labels = \"Kontostand\"\n";
    let mut file = String::from("Konto 4711\nDatum;Text;Betrag\n");
    for i in 0..501 {
        file.push_str(&format!("02.03.2026;Spende {i};{},00\n", i + 1));
    }
    file.push_str("Kontostand;;125.751,00\n");
    let wrong = owner.send(
        "POST",
        "/bank/import",
        Some(multipart_with_mapping(
            &csrf,
            &file,
            &mapping.replace("amount", "amout"),
        )),
        &[("Content-Type", &content_type)],
    );
    assert_eq!(wrong.status, 422, "{}", wrong.body);
    wrong.assert_contains("line 4, key");
    wrong.assert_contains("amout");
    let uploaded = owner.send(
        "POST",
        "/bank/import",
        Some(multipart_with_mapping(&csrf, &file, mapping)),
        &[("Content-Type", &content_type)],
    );
    assert_eq!(uploaded.status, 303, "{}", uploaded.body);
    let first = owner.get(uploaded.location.as_deref().unwrap());
    first.assert_contains("Read 501 lines: 501 new");
    assert_eq!(first.body.matches("id=\"line-").count(), 500);
    assert!(
        !first.body.contains("rel=\"prev\""),
        "the first page has no previous"
    );
    let at = first.body.find("rel=\"next\"").expect("a Next link");
    let href_at = first.body[..at].rfind("href=\"").unwrap() + "href=\"".len();
    let next: String = first.body[href_at..]
        .chars()
        .take_while(|c| *c != '"')
        .collect();
    let second = owner.get(&next.replace("&amp;", "&"));
    assert_eq!(second.status, 200, "{}", second.body);
    assert_eq!(second.body.matches("id=\"line-").count(), 1);
    second.assert_contains("Spende 0");
    assert!(
        !second.body.contains("rel=\"next\""),
        "the last page has no next"
    );
    let at = second.body.find("rel=\"prev\"").expect("a Previous link");
    let href_at = second.body[..at].rfind("href=\"").unwrap() + "href=\"".len();
    let previous: String = second.body[href_at..]
        .chars()
        .take_while(|c| *c != '"')
        .collect();
    let back = owner.get(&previous.replace("&amp;", "&"));
    assert_eq!(back.body.matches("id=\"line-").count(), 500);
    back.assert_contains("Spende 500");
}

#[test]
fn pages_and_mappings_on_sqlite() {
    common::store::on_sqlite("bank_pages_mappings", pages_and_mappings);
}

#[test]
fn pages_and_mappings_on_postgres() {
    common::store::on_postgres("bank_pages_mappings", pages_and_mappings);
}
