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
