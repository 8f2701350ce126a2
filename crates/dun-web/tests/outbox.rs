//! The outbox page over real HTTP, on SQLite and PostgreSQL: what is
//! waiting, sent or failed, a banner when nothing can leave, a failed
//! message sent again, and a reminder held then cancelled with a reason
//! (issue 16 item 2).

mod common;

use common::TestServer;
use dun_core::import::CustomerRow;
use dun_core::invoice::{InvoiceDraft, InvoiceLine};
use dun_core::party::{Party, PaymentInstructions};
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
    message.assert_contains("Plain-text version");
    message.assert_contains("id=\"from\"");
    message.assert_contains("id=\"cc\"");
    assert_eq!(owner.get("/outbox/999999").status, 404);
    seen_as_the_customer_will(
        &server,
        &owner,
        &mut store,
        org.id,
        customer.id,
        sent.message_id,
        &posted.number,
    );

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

fn header<'a>(headers: &'a [(String, String)], name: &str) -> &'a str {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map_or("", |(_, v)| v.as_str())
}

/// An invoice e-mail's page: its HTML body framed from its own address
/// under a sandboxing policy, the files the worker would attach (the PDF;
/// the e-invoice once the organisation's details make one conform), each
/// downloadable — and reading it writes nothing, not even the timeline
/// entry the worker makes for a withheld e-invoice. A viewer reads it too.
fn seen_as_the_customer_will(
    server: &TestServer,
    owner: &common::Browser,
    store: &mut Store,
    org_id: i64,
    customer_id: i64,
    id: i64,
    number: &str,
) {
    let timeline = store.timeline(org_id, customer_id, None, 1000).unwrap();
    let row = store.outbox_message(org_id, id).unwrap();

    let page = owner.get(&format!("/outbox/{id}"));
    assert_eq!(page.status, 200, "{}", page.body);
    page.assert_contains(&format!("src=\"/outbox/{id}/body.html\""));
    page.assert_contains("sandbox=\"\"");
    page.assert_contains(&format!("href=\"/outbox/{id}/attachments/{number}.pdf\""));
    page.assert_contains("application/pdf");
    assert!(
        !page.body.contains(&format!("{number}.xml")),
        "{}",
        page.body
    );
    page.assert_contains(&format!("Invoice {number} goes without its e-invoice"));
    assert!(!page.body.contains("drawn up again"), "not sent yet");

    let (status, headers, bytes) = owner.get_bytes(&format!("/outbox/{id}/body.html"));
    assert_eq!(status, 200);
    let body = String::from_utf8(bytes).unwrap();
    assert!(body.contains("Dear Bolt &amp; Nut"), "{body}");
    assert!(body.contains("href=\"http"), "the portal link: {body}");
    assert!(header(&headers, "content-type").starts_with("text/html"));
    let csp = header(&headers, "content-security-policy");
    for directive in ["sandbox", "default-src 'none'", "frame-ancestors 'self'"] {
        assert!(csp.contains(directive), "{directive} in {csp}");
    }
    assert!(!csp.contains("script-src"), "{csp}");
    assert_eq!(header(&headers, "x-frame-options"), "SAMEORIGIN");
    // Dun's own pages are framed by nobody.
    assert!(page
        .header("content-security-policy")
        .unwrap()
        .contains("frame-ancestors 'none'"));

    let (status, headers, bytes) =
        owner.get_bytes(&format!("/outbox/{id}/attachments/{number}.pdf"));
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "content-type"), "application/pdf");
    assert!(header(&headers, "content-disposition").contains(&format!("{number}.pdf")));
    assert!(bytes.starts_with(b"%PDF"), "the invoice's PDF");
    assert_eq!(
        owner
            .get(&format!("/outbox/{id}/attachments/{number}.xml"))
            .status,
        404
    );
    assert_eq!(owner.get("/outbox/999999/body.html").status, 404);

    // Nothing was written: the withheld e-invoice is on no timeline.
    assert_eq!(
        store.timeline(org_id, customer_id, None, 1000).unwrap(),
        timeline
    );
    assert_eq!(store.outbox_message(org_id, id).unwrap(), row);

    // With a French seller and a German buyer, the e-invoice conforms and
    // goes too.
    store
        .set_seller(
            org_id,
            &Party {
                name: "Acme Tools".into(),
                address_lines: vec!["1 rue de la Paix".into()],
                city: Some("Paris".into()),
                postcode: Some("75002".into()),
                country_code: Some("FR".into()),
                vat_id: Some("FR40303265045".into()),
                ..Party::default()
            },
            &PaymentInstructions {
                iban: Some("FR1420041010050500013M02606".into()),
                ..PaymentInstructions::default()
            },
        )
        .unwrap();
    store
        .set_buyer(
            org_id,
            "BOLT",
            &Party {
                name: "Bolt & Nut".into(),
                address_lines: vec!["Hauptstraße 5".into()],
                city: Some("Berlin".into()),
                postcode: Some("10115".into()),
                country_code: Some("DE".into()),
                vat_id: Some("DE123456789".into()),
                email: Some("ap@bolt.example".into()),
                ..Party::default()
            },
        )
        .unwrap();
    let timeline = store.timeline(org_id, customer_id, None, 1000).unwrap();
    let page = owner.get(&format!("/outbox/{id}"));
    page.assert_contains(&format!("href=\"/outbox/{id}/attachments/{number}.xml\""));
    page.assert_contains("E-invoice (UBL XML)");
    assert!(
        !page.body.contains("goes without its e-invoice"),
        "{}",
        page.body
    );
    let (status, headers, bytes) =
        owner.get_bytes(&format!("/outbox/{id}/attachments/{number}.xml"));
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "content-type"), "application/xml");
    assert!(String::from_utf8(bytes).unwrap().contains(number));

    // A viewer reads the message, its body and its files, as the outbox.
    let csrf = page.csrf();
    owner.add_member(&csrf, "vic@acme.example", "Vic Viewer", PASSWORD, "viewer");
    let viewer = server.browser();
    let signed = viewer.post_form(
        "/sign-in",
        &[("email", "vic@acme.example"), ("password", PASSWORD)],
    );
    assert_eq!(signed.status, 303, "{}", signed.body);
    let read = viewer.get(&format!("/outbox/{id}"));
    assert_eq!(read.status, 200, "{}", read.body);
    assert!(
        !read.body.contains("Hold message"),
        "a viewer acts on nothing"
    );
    assert_eq!(viewer.get(&format!("/outbox/{id}/body.html")).status, 200);
    let (status, _, bytes) = viewer.get_bytes(&format!("/outbox/{id}/attachments/{number}.pdf"));
    assert_eq!(status, 200);
    assert!(bytes.starts_with(b"%PDF"));
    assert_eq!(
        store.timeline(org_id, customer_id, None, 1000).unwrap(),
        timeline
    );

    // Once sent: where it went, and that its files are drawn up again.
    let mut conn = dun_store::Conn::open(&server.database_url).unwrap();
    let mut tx = conn.transaction().unwrap();
    tx.execute(
        "UPDATE outbox SET status = 'sent', sent_at = '2026-03-02T09:00:00Z',
         recipient = 'old@bolt.example', cc = 'payables@bolt.example' WHERE id = $1",
        dun_store::params![id],
    )
    .unwrap();
    tx.commit().unwrap();
    let sent = owner.get(&format!("/outbox/{id}"));
    sent.assert_contains("old@bolt.example");
    sent.assert_contains("payables@bolt.example");
    sent.assert_contains("on 2026-03-02T09:00:00Z");
    sent.assert_contains("drawn up again from the book as it is now");
    sent.assert_contains(&format!("{number}.pdf"));
}

#[test]
fn the_outbox_page_on_sqlite() {
    common::store::on_sqlite("outbox_page", run);
}

#[test]
fn the_outbox_page_on_postgres() {
    common::store::on_postgres("outbox_page", run);
}
