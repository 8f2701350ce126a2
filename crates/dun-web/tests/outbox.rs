//! The outbox page over real HTTP, on SQLite and PostgreSQL: what is
//! waiting, sent or failed, a banner when nothing can leave, a failed
//! message sent again, and a reminder held then cancelled with a reason
//! (issue 16 item 2).

mod common;

use common::TestServer;
use dun_core::import::CustomerRow;
use dun_core::invoice::{InvoiceDraft, InvoiceLine};
use dun_core::{Currency, Date};
use dun_store::payments::{Allocate, NewPayment};
use dun_store::Store;

const PASSWORD: &str = "correct horse battery";

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
    let customer = store
        .add_customer(
            org.id,
            &CustomerRow {
                row: 1,
                reference: "BOLT".into(),
                name: "Bolt & Nut".into(),
                email: Some("ap@bolt.example".into()),
                phone: None,
                credit_limit_minor: None,
                terms: None,
                notes: None,
                payment_methods: None,
            },
            None,
        )
        .unwrap();
    let line = InvoiceLine::new("Bolts", 10_000, 12_00, 0).unwrap();
    let draft = InvoiceDraft {
        customer_id: customer.id,
        currency: Currency::parse("USD").unwrap(),
        issue_date: Date::parse("2026-03-01").unwrap(),
        terms: dun_core::terms::Terms::Net { days: 30 },
        description: String::new(),
        lines: vec![line],
        installments: Vec::new(),
    };
    let posted = store
        .create_and_issue_invoice(org.id, &draft, None, None)
        .unwrap();
    let sent = store
        .send_invoice(
            org.id,
            &posted.number,
            Date::parse("2026-03-02").unwrap(),
            None,
        )
        .unwrap();

    let page = owner.get("/outbox");
    assert_eq!(page.status, 200, "{}", page.body);
    page.assert_contains("No SMTP server is configured");
    page.assert_contains(&posted.number);
    page.assert_contains("Bolt &amp; Nut");
    page.assert_contains("pending");
    assert!(!page.body.contains("Send again"), "nothing failed yet");
    assert_eq!(owner.get("/outbox?status=bogus").status, 422);
    assert!(!owner
        .get("/outbox?status=sent")
        .body
        .contains(&posted.number));

    // Opened, it reads as the customer will read it.
    let message = owner.get(&format!("/outbox/{}", sent.message_id));
    assert_eq!(message.status, 200, "{}", message.body);
    message.assert_contains(&format!("Invoice {}", posted.number));
    message.assert_contains("ap@bolt.example");
    message.assert_contains("Dear Bolt &amp; Nut");
    assert_eq!(owner.get("/outbox/999999").status, 404);

    // A message that failed is sent again from the page.
    let mut conn = dun_store::Conn::open(url).unwrap();
    let mut tx = conn.transaction().unwrap();
    tx.execute(
        "UPDATE outbox SET status = 'failed', last_error = 'mailbox full' WHERE id = $1",
        dun_store::params![sent.message_id],
    )
    .unwrap();
    tx.commit().unwrap();
    let failed = owner.get("/outbox?status=failed");
    failed.assert_contains("mailbox full");
    failed.assert_contains("Send again");
    let csrf = failed.csrf();
    let again = owner.post_form(
        &format!("/outbox/{}/retry", sent.message_id),
        &[("csrf_token", &csrf)],
    );
    assert_eq!(again.status, 303, "{}", again.body);
    let pending = owner.get("/outbox?status=pending");
    pending.assert_contains(&posted.number);

    // A reminder the run queued, for an invoice paid since: opened, it
    // says it would not be sent, and why; opening it changes nothing.
    store
        .run_collections(org.id, Date::parse("2026-04-07").unwrap(), true)
        .unwrap();
    let reminder = store
        .outbox(org.id, Some("pending"), 100)
        .unwrap()
        .into_iter()
        .find(|m| m.kind == "dunning")
        .expect("the run's reminder");
    store
        .record_payment(
            org.id,
            &NewPayment {
                customer_ref: "BOLT".into(),
                currency: Currency::parse("USD").unwrap(),
                received_date: Date::parse("2026-04-08").unwrap(),
                amount_minor: posted.open_minor,
                method: "bank_transfer".into(),
                reference: String::new(),
                note: String::new(),
            },
            &Allocate::OldestDueFirst,
            None,
        )
        .unwrap();
    let opened = owner.get(&format!("/outbox/{}", reminder.id));
    assert_eq!(opened.status, 200, "{}", opened.body);
    opened.assert_contains("this reminder would not be sent");
    opened.assert_contains(&format!(
        "Reminder for {} not sent: paid on 2026-04-08",
        posted.number
    ));
    let list = owner.get("/outbox");
    list.assert_contains("/outbox?status=dropped");
    assert_eq!(
        store.outbox_message(org.id, reminder.id).unwrap().status,
        "pending"
    );

    // Held from the list, then cancelled from its page with a reason.
    let list = owner.get("/outbox?status=pending");
    list.assert_contains(&format!("Hold message {}", reminder.id));
    let csrf = list.csrf();
    let held = owner.post_form(
        &format!("/outbox/{}/hold", reminder.id),
        &[("csrf_token", &csrf), ("reason", "")],
    );
    assert_eq!(held.status, 303, "{}", held.body);
    let page = owner.get(&format!("/outbox/{}?done=hold", reminder.id));
    page.assert_contains("is held: it is not sent until you send it now");
    page.assert_contains("Why not send it");
    page.assert_contains(&format!("Send now message {}", reminder.id));
    assert!(!page.body.contains(&format!("Hold message {}", reminder.id)));
    let csrf = page.csrf();
    let refused = owner.post_form(
        &format!("/outbox/{}/cancel", reminder.id),
        &[("csrf_token", &csrf), ("reason", " ")],
    );
    assert_eq!(refused.status, 422, "{}", refused.body);
    refused.assert_contains("say why the message is cancelled");
    assert_eq!(
        store.outbox_message(org.id, reminder.id).unwrap().status,
        "held"
    );
    let cancelled = owner.post_form(
        &format!("/outbox/{}/cancel", reminder.id),
        &[("csrf_token", &csrf), ("reason", "paid: the bank shows it")],
    );
    assert_eq!(cancelled.status, 303, "{}", cancelled.body);
    let page = owner.get(&format!("/outbox/{}?done=cancel", reminder.id));
    page.assert_contains("is cancelled: it will not be sent");
    page.assert_contains("Why cancelled");
    page.assert_contains("cancelled by olive@acme.example: paid: the bank shows it");
    // Nothing more to do to it: a second cancel is refused on the page.
    let again = owner.post_form(
        &format!("/outbox/{}/cancel", reminder.id),
        &[("csrf_token", &csrf), ("reason", "twice")],
    );
    assert_eq!(again.status, 422, "{}", again.body);
    again.assert_contains("is cancelled; only a pending, held, failed or unknown message");
    assert_eq!(
        owner
            .post_form(
                &format!("/outbox/{}/explode", reminder.id),
                &[("csrf_token", &csrf)]
            )
            .status,
        404
    );
    let customer_page = owner.get("/customers/BOLT");
    customer_page.assert_contains("paid: the bank shows it");
}

#[test]
fn the_outbox_page_on_sqlite() {
    common::store::on_sqlite("outbox_page", run);
}

#[test]
fn the_outbox_page_on_postgres() {
    common::store::on_postgres("outbox_page", run);
}
