//! The Today page over real HTTP, on SQLite and PostgreSQL (issue 16 item
//! 1): today's run in words per customer, with amounts; a first run the
//! scheduler left for a person says so; Apply applies exactly what the
//! page showed — a payment recorded in between makes it refuse and show
//! the run as it now is — and the runs applied are listed.

// Amounts are written as money reads: `120_00` is 120.00.
#![allow(clippy::inconsistent_digit_grouping)]

mod common;

use common::TestServer;
use dun_core::import::CustomerRow;
use dun_core::invoice::{InvoiceDraft, InvoiceLine};
use dun_core::Currency;
use dun_store::payments::{Allocate, NewPayment};
use dun_store::Store;

const PASSWORD: &str = "correct horse battery";

/// The value of the hidden `digest` field of the Apply form.
fn digest(body: &str) -> String {
    let at = body
        .find("name=\"digest\" value=\"")
        .expect("an Apply form")
        + 21;
    body[at..at + 64].to_string()
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
    let empty = owner.get("/today");
    assert_eq!(empty.status, 200, "{}", empty.body);
    empty.assert_contains("Nothing to do today");
    empty.assert_contains("No run has been applied yet");
    assert!(!empty.body.contains("Apply today"));

    let mut store = Store::open(url).expect("the store");
    let org = store.orgs().unwrap().into_iter().next().unwrap();
    let today = dun_server::wire::today_in("UTC").unwrap();
    let usd = Currency::parse("USD").unwrap();
    let mut numbers = Vec::new();
    for (reference, name, days_ago) in [
        ("BOLT", "Bolt & Nut", 45),
        ("WING", "Wing Nut Ltd", 60),
        ("RUST", "Rusty Rivets", 95),
    ] {
        let customer = store
            .add_customer(
                org.id,
                &CustomerRow {
                    row: 1,
                    reference: reference.into(),
                    name: name.into(),
                    email: Some(format!("ap@{}.example", reference.to_lowercase())),
                    phone: None,
                    credit_limit_minor: None,
                    terms: None,
                    notes: None,
                    payment_methods: None,
                },
                None,
            )
            .unwrap();
        let draft = InvoiceDraft {
            customer_id: customer.id,
            currency: usd,
            issue_date: today.add_days(-days_ago),
            terms: dun_core::terms::Terms::Net { days: 30 },
            description: String::new(),
            lines: vec![InvoiceLine::new("Bolts", 10_000, 120_00, 0).unwrap()],
            installments: Vec::new(),
        };
        let posted = store
            .create_and_issue_invoice(org.id, &draft, None, None)
            .unwrap();
        numbers.push(posted.number);
    }

    // The preview, in words, per customer.
    let page = owner.get("/today");
    assert_eq!(page.status, 200, "{}", page.body);
    page.assert_contains("Bolt &amp; Nut");
    page.assert_contains("Wing Nut Ltd");
    page.assert_contains(&format!("{} (USD 120.00 open, 15 days late)", numbers[0]));
    page.assert_contains(&format!("{} (USD 120.00 open, 30 days late)", numbers[1]));
    page.assert_contains("by e-mail");
    page.assert_contains(&format!("Charge a late fee of USD 40.00 on {}", numbers[2]));
    page.assert_contains(
        "This is the book's first run: it would send 3 messages and charge 1 late fee",
    );
    page.assert_contains("Apply today's run");
    assert!(!page.body.contains("step."), "no rule ids: {}", page.body);
    let seen = digest(&page.body);

    // A made-up digest is refused; nothing is applied.
    let csrf = page.csrf();
    let refused = owner.post_form("/today/apply", &[("csrf_token", &csrf), ("digest", "0000")]);
    assert_eq!(refused.status, 422, "{}", refused.body);
    refused.assert_contains("the book changed since the preview you read");
    assert!(store.runs(org.id, 10).unwrap().is_empty());

    // Wing Nut pays after the page was read: Apply refuses what it showed,
    // and the page shows the run as it now is.
    store
        .record_payment(
            org.id,
            &NewPayment {
                customer_ref: "WING".into(),
                currency: usd,
                received_date: today,
                amount_minor: 120_00,
                method: "bank_transfer".into(),
                reference: String::new(),
                note: String::new(),
            },
            &Allocate::OldestDueFirst,
            None,
        )
        .unwrap();
    let stale = owner.post_form("/today/apply", &[("csrf_token", &csrf), ("digest", &seen)]);
    assert_eq!(stale.status, 422, "{}", stale.body);
    stale.assert_contains("nothing was done");
    assert!(!stale.body.contains("Wing Nut Ltd"), "paid: not in the run");
    assert!(store.runs(org.id, 10).unwrap().is_empty());

    // The scheduler found the first run too big to apply alone: the page
    // says so until a person applies it.
    store
        .claim_run(
            org.id,
            today,
            "sched-1",
            "2026-01-01T06:00:00Z",
            "2026-01-01T05:00:00Z",
        )
        .unwrap();
    store
        .finish_run(
            org.id,
            today,
            "sched-1",
            "refused: the book's first run would send 3 messages and charge 1 late fee",
            "2026-01-01T06:00:01Z",
        )
        .unwrap();
    owner.get("/today").assert_contains(
        "The scheduler did not apply today's run on its own: the book's first run would send 3 messages",
    );

    // Read again and applied: what it showed is what was queued.
    let page = owner.get("/today");
    let now_seen = digest(&page.body);
    assert_ne!(now_seen, seen);
    let applied = owner.post_form(
        "/today/apply",
        &[("csrf_token", &csrf), ("digest", &now_seen)],
    );
    assert_eq!(applied.status, 303, "{}", applied.body);
    let runs = store.runs(org.id, 10).unwrap();
    assert_eq!(runs.len(), 1);
    let after = owner.get(&format!("/today?applied={}", runs[0].id));
    after.assert_contains(&format!("Run {} applied", runs[0].id));
    after.assert_contains("Nothing to do today");
    after.assert_contains(&today.to_string());
    let queued = store.outbox(org.id, Some("pending"), 100).unwrap();
    let mut to: Vec<&str> = queued.iter().map(|m| m.customer_ref.as_str()).collect();
    to.sort_unstable();
    assert_eq!(to, ["BOLT", "RUST"], "{queued:#?}");

    // The customer page says why an invoice's Open is more than its Total:
    // the late fee the run added, itemized; none where nothing was added.
    let rusty = owner.get("/customers/RUST");
    rusty.assert_contains(r#"id="open-charges""#);
    rusty.assert_contains(&format!(
        r#"<span class="code">{}</span>: late fees USD 40.00"#,
        numbers[2]
    ));
    let bolt = owner.get("/customers/BOLT");
    assert!(
        !bolt.body.contains("open-charges"),
        "no charge was added to Bolt's invoice: {}",
        bolt.body
    );

    let after = owner.get("/today");
    assert!(
        !after.body.contains("did not apply today"),
        "today's run was applied by a person"
    );
}

#[test]
fn the_today_page_on_sqlite() {
    common::store::on_sqlite("today_page", run);
}

#[test]
fn the_today_page_on_postgres() {
    common::store::on_postgres("today_page", run);
}
