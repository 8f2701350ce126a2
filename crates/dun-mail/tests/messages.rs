//! What a message and its documents say, on both engines (the storage
//! harness of dun-store): an invoice's PDF prints the late-payment terms of
//! the policy it was issued under, and a statement e-mail lists what its
//! PDF shows.

// Amounts are written as money reads: `250_00` is 250.00.
#![allow(clippy::inconsistent_digit_grouping)]

#[macro_use]
#[path = "../../dun-store/tests/common/mod.rs"]
mod common;

use common::*;
use dun_core::collections::document::DEFAULT_POLICY;
use dun_core::reference::CreditorReference;
use dun_core::schedule::Schedule;
use dun_mail::attachments::{for_claim, invoice_view};
use dun_mail::worker::compose;
use dun_store::payments::Allocate;
use dun_store::Store;

const NOW: &str = "2026-12-01T08:00:00Z";

storage_test!(
    fn an_invoice_prints_the_terms_of_the_policy_it_was_issued_under(store: &mut Store) {
        let org = org(store, "Acme");
        let c1 = customer(store, &org, "C1");
        let old = invoice(store, &org, &c1, "2026-10-01", "net30", 500_00);
        let today = d("2026-12-01");
        let (_, before) = invoice_view(store, org.id, &old.number, today, None).unwrap();
        let old_terms = before.late_payment.clone().expect("the default has a fee");
        assert!(old_terms.contains("a late fee of 40.00"), "{old_terms}");

        let changed = DEFAULT_POLICY
            .replace("flat = \"40.00\"", "flat = \"75.00\"")
            .replace("cap = \"40.00\"", "cap = \"75.00\"");
        assert_ne!(changed, DEFAULT_POLICY);
        let v2 = store.apply_policy(org.id, &changed, "owner", None).unwrap();
        assert_eq!(v2.version, 2);

        // The invoice issued under version 1 still prints version 1's terms.
        let (_, after) = invoice_view(store, org.id, &old.number, today, None).unwrap();
        assert_eq!(after.late_payment.as_deref(), Some(old_terms.as_str()));
        assert_eq!(
            store.invoice_policy(org.id, &old.number).unwrap().version,
            1
        );

        // One issued now prints the new terms.
        let new = invoice(store, &org, &c1, "2026-11-20", "net30", 100_00);
        let (_, fresh) = invoice_view(store, org.id, &new.number, today, None).unwrap();
        let new_terms = fresh.late_payment.expect("a fee");
        assert!(new_terms.contains("a late fee of 75.00"), "{new_terms}");
        assert!(!new_terms.contains("40.00"), "{new_terms}");
        assert_eq!(
            store.invoice_policy(org.id, &new.number).unwrap().version,
            2
        );
    }
);

storage_test!(
    fn a_statement_e_mail_lists_the_invoices_and_total_its_pdf_shows(store: &mut Store) {
        let org = org(store, "Acme");
        let c1 = customer(store, &org, "C1");
        let first = invoice(store, &org, &c1, "2026-09-10", "net30", 250_00);
        let second = invoice(store, &org, &c1, "2026-10-15", "net30", 120_49);
        let paid = invoice(store, &org, &c1, "2026-10-20", "net30", 60_00);
        store
            .record_payment(
                org.id,
                &payment(&c1, "2026-11-05", 95_00),
                &Allocate::Explicit(vec![
                    (first.number.clone(), 35_00),
                    (paid.number.clone(), 60_00),
                ]),
                None,
            )
            .unwrap();
        store
            .set_statement_schedule(
                org.id,
                "C1",
                Schedule::parse("monthly:1").unwrap(),
                d("2026-11-24"),
                "Ann",
            )
            .unwrap();
        store.run_schedules(org.id, d("2026-12-01")).unwrap();

        let claim = store
            .claim_next_message(org.id, "worker-1", NOW, d("2026-12-01"))
            .unwrap()
            .expect("the statement is due");
        assert_eq!(claim.message.kind, "statement");
        // The PDF's model, drawn from the same statements.
        let (from, to) = (d("2026-11-01"), d("2026-11-30"));
        let statements = store.statement(org.id, "C1", from, to).unwrap();
        assert_eq!(claim.statements, statements);
        let found = store.customer_statements(org.id, "C1", from, to).unwrap();
        let view = dun_pdf::views::statement(
            &statements[0],
            &found.seller,
            &found.buyer,
            Some("C1"),
            &found.payment,
            None,
            dun_pdf::DocumentLocale::En,
        );
        let total = view.aging.last().unwrap();
        assert_eq!(
            (total.label.as_str(), total.amount.as_str()),
            ("Total open", "335.49")
        );

        let out = compose(&claim, "https://pay.acme.example", Vec::new()).unwrap();
        assert!(!out.text.contains("(none)"), "{}", out.text);
        assert!(out.text.contains("Total open: USD 335.49"), "{}", out.text);
        for number in [&first.number, &second.number] {
            assert!(out.text.contains(number.as_str()), "{}", out.text);
            assert!(out.html.contains(number.as_str()), "{}", out.html);
        }
        assert!(!out.text.contains(paid.number.as_str()), "{}", out.text);
        assert!(out.text.contains("215.00"), "{}", out.text);
        assert!(out.text.contains("120.49"), "{}", out.text);
        // The statement is paid with the customer's reference; each
        // invoice's own stands beside it in the table.
        let customer_ref = CreditorReference::for_customer(c1.id).grouped();
        assert!(
            out.text
                .contains(&format!("Payment reference: {customer_ref}")),
            "{}",
            out.text
        );
        assert!(out.html.contains(&customer_ref), "{}", out.html);
        assert_eq!(view.payment_reference, customer_ref);
        for inv in [&first, &second] {
            let own = CreditorReference::for_invoice(inv.invoice_id).grouped();
            let row = out
                .text
                .lines()
                .find(|l| l.starts_with(inv.number.as_str()))
                .expect("the invoice's row");
            assert!(row.ends_with(&own), "{row}");
            assert!(out.html.contains(&own), "{}", out.html);
        }

        // The attached PDF is rendered from those statements.
        let files = for_claim(store, org.id, &claim, d("2026-12-01"), None).unwrap();
        assert_eq!(files.len(), 1);
        assert!(files[0].bytes.starts_with(b"%PDF"));
    }
);

storage_test!(
    fn a_letter_step_is_rendered_kept_on_the_timeline_and_the_worklist(store: &mut Store) {
        let org = org(store, "Acme");
        // The first notice goes by letter alone; the final demand (letter
        // and e-mail) is the default's.
        let letter_only = DEFAULT_POLICY.replace(
            "key = \"first_notice\"\ndays_past_due = 7\nchannels = [\"email\"]",
            "key = \"first_notice\"\ndays_past_due = 7\nchannels = [\"letter\"]",
        );
        assert_ne!(letter_only, DEFAULT_POLICY);
        store
            .apply_policy(org.id, &letter_only, "owner", None)
            .unwrap();
        let c1 = customer(store, &org, "C1");
        let c2 = customer(store, &org, "C2");
        invoice(store, &org, &c1, "2026-03-21", "net30", 150_00);
        invoice(store, &org, &c2, "2026-05-21", "net30", 80_00);
        let today = d("2026-06-30");
        store.run_collections(org.id, today, true).unwrap();
        let outbox = store.outbox(org.id, None, 100).unwrap();
        let demand = outbox.iter().find(|m| m.customer_id == c1.id).unwrap();
        let notice = outbox.iter().find(|m| m.customer_id == c2.id).unwrap();
        assert_eq!(demand.template, "final_demand");
        assert_eq!(demand.channels, ["email", "letter"]);
        assert_eq!(notice.channels, ["letter"]);
        assert_eq!(notice.status, "pending");

        let done = dun_mail::letters::make_letters(store, org.id, NOW, today, None).unwrap();
        assert!(done.failed.is_empty(), "{done:?}");
        assert_eq!(done.made, [demand.id, notice.id]);
        for (m, c) in [(demand, &c1), (notice, &c2)] {
            let letters = store.letters(org.id, m.id).unwrap();
            assert_eq!(letters.len(), 1);
            assert!(letters[0].pdf.starts_with(b"%PDF"));
            assert_eq!(
                letters[0].filename,
                format!("letter-{}-{}-2026-06-30.pdf", m.template, c.reference)
            );
            let timeline = store.timeline(org.id, c.id, None, 100).unwrap();
            assert!(
                timeline
                    .iter()
                    .any(|e| e.kind == "letter" && e.summary.contains(&letters[0].filename)),
                "{timeline:?}"
            );
            let tasks = store.tasks(org.id, Some(&c.reference), true).unwrap();
            let print: Vec<_> = tasks.iter().filter(|t| t.kind == "letter").collect();
            assert_eq!(print.len(), 1, "{tasks:?}");
            assert!(
                print[0].title.starts_with("Print and post"),
                "{}",
                print[0].title
            );
        }
        // A letter-only message is done once its letter is made; the other
        // still waits for its e-mail.
        let outbox = store.outbox(org.id, None, 100).unwrap();
        let status = |id: i64| outbox.iter().find(|m| m.id == id).unwrap().status.clone();
        assert_eq!(status(notice.id), "sent");
        assert_eq!(status(demand.id), "pending");

        // Once: a second pass makes nothing and adds no task.
        let again = dun_mail::letters::make_letters(store, org.id, NOW, today, None).unwrap();
        assert!(again.made.is_empty());
        assert_eq!(
            store
                .tasks(org.id, Some("C1"), true)
                .unwrap()
                .iter()
                .filter(|t| t.kind == "letter")
                .count(),
            1
        );

        // The e-mail of the step with both channels carries the letter.
        let kept = store.letters(org.id, demand.id).unwrap();
        let claim = store
            .claim_next_message(org.id, "worker-1", NOW, today)
            .unwrap()
            .expect("the final demand's e-mail");
        assert_eq!(claim.message.id, demand.id);
        let files = for_claim(store, org.id, &claim, today, None).unwrap();
        let letter = files
            .iter()
            .find(|f| f.filename == kept[0].filename)
            .expect("the letter attached");
        assert_eq!(letter.bytes, kept[0].pdf);
    }
);

storage_test!(
    fn an_unrecorded_invoice_prints_the_terms_of_its_issue_date(store: &mut Store, url: &str) {
        let org = org(store, "Acme");
        let c1 = customer(store, &org, "C1");
        let changed = DEFAULT_POLICY
            .replace("flat = \"40.00\"", "flat = \"75.00\"")
            .replace("cap = \"40.00\"", "cap = \"75.00\"");
        store.apply_policy(org.id, &changed, "owner", None).unwrap();
        let mid = invoice(store, &org, &c1, "2026-06-01", "net30", 500_00);
        let ancient = invoice(store, &org, &c1, "2020-01-01", "net30", 100_00);
        // As a book from before migration 0012 has them: no version recorded,
        // version 1 made on 2026-01-01, version 2 later.
        let mut conn = dun_store::db::Conn::open(url).unwrap();
        let mut tx = conn.transaction().unwrap();
        tx.execute(
            "UPDATE invoices SET policy_version = NULL WHERE org_id = $1",
            dun_store::params![org.id],
        )
        .unwrap();
        tx.execute(
            "UPDATE policy_versions SET created_at = '2026-01-01T09:00:00Z' WHERE org_id = $1 AND version = 1",
            dun_store::params![org.id],
        )
        .unwrap();
        tx.execute(
            "UPDATE policy_versions SET created_at = '2026-09-01T09:00:00Z' WHERE org_id = $1 AND version = 2",
            dun_store::params![org.id],
        )
        .unwrap();
        tx.commit().unwrap();
        let today = d("2026-12-01");
        assert_eq!(
            store.invoice_policy(org.id, &mid.number).unwrap().version,
            1
        );
        let (_, view) = invoice_view(store, org.id, &mid.number, today, None).unwrap();
        assert!(view.late_payment.unwrap().contains("a late fee of 40.00"));
        // Issued before any version: the current one.
        assert_eq!(
            store
                .invoice_policy(org.id, &ancient.number)
                .unwrap()
                .version,
            2
        );
    }
);

/// Every message the outbox holds for `day`, composed, by customer id.
fn composed(store: &mut Store, org_id: i64, day: &str) -> Vec<(i64, String)> {
    let mut out = Vec::new();
    while let Some(claim) = store
        .claim_next_message(org_id, "worker-1", NOW, d(day))
        .unwrap()
    {
        if claim.message.as_of != d(day) {
            continue;
        }
        let text = compose(&claim, "https://pay.acme.example", Vec::new())
            .unwrap()
            .text;
        out.push((claim.message.customer_id, text));
    }
    out
}

storage_test!(
    fn a_message_names_only_reminders_sent_and_demands_only_its_step(store: &mut Store) {
        // Issue 13 item 13a: the first run on a book that never ran sent a
        // final demand "despite our previous reminders", and listed an
        // invoice due that day under its threat.
        let org = org(store, "Acme");
        let c1 = customer(store, &org, "C1");
        let c2 = customer(store, &org, "C2");
        let c3 = customer(store, &org, "C3");
        invoice(store, &org, &c1, "2026-04-01", "net30", 100_00); // due 05-01
        invoice(store, &org, &c2, "2026-03-01", "net30", 200_00); // due 03-31
        let old = invoice(store, &org, &c3, "2026-02-01", "net30", 300_00); // due 03-03
        let today = invoice(store, &org, &c3, "2026-04-08", "net30", 40_00); // due 05-08

        store
            .run_collections(org.id, d("2026-05-08"), true)
            .unwrap();
        let first = composed(store, org.id, "2026-05-08");
        let text_of = |all: &[(i64, String)], id: i64| {
            all.iter()
                .find(|(c, _)| *c == id)
                .map(|(_, t)| t.clone())
                .unwrap()
        };
        // C3: a final demand, the first message it ever got.
        let demand = text_of(&first, c3.id);
        assert!(
            demand.contains("FINAL") || demand.contains("final demand"),
            "{demand}"
        );
        assert!(!demand.contains("We wrote to you"), "{demand}");
        assert!(
            !demand.to_lowercase().contains("previous reminders"),
            "{demand}"
        );
        // Its threat covers the old invoice only; the one due today is
        // listed apart, under its own heading, after the demand's wording.
        let (demanded, apart) = demand
            .split_once("Also open on your account, not yet at this stage:")
            .expect("the invoice due today is listed apart");
        assert!(demanded.contains(old.number.as_str()), "{demand}");
        assert!(!demanded.contains(today.number.as_str()), "{demand}");
        // One invoice demanded: its own reference, in its row and to quote.
        let old_ref = CreditorReference::for_invoice(old.invoice_id).grouped();
        let row = demanded
            .lines()
            .find(|l| l.starts_with(old.number.as_str()))
            .expect("the demanded invoice's row");
        assert!(row.ends_with(&old_ref), "{row}");
        assert!(
            demanded.contains(&format!("Payment reference: {old_ref}")),
            "{demand}"
        );
        // The one listed apart keeps its own beside it.
        let today_ref = CreditorReference::for_invoice(today.invoice_id).grouped();
        assert!(apart.contains(&today_ref), "{demand}");
        // 300.00 and the final demand's 40.00 fee.
        assert!(demanded.contains("Total: USD 340.00"), "{demand}");
        assert!(apart.contains(today.number.as_str()), "{demand}");
        // C2: a second notice (its first notice skipped, never sent).
        let second = text_of(&first, c2.id);
        assert!(!second.contains("We wrote to you"), "{second}");

        store
            .run_collections(org.id, d("2026-05-31"), true)
            .unwrap();
        let later = composed(store, org.id, "2026-05-31");
        // C1 got its first notice on 05-08; C2 its second notice then.
        let c1_second = text_of(&later, c1.id);
        assert!(
            c1_second.contains("We wrote to you about this on 2026-05-08 (first notice)."),
            "{c1_second}"
        );
        let c2_demand = text_of(&later, c2.id);
        assert!(
            c2_demand.contains("We wrote to you about this on 2026-05-08 (second notice)."),
            "{c2_demand}"
        );
    }
);

storage_test!(
    fn an_invoice_e_mail_and_its_documents_carry_the_invoices_payment_reference(store: &mut Store) {
        let org = org(store, "Acme");
        let c1 = customer(store, &org, "C1");
        let inv = invoice(store, &org, &c1, "2026-11-20", "net30", 100_00);
        let today = d("2026-12-01");
        let reference = CreditorReference::for_invoice(inv.invoice_id);
        store
            .send_invoice(org.id, &inv.number, today, None)
            .unwrap();
        let claim = store
            .claim_next_message(org.id, "worker-1", NOW, today)
            .unwrap()
            .expect("the invoice e-mail");
        assert_eq!(claim.message.kind, "invoice");
        let out = compose(&claim, "https://pay.acme.example", Vec::new()).unwrap();
        let sentence = format!(
            "Please quote the payment reference {} when you pay.",
            reference.grouped()
        );
        assert!(out.text.contains(&sentence), "{}", out.text);
        assert!(out.html.contains(&sentence), "{}", out.html);

        // The PDF prints it; a dollar invoice has no EPC QR code.
        let (_, view) = invoice_view(store, org.id, &inv.number, today, None).unwrap();
        assert_eq!(view.payment_reference, reference.grouped());
        assert!(view
            .payment_instructions
            .contains(&format!("Payment reference: {}", reference.grouped())));
        assert_eq!(view.currency, "USD");
        assert_eq!(view.payment_qr, None);
        // The e-invoice states it as BT-83, compact.
        let document =
            dun_mail::attachments::ubl_document(store, org.id, &inv.number, today).unwrap();
        assert_eq!(
            document.header.payment_id.as_deref(),
            Some(reference.as_str())
        );
    }
);

/// The text of a PDF, through poppler's `pdftotext`; `None` (said loudly,
/// or failing when DUN_TEST_REQUIRE_TOOLS=1) when poppler is not here.
fn pdf_text(pdf: &[u8]) -> Option<String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("doc.pdf");
    std::fs::write(&path, pdf).unwrap();
    match std::process::Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output()
    {
        Ok(out) if out.status.success() => {
            let text = String::from_utf8(out.stdout).unwrap();
            Some(text.split_whitespace().collect::<Vec<_>>().join(" "))
        }
        _ => {
            let message = "SKIPPED: reading a letter's text needs pdftotext (poppler-utils)";
            if std::env::var("DUN_TEST_REQUIRE_TOOLS").as_deref() == Ok("1") {
                panic!("{message}, and DUN_TEST_REQUIRE_TOOLS=1");
            }
            // To stderr itself: libtest keeps a passing test's eprintln! from
            // the person running `cargo test`, and a skip must be seen.
            {
                use std::io::Write as _;
                let _ = writeln!(std::io::stderr(), "{message}");
            }
            None
        }
    }
}

storage_test!(
    fn a_letter_lists_each_invoices_reference_and_the_customers_for_all(store: &mut Store) {
        let org = org(store, "Acme");
        let c1 = customer(store, &org, "C1");
        let a = invoice(store, &org, &c1, "2026-03-01", "net30", 150_00);
        let b = invoice(store, &org, &c1, "2026-03-02", "net30", 80_00);
        let today = d("2026-06-30");
        store.run_collections(org.id, today, true).unwrap();
        let outbox = store.outbox(org.id, None, 100).unwrap();
        let demand = outbox
            .iter()
            .find(|m| m.customer_id == c1.id && m.channels.iter().any(|c| c == "letter"))
            .expect("the final demand, by letter");
        let files = dun_mail::letters::letter_files(store, org.id, demand, None).unwrap();
        assert_eq!(files.len(), 1);
        let Some(text) = pdf_text(&files[0].1) else {
            return;
        };
        for inv in [&a, &b] {
            let own = CreditorReference::for_invoice(inv.invoice_id).grouped();
            assert!(text.contains(&own), "{own} is not in: {text}");
        }
        let all = CreditorReference::for_customer(c1.id).grouped();
        assert!(
            text.contains(&format!("Payment reference: {all}")),
            "{text}"
        );
    }
);
