//! Mapping files the user writes, and the exports read through them.

use dun_bank::{parse_statements, CsvMapping, ParseError, ParseOptions};
use dun_core::bank::{BankLine, Statement, StatementFormat};
use dun_core::{Currency, Date};

fn read(bytes: &[u8], mapping: &str) -> Result<Statement, ParseError> {
    let options = ParseOptions {
        // The mapping wins over a preset.
        preset: Some("paypal".into()),
        mapping: Some(CsvMapping::from_toml(mapping).expect("the mapping reads")),
    };
    parse_statements(bytes, &options).map(|mut s| s.remove(0))
}

/// A Deutsche Bank-like export: account lines above the header, money out
/// and money in in two columns.
const SOLL_HABEN: &str = "Umsätze Girokonto;Zeitraum: 01.03.2026 - 31.03.2026\n\
Neuer Kontostand;;;;12.345,67;EUR\n\
\n\
Buchungstag;Wert;Umsatzart;Begünstigter / Auftraggeber;Verwendungszweck;IBAN;Kundenreferenz;Soll;Haben;Währung\n\
02.03.2026;02.03.2026;SEPA-Überweisung;Müller GmbH;\"INV-1\nINV-2\";DE89370400440532013000;K-1;;1.234,56;EUR\n\
\n\
03.03.2026;04.03.2026;Lastschrift;Telekom;Rechnung 03/2026;DE44500105175407324931;;-49,99;;EUR\n\
05.03.2026;05.03.2026;Gebühren;;;;;0,00;;EUR\n";

const SOLL_HABEN_MAPPING: &str = r#"
# Deutsche Bank, Girokonto
delimiter = ";"
skip_rows = 3
date = "Buchungstag"
date_format = "dd.mm.yyyy"
value_date = "Wert"
credit = "Haben"
debit = "Soll"
decimal = ","
fixed_currency = "EUR"
counterparty_name = "Begünstigter / Auftraggeber"
counterparty_iban = "IBAN"
remittance = ["Verwendungszweck", "Umsatzart"]
bank_ref = "Kundenreferenz"
"#;

fn day(d: u32) -> Date {
    Date::from_ymd(2026, 3, d).unwrap()
}

#[test]
fn soll_and_haben_columns_below_account_lines() {
    let got = read(SOLL_HABEN.as_bytes(), SOLL_HABEN_MAPPING).unwrap();
    let eur = Currency::parse("EUR").unwrap();
    assert_eq!(got.format, StatementFormat::Csv("mapping".into()));
    assert_eq!(got.currency, Some(eur));
    let mut paid = BankLine::new(day(2), 123456, eur);
    paid.value_date = Some(day(2));
    paid.counterparty_name = Some("Müller GmbH".into());
    paid.counterparty_iban = Some("DE89370400440532013000".into());
    paid.remittance = "INV-1 INV-2 SEPA-Überweisung".into();
    paid.bank_ref = Some("K-1".into());
    let mut debit = BankLine::new(day(3), -4999, eur);
    debit.value_date = Some(day(4));
    debit.counterparty_name = Some("Telekom".into());
    debit.counterparty_iban = Some("DE44500105175407324931".into());
    debit.remittance = "Rechnung 03/2026 Lastschrift".into();
    let mut fee = BankLine::new(day(5), 0, eur);
    fee.value_date = Some(day(5));
    fee.remittance = "Gebühren".into();
    assert_eq!(got.lines, vec![paid, debit, fee]);
}

fn refusal(export: &str, mapping: &str) -> ParseError {
    read(export.as_bytes(), mapping).unwrap_err()
}

#[test]
fn cells_are_refused_with_their_row_column_and_value() {
    let last_row = "05.03.2026;05.03.2026;Gebühren;;;;;0,00;;EUR";
    let with_last = |row: &str| SOLL_HABEN.replace(last_row, row);
    // Rows count the file's lines: a line break inside quotes and a blank
    // line come before row 9.
    let cases = [
        (
            "05.03.2026;05.03.2026;x;;;;;1,00;2,00;EUR",
            "row 9, column \"Haben\"",
            "2,00",
            "both money in and money out (\"Soll\")",
        ),
        (
            "05.03.2026;05.03.2026;x;;;;;;;EUR",
            "row 9, column \"Haben\"",
            "",
            "money in",
        ),
        (
            "05.03.2026;05.03.2026;x;;;;;;-2,00;EUR",
            "row 9, column \"Haben\"",
            "-2,00",
            "unsigned",
        ),
        (
            "05.03.2026;05.03.2026;x;;;;;1.5;;EUR",
            "row 9, column \"Soll\"",
            "1.5",
            "',' as the decimal mark",
        ),
        (
            "5.3.26;05.03.2026;x;;;;;1,00;;EUR",
            "row 9, column \"Buchungstag\"",
            "5.3.26",
            "dd.mm.yyyy is accepted",
        ),
        (
            ";05.03.2026;x;;;;;1,00;;EUR",
            "row 9, column \"Buchungstag\"",
            "",
            "a booking date is required",
        ),
    ];
    for (row, place, value, reason) in cases {
        let err = refusal(&with_last(row), SOLL_HABEN_MAPPING);
        assert_eq!(
            (err.place.as_str(), err.value.as_str()),
            (place, value),
            "{err:?}"
        );
        assert!(err.reason.contains(reason), "{err:?}");
    }
}

#[test]
fn a_mapped_column_the_file_lacks_is_refused_at_the_header() {
    let mapping =
        SOLL_HABEN_MAPPING.replace("bank_ref = \"Kundenreferenz\"", "bank_ref = \"Referenz\"");
    let err = refusal(SOLL_HABEN, &mapping);
    assert_eq!(
        (err.place.as_str(), err.value.as_str()),
        ("row 4", "Referenz")
    );
    assert!(err.reason.contains("\"Kundenreferenz\""), "{err:?}");

    // skip_rows wrong by one: the header is looked for on an account line.
    let mapping = SOLL_HABEN_MAPPING.replace("skip_rows = 3", "skip_rows = 2");
    let err = refusal(SOLL_HABEN, &mapping);
    assert_eq!(err.place, "row 3");
    assert!(err.reason.contains("blank"), "{err:?}");

    let mapping = SOLL_HABEN_MAPPING.replace("skip_rows = 3", "skip_rows = 40");
    let err = refusal(SOLL_HABEN, &mapping);
    assert_eq!(err.place, "row 41");
    assert!(err.reason.contains("fewer than 41 lines"), "{err:?}");
}

fn mapping_error(text: &str) -> ParseError {
    CsvMapping::from_toml(text).unwrap_err()
}

#[test]
fn unknown_keys_are_refused_with_the_keys_accepted() {
    let err = mapping_error("date = \"d\"\namount = \"a\"\ncurrency = \"c\"\nthousands = \".\"\n");
    assert_eq!(err.place, "mapping, line 4, key \"thousands\"");
    assert_eq!(err.value, "thousands");
    assert!(
        err.reason
            .contains("delimiter, skip_rows, date, date_format"),
        "{err:?}"
    );
    assert!(err.reason.contains("status_keep"), "{err:?}");
}

#[test]
fn mapping_values_are_checked() {
    let base = "date = \"d\"\namount = \"a\"\ncurrency = \"c\"\n";
    let cases = [
        (
            "date_format = \"yyyy/mm/dd\"",
            "mapping, line 4, key \"date_format\"",
            "yyyy/mm/dd",
            "dd.mm.yy",
        ),
        (
            "decimal = \";\"",
            "mapping, line 4, key \"decimal\"",
            ";",
            "\",\" or \".\"",
        ),
        (
            "delimiter = \"|\"",
            "mapping, line 4, key \"delimiter\"",
            "|",
            "(tab)",
        ),
        (
            "skip_rows = -1",
            "mapping, line 4, key \"skip_rows\"",
            "-1",
            "a whole number",
        ),
        (
            "skip_rows = \"2\"",
            "mapping, line 4, key \"skip_rows\"",
            "\"2\"",
            "a whole number",
        ),
        (
            "remittance = []",
            "mapping, line 4, key \"remittance\"",
            "[]",
            "a list of strings",
        ),
        (
            "remittance = [\"a\", 1]",
            "mapping, line 4, key \"remittance\"",
            "[\"a\", 1]",
            "a list of strings",
        ),
        (
            "bank_ref = \" \"",
            "mapping, line 4, key \"bank_ref\"",
            " ",
            "header text",
        ),
        (
            "counterparty_name = 3",
            "mapping, line 4, key \"counterparty_name\"",
            "3",
            "a string",
        ),
    ];
    for (extra, place, value, reason) in cases {
        let err = mapping_error(&format!("{base}{extra}\n"));
        assert_eq!(
            (err.place.as_str(), err.value.as_str()),
            (place, value),
            "{extra}: {err:?}"
        );
        assert!(err.reason.contains(reason), "{extra}: {err:?}");
    }
    let err = mapping_error("date = \"d\"\ncurrency = \"c\"\n");
    assert_eq!(err.place, "mapping, key \"amount\"");
    let err = mapping_error(
        "date = \"d\"\namount = \"a\"\ncredit = \"h\"\ndebit = \"s\"\ncurrency = \"c\"\n",
    );
    assert_eq!(err.place, "mapping, key \"amount\"");
    let err = mapping_error("date = \"d\"\namount = \"a\"\n");
    assert_eq!(err.place, "mapping, key \"currency\"");
    let err = mapping_error("amount = \"a\"\ncurrency = \"c\"\n");
    assert_eq!(err.place, "mapping, key \"date\"");
    let err = mapping_error("date = \"d\"\namount = \"a\"\nfixed_currency = \"XYZ\"\n");
    assert_eq!(
        (err.place.as_str(), err.value.as_str()),
        ("mapping, line 3, key \"fixed_currency\"", "XYZ")
    );
    let err = mapping_error("date = \"d\"\namount = \"a\"\ncurrency = \"c\"\nstatus = \"s\"\n");
    assert_eq!(err.place, "mapping, key \"status\"");
    let err = mapping_error("date = \"d\"\namount = \n");
    assert_eq!(err.place, "mapping, line 2");
    assert!(err.reason.starts_with("not TOML"), "{err:?}");
}

#[test]
fn a_status_column_and_alternative_date_formats() {
    let mapping = r#"
date = "Datum"
date_format = ["dd/mm/yyyy", "yyyy-mm-dd"]
amount = "Montant"
decimal = ","
currency = "Devise"
status = "Etat"
status_keep = ["Exécuté", "OK"]
delimiter = "\t"
"#;
    let export = "Datum\tMontant\tDevise\tEtat\n\
        31/03/2026\t-1.000,50\teur\tExécuté\n\
        2026-03-30\t2\tEUR\tok\n\
        2026-03-29\t3\tEUR\tRejeté\n";
    let got = read(export.as_bytes(), mapping).unwrap();
    let amounts: Vec<(Date, i64)> = got
        .lines
        .iter()
        .map(|l| (l.booked, l.amount_minor))
        .collect();
    assert_eq!(amounts, [(day(31), -100050), (day(30), 200)]);
}
