//! Files from other systems: every problem of a row, values as written,
//! and the rows `--skip-bad-rows` leaves out.

use dun_core::Currency;
use dun_csv::{ColumnMap, FileKind};

fn found(errors: &dun_core::import::ImportErrors) -> Vec<String> {
    errors.errors.iter().map(ToString::to_string).collect()
}

#[test]
fn every_problem_of_a_row_is_named_not_only_the_first() {
    let csv = "number,customer_ref,issue_date,due_date,currency,amount,tax_rate\n\
               A-1,,2026-13-01,2026-02-04,XXX,-5.00,120\n";
    let errors = dun_csv::read_invoices(csv.as_bytes())
        .into_result()
        .unwrap_err();
    let columns: Vec<&str> = errors.errors.iter().map(|e| e.column.as_str()).collect();
    assert_eq!(
        columns,
        [
            "customer_ref",
            "issue_date",
            "currency",
            "amount",
            "tax_rate"
        ],
        "{:#?}",
        found(&errors)
    );
    let csv = "number,customer_ref,issue_date,due_date,currency,quantity,unit_price,tax_rate\n\
               A-1,C1,2026-01-05,2026-02-04,USD,-2,-3.50,abc\n";
    let errors = dun_csv::read_invoices(csv.as_bytes())
        .into_result()
        .unwrap_err();
    let columns: Vec<&str> = errors.errors.iter().map(|e| e.column.as_str()).collect();
    assert_eq!(
        columns,
        ["quantity", "unit_price", "tax_rate"],
        "{:#?}",
        found(&errors)
    );
    let csv = "date,customer_ref,amount,currency\n2026-02-30,,abc,usdx\n";
    let errors = dun_csv::read_payments(csv.as_bytes())
        .into_result()
        .unwrap_err();
    let columns: Vec<&str> = errors.errors.iter().map(|e| e.column.as_str()).collect();
    assert_eq!(columns, ["date", "customer_ref", "currency", "amount"]);
    let csv = "ref,name,credit_limit,terms\n,,-1.00,sometimes\n";
    let usd = Currency::parse("USD").unwrap();
    let errors = dun_csv::read_customers(csv.as_bytes(), usd)
        .into_result()
        .unwrap_err();
    let columns: Vec<&str> = errors.errors.iter().map(|e| e.column.as_str()).collect();
    assert_eq!(columns, ["ref", "name", "credit_limit", "terms"]);
}

#[test]
fn values_in_errors_are_shown_as_the_user_wrote_them() {
    let csv = "number,customer_ref,issue_date,due_date,currency,amount,quantity,unit_price\n\
               A-1,C1,2026-01-05,2026-02-04,USD,-5.00,,\n\
               A-2,C1,2026-01-05,2026-02-04,USD,0,,\n\
               A-3,C1,2026-01-05,2026-02-04,USD,,1,-2.50\n";
    let text = dun_csv::read_invoices(csv.as_bytes())
        .into_result()
        .unwrap_err()
        .to_string();
    assert!(
        text.contains("row 2, column amount ('-5.00'): an invoice amount must be positive"),
        "{text}"
    );
    assert!(
        text.contains("row 3, column amount ('0'): an invoice amount must be positive"),
        "{text}"
    );
    assert!(
        text.contains("row 4, column unit_price ('-2.50'): a unit price must not be negative"),
        "{text}"
    );
    assert!(
        !text.contains("-500") && !text.contains("-250") && !text.contains("minor units"),
        "{text}"
    );
    let csv = "date,customer_ref,amount,currency\n2026-02-01,C1,-5.00,USD\n";
    let text = dun_csv::read_payments(csv.as_bytes())
        .into_result()
        .unwrap_err()
        .to_string();
    assert!(
        text.contains("row 2, column amount ('-5.00'): a payment amount must be positive"),
        "{text}"
    );
    let usd = Currency::parse("USD").unwrap();
    let text = dun_csv::read_customers("ref,name,credit_limit\nC1,One,-1.50\n".as_bytes(), usd)
        .into_result()
        .unwrap_err()
        .to_string();
    assert!(text.contains("column credit_limit ('-1.50')"), "{text}");
}

#[test]
fn another_systems_file_reads_with_its_headers_mapped_and_recognised() {
    let csv = "Inv #,Client,Invoice Date,Payment Due,CCY,Open Amount,Salesperson\n\
               A-1,C1,2026-01-05,2026-02-04,USD,100.00,Ann\n";
    let mut map = ColumnMap::default();
    map.add_pairs("Salesperson=-").unwrap();
    let parsed = dun_csv::read_invoices_mapped(csv.as_bytes(), &map);
    assert!(parsed.errors.is_empty(), "{}", parsed.errors);
    assert_eq!(parsed.rows.len(), 1);
    assert_eq!(parsed.rows[0].customer_ref, "C1");
    assert_eq!(parsed.warnings.len(), 6);
    // An error names the column as the file does.
    let csv = "Inv #,Client,Invoice Date,Payment Due,CCY,Open Amount,Salesperson\n\
               A-1,C1,2026-01-05,2026-02-04,USD,-5.00,Ann\n";
    let parsed = dun_csv::read_invoices_mapped(csv.as_bytes(), &map);
    let text = parsed.in_the_files_words(parsed.errors.clone()).to_string();
    assert!(
        text.contains("row 2, column Open Amount (amount) ('-5.00')"),
        "{text}"
    );
}

#[test]
fn no_name_is_read_as_two_columns_of_one_file() {
    for kind in [FileKind::Customers, FileKind::Invoices, FileKind::Payments] {
        let mut seen = std::collections::HashMap::new();
        for (ours, names) in kind.synonyms() {
            assert!(kind.columns().contains(ours), "{ours}");
            for name in names.iter().chain([ours]) {
                let key = dun_csv::header_key(name);
                if let Some(before) = seen.insert(key.clone(), *ours) {
                    assert_eq!(
                        before, *ours,
                        "{kind:?}: '{name}' is read as {before} and {ours}"
                    );
                }
            }
        }
    }
}

#[test]
fn bad_rows_are_split_off_whole_invoices_at_a_time_and_written_as_they_were() {
    let csv = "number,customer_ref,issue_date,due_date,currency,description,amount\r\n\
               A-1,C1,2026-01-05,2026-02-04,USD,good,100.00\r\n\
               A-2,C1,2026-01-05,2026-02-04,USD,\"first line, good\",10.00\r\n\
               A-2,C1,2026-01-05,2026-02-04,USD,second line bad,-5.00\r\n\
               A-3,,05/01/2026,2026-02-04,USD,\"two \"\"problems\"\"\",1.00\r\n\
               A-4,C1,2026-01-05,2026-02-04,USD,good,2.00\r\n";
    let mut parsed = dun_csv::read_invoices(csv.as_bytes());
    let (good, rejects) = parsed.split().unwrap();
    let numbers: Vec<&str> = good.iter().map(|r| r.number.as_str()).collect();
    assert_eq!(numbers, ["A-1", "A-4"]);
    assert_eq!(rejects.len(), 3);
    // The book refuses one more: its rows join the rejects.
    let mut book = dun_core::import::ImportErrors::default();
    book.push(
        6,
        "customer_ref",
        "C1",
        "no customer has this reference; import customers first",
    );
    rejects_add(&parsed, rejects, book, csv);
}

fn rejects_add<T>(
    parsed: &dun_csv::Parsed<T>,
    mut rejects: dun_csv::Rejects,
    book: dun_core::import::ImportErrors,
    csv: &str,
) {
    rejects.add(parsed, &book);
    let mut out = Vec::new();
    rejects.write(csv.as_bytes(), &mut out).unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "number,customer_ref,issue_date,due_date,currency,description,amount,reasons\r\n\
         A-2,C1,2026-01-05,2026-02-04,USD,\"first line, good\",10.00,\"another row of this invoice (row 4) is rejected\"\r\n\
         A-2,C1,2026-01-05,2026-02-04,USD,second line bad,-5.00,\"amount ('-5.00'): an invoice amount must be positive; corrections are credit notes\"\r\n\
         A-3,,05/01/2026,2026-02-04,USD,\"two \"\"problems\"\"\",1.00,\"customer_ref: a value is required; issue_date ('05/01/2026'): '05/01/2026' is not a date; use YYYY-MM-DD, e.g. 2026-01-31\"\r\n\
         A-4,C1,2026-01-05,2026-02-04,USD,good,2.00,\"customer_ref ('C1'): no customer has this reference; import customers first\"\r\n"
    );
}

#[test]
fn a_file_that_cannot_be_taken_row_by_row_is_refused_whole() {
    let mut parsed =
        dun_csv::read_payments("date,customer_ref,amount\n2026-01-01,C1,1\n".as_bytes());
    let refused = parsed.split().unwrap_err().to_string();
    assert!(
        refused.contains("column currency: required column is missing"),
        "{refused}"
    );
    // A ragged row is a bad row, not a bad file.
    let csv = "date,customer_ref,amount,currency\n2026-01-01,C1,1.00,USD\n2026-01-01,C1,1.00\n";
    let mut parsed = dun_csv::read_payments(csv.as_bytes());
    let (good, rejects) = parsed.split().unwrap();
    assert_eq!((good.len(), rejects.len()), (1, 1));
    let mut out = Vec::new();
    rejects.write(csv.as_bytes(), &mut out).unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "date,customer_ref,amount,currency,reasons\n2026-01-01,C1,1.00,\"(row): the row has 3 fields but the header has 4\"\n"
    );
}

#[test]
fn a_windows_file_names_its_rows_by_their_lines() {
    let csv = "date,customer_ref,amount,currency\r\n2026-01-01,C1,1.00,USD\r\n2026-01-01,C1,-1.00,USD\r\n";
    let errors = dun_csv::read_payments(csv.as_bytes())
        .into_result()
        .unwrap_err();
    assert_eq!(errors.errors[0].row, 3, "{errors}");
}
