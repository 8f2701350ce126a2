//! Many writes at once: on SQLite they share group commits (one writer
//! thread, a savepoint each), on PostgreSQL they run side by side. Either
//! way every answer is the truth: each payment answered 201 is in the
//! book, each refused one left nothing behind, and the book balances.

mod common;

use serde_json::json;

server_test!(
    fn concurrent_writes_are_each_all_or_nothing(server: &TestServer) {
        let api = server.owner("Busy");
        for c in 0..4 {
            let (status, body) = api.post(
                "/api/v1/customers",
                json!({"reference": format!("C{c}"), "name": format!("Customer {c}")}),
            );
            assert_eq!(status, 201, "{body}");
            let (status, body) = api.post("/api/v1/invoices", json!({"customer": format!("C{c}"), "issue_date": "2026-01-05",
            "lines": [{"description": "Work", "quantity": "1", "unit_price": "1000.00"}], "issue": true}));
            assert_eq!(status, 201, "{body}");
        }
        let token = api.token.clone();
        let base = server.base.clone();
        let threads: Vec<_> = (0..48)
        .map(|i| {
            let (token, base) = (token.clone(), base.clone());
            std::thread::spawn(move || {
                let api = common::Api::new(&base, token);
                // Every third payment names an invoice that does not exist:
                // refused, and it must leave nothing behind.
                let allocation = if i % 3 == 0 {
                    json!([{"invoice": "NO-SUCH-INVOICE", "amount": "1.00"}])
                } else {
                    json!("oldest_due_first")
                };
                let (status, body) = api.post_with_key("/api/v1/payments", &format!("k-{i}"), json!({
                    "customer": format!("C{}", i % 4), "amount": "1.00", "received_date": "2026-02-01",
                    "reference": format!("p-{i}"), "allocation": allocation}));
                (i, status, body)
            })
        })
        .collect();
        let results: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        let accepted = results.iter().filter(|(_, s, _)| *s == 201).count();
        for (i, status, body) in &results {
            if i % 3 == 0 {
                assert!(
                    *status == 404 || *status == 422,
                    "payment {i}: {status} {body}"
                );
            } else {
                assert_eq!(*status, 201, "payment {i}: {body}");
            }
        }
        assert_eq!(accepted, 32);
        // What the answers said is what the book holds (read on a new connection).
        let mut store = dun_store::Store::open(&server.database_url).unwrap();
        let org = store.org(Some("Busy")).unwrap();
        let payments = store.payment_rows(org.id).unwrap();
        assert_eq!(payments.len(), 32, "one payment per 201");
        assert!(
            store.verify(org.id).unwrap().is_empty(),
            "the book balances"
        );
        for c in 0..4 {
            let (_, shown) = api.get(&format!("/api/v1/customers/C{c}"));
            assert_eq!(
                shown["owes"][0]["open"],
                json!("992.00"),
                "eight payments of 1.00 each: {shown}"
            );
        }
        // A repeat of an accepted write returns its first answer, even now.
        let (status, again) = api.post_with_key("/api/v1/payments", "k-1", json!({
        "customer": "C1", "amount": "1.00", "received_date": "2026-02-01", "reference": "p-1", "allocation": "oldest_due_first"}));
        assert_eq!(status, 201);
        let first = &results.iter().find(|(i, _, _)| *i == 1).unwrap().2;
        assert_eq!(&again, first);
    }
);
