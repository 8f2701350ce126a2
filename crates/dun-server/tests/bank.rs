//! Bank statements over HTTP: a camt.053 as the bank wrote it is the
//! request's body; what matched is posted, the rest waits in the queue
//! with candidates; confirm, undo and dismiss decide it; a file that
//! cannot be read is refused whole, naming the element.

mod common;

use common::problem;
use serde_json::{json, Value};

fn camt053(entries: &[(&str, &str, &str, &str)]) -> String {
    let mut ntry = String::new();
    for (i, (amount, name, iban, text)) in entries.iter().enumerate() {
        ntry.push_str(&format!(
            "<Ntry><Amt Ccy=\"USD\">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>\
             <BookgDt><Dt>2026-03-20</Dt></BookgDt><ValDt><Dt>2026-03-20</Dt></ValDt><AcctSvcrRef>REF-{i}</AcctSvcrRef>\
             <BkTxCd/><NtryDtls><TxDtls><Refs><EndToEndId>E2E-{i}</EndToEndId></Refs>\
             <RltdPties><Dbtr><Nm>{name}</Nm></Dbtr><DbtrAcct><Id><IBAN>{iban}</IBAN></Id></DbtrAcct></RltdPties>\
             <RmtInf><Ustrd>{text}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>"
        ));
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
         <Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\"><BkToCstmrStmt>\
         <GrpHdr><MsgId>M1</MsgId><CreDtTm>2026-03-21T06:00:00</CreDtTm></GrpHdr>\
         <Stmt><Id>S1</Id><CreDtTm>2026-03-21T06:00:00</CreDtTm><Acct><Id><IBAN>DE89370400440532013000</IBAN></Id><Ccy>USD</Ccy></Acct>{ntry}</Stmt>\
         </BkToCstmrStmt></Document>"
    )
}

server_test!(
    fn a_statement_is_matched_and_the_rest_decided_over_http(server: &TestServer) {
        let api = server.owner("Bank Ltd");
        for (r, name) in [("C1", "Acme Corp"), ("C2", "Bolt Ltd")] {
            let (status, body) =
                api.post("/api/v1/customers", json!({"reference": r, "name": name}));
            assert_eq!(status, 201, "{body}");
        }
        let issue = |customer: &str, price: &str| -> String {
            let (status, body) = api.post(
                "/api/v1/invoices",
                json!({"customer": customer, "issue_date": "2026-03-01", "issue": true,
                "lines": [{"description": "Work", "quantity": "1", "unit_price": price}]}),
            );
            assert_eq!(status, 201, "{body}");
            body["number"].as_str().unwrap().to_string()
        };
        let first = issue("C1", "100.00");
        let second = issue("C2", "250.00");
        let file = camt053(&[
            (
                "100.00",
                "ACME CORP",
                "GB82WEST12345698765432",
                &format!("invoice {}", first.to_lowercase()),
            ),
            ("250.00", "Bolt Ltd", "FR1420041010050500013M02606", "March"),
        ]);
        let imported = api.send_raw(
            "POST",
            "/api/v1/bank/statements?file_name=march.xml",
            Some(&file),
            "application/xml",
            &[],
        );
        assert_eq!(imported.status, 201, "{}", imported.body);
        assert_eq!(
            (&imported.body["matched"], &imported.body["suggested"]),
            (&json!(1), &json!(1)),
            "{}",
            imported.body
        );
        // The same file again adds nothing.
        let again = api.send_raw(
            "POST",
            "/api/v1/bank/statements",
            Some(&file),
            "application/xml",
            &[],
        );
        assert_eq!(again.body["lines_new"], json!(0), "{}", again.body);

        let (status, queue) = api.get("/api/v1/bank/transactions");
        assert_eq!(status, 200, "{queue}");
        let waiting = &queue["items"][0];
        assert_eq!(waiting["candidates"][0]["customer"], json!("C2"), "{queue}");
        assert_eq!(
            waiting["candidates"][0]["invoices"],
            json!([second]),
            "{queue}"
        );
        let id = waiting["id"].as_i64().unwrap();
        let (status, done) = api.post(
            &format!("/api/v1/bank/transactions/{id}/confirm"),
            json!({"customer": "C2"}),
        );
        assert_eq!(status, 200, "{done}");
        assert_eq!(
            (&done["status"], &done["rule"]),
            (&json!("matched"), &json!("person")),
            "{done}"
        );
        let (_, invoice) = api.get(&format!("/api/v1/invoices/{second}"));
        assert_eq!(invoice["open"], json!("0.00"), "{invoice}");
        // The reference a payer quotes is the invoice's own.
        assert!(
            invoice["payment_reference"]
                .as_str()
                .is_some_and(|r| r.starts_with("RF")),
            "{invoice}"
        );
        // Confirming twice is a conflict, not a second payment.
        problem(
            409,
            api.post(
                &format!("/api/v1/bank/transactions/{id}/confirm"),
                json!({"customer": "C2"}),
            ),
        );

        let (_, matched) = api.get("/api/v1/bank/transactions?show=matched");
        let auto: &Value = matched["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["rule"] == json!("invoice_number"))
            .expect("the automatic match");
        assert!(
            auto["reasons"][0].as_str().unwrap().contains(&first),
            "{auto}"
        );
        let auto_id = auto["id"].as_i64().unwrap();
        let (status, undone) = api.post(
            &format!("/api/v1/bank/transactions/{auto_id}/undo"),
            json!({"reason": "paid for C2"}),
        );
        assert_eq!(status, 200, "{undone}");
        let (_, invoice) = api.get(&format!("/api/v1/invoices/{first}"));
        assert_eq!(invoice["open"], json!("100.00"), "{invoice}");
        let (status, dismissed) = api.post(
            &format!("/api/v1/bank/transactions/{auto_id}/dismiss"),
            json!({"reason": "a loan"}),
        );
        assert_eq!(status, 200, "{dismissed}");
        assert_eq!(dismissed["status"], json!("not_customer"));

        // A file cut short is refused whole, naming where.
        let cut = &file[..file.len() / 2];
        let refused = api.send_raw(
            "POST",
            "/api/v1/bank/statements",
            Some(cut),
            "application/xml",
            &[],
        );
        assert_eq!(refused.status, 422, "{}", refused.body);
        assert!(
            refused.body["detail"]
                .as_str()
                .unwrap()
                .contains("Document/BkToCstmrStmt"),
            "{}",
            refused.body
        );
        problem(422, api.get("/api/v1/bank/transactions?show=everything"));
    }
);

/// `text` as a URL query value.
fn query_value(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn zip_of(entries: &[(&str, &str)]) -> Vec<u8> {
    use std::io::Write;
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, text) in entries {
        out.start_file(*name, options).unwrap();
        out.write_all(text.as_bytes()).unwrap();
    }
    out.finish().unwrap().into_inner()
}

server_test!(
    fn a_zip_a_mapping_and_the_queue_in_pages_over_http(server: &TestServer) {
        let api = server.owner("Bank Pages Ltd");
        // A ZIP of two statements: both imported, as two statements.
        let march = camt053(&[
            ("10.00", "Ann", "GB82WEST12345698765432", "one"),
            ("11.00", "Bob", "FR1420041010050500013M02606", "two"),
        ]);
        let april = march
            .replace("REF-", "APR-")
            .replace("<Id>S1</Id>", "<Id>S2</Id>");
        let archive = zip_of(&[("march.xml", &march), ("april.xml", &april)]);
        let imported = api.send_bytes(
            "POST",
            "/api/v1/bank/statements?file_name=camt.zip",
            Some(&archive),
            "application/zip",
            &[],
        );
        assert_eq!(imported.status, 201, "{}", imported.body);
        assert_eq!(
            (&imported.body["statements"], &imported.body["lines_new"]),
            (&json!(2), &json!(4)),
            "{}",
            imported.body
        );
        // An entry cut short: refused whole, naming the entry and element.
        let cut = zip_of(&[("may.xml", &march[..march.len() - 30])]);
        let refused = api.send_bytes(
            "POST",
            "/api/v1/bank/statements",
            Some(&cut),
            "application/zip",
            &[],
        );
        assert_eq!(refused.status, 422, "{}", refused.body);
        let detail = refused.body["detail"].as_str().unwrap();
        assert!(
            detail.contains("ZIP entry \"may.xml\", Document"),
            "{detail}"
        );

        // A CSV export no preset reads, with the mapping as TOML.
        let mapping = "date = \"Datum\"\ndate_format = \"dd.mm.yyyy\"\namount = \"Betrag\"\ndecimal = \",\"\nfixed_currency = \"USD\"\nremittance = \"Text\"\n";
        let csv = "Datum;Text;Betrag\n02.04.2026;Spende;5,00\n";
        let imported = api.send_raw(
            "POST",
            &format!(
                "/api/v1/bank/statements?file_name=x.csv&mapping={}",
                query_value(mapping)
            ),
            Some(csv),
            "text/csv",
            &[],
        );
        assert_eq!(imported.status, 201, "{}", imported.body);
        assert_eq!(imported.body["lines_new"], json!(1), "{}", imported.body);
        // A mapping with a wrong key: refused, naming its line and key.
        let wrong = mapping.replace("decimal", "decimals");
        let refused = api.send_raw(
            "POST",
            &format!("/api/v1/bank/statements?mapping={}", query_value(&wrong)),
            Some(csv),
            "text/csv",
            &[],
        );
        assert_eq!(refused.status, 422, "{}", refused.body);
        let detail = refused.body["detail"].as_str().unwrap();
        assert!(
            detail.contains("line 4") && detail.contains("decimals"),
            "{detail}"
        );

        // Five lines wait: two pages of two and one of one.
        let mut seen = Vec::new();
        let mut path = "/api/v1/bank/transactions?limit=2".to_string();
        let mut pages = 0;
        loop {
            let (status, page) = api.get(&path);
            assert_eq!(status, 200, "{page}");
            pages += 1;
            for line in page["items"].as_array().unwrap() {
                seen.push(line["id"].as_i64().unwrap());
            }
            match page["next_cursor"].as_str() {
                Some(cursor) => path = format!("/api/v1/bank/transactions?limit=2&cursor={cursor}"),
                None => break,
            }
        }
        assert_eq!(pages, 3);
        let mut unique = seen.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!((seen.len(), unique.len()), (5, 5), "{seen:?}");
        problem(422, api.get("/api/v1/bank/transactions?cursor=bank.zz"));
        problem(422, api.get("/api/v1/bank/transactions?limit=501"));
    }
);
