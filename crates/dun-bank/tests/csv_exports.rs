//! CSV exports as banks and PayPal write them, through the presets.

use dun_bank::{parse_statements, presets, ParseError, ParseOptions};
use dun_core::bank::{BankLine, Statement, StatementFormat};
use dun_core::{Currency, Date};

fn cur(code: &str) -> Currency {
    Currency::parse(code).unwrap()
}

fn date(y: i32, m: u32, d: u32) -> Date {
    Date::from_ymd(y, m, d).unwrap()
}

fn read(bytes: &[u8], preset: Option<&str>) -> Result<Statement, ParseError> {
    let options = ParseOptions {
        preset: preset.map(String::from),
        mapping: None,
    };
    let mut statements = parse_statements(bytes, &options)?;
    assert_eq!(statements.len(), 1, "a CSV file is one statement");
    Ok(statements.remove(0))
}

/// A Sparkasse "CSV-CAMT" export: `;`, quoted, two-digit years, decimal
/// comma with `.` thousands, a purpose with a `;` and a line break inside.
const SPARKASSE: &str = "\"Auftragskonto\";\"Buchungstag\";\"Valutadatum\";\"Buchungstext\";\"Verwendungszweck\";\"Glaeubiger ID\";\"Mandatsreferenz\";\"Kundenreferenz (End-to-End)\";\"Sammlerreferenz\";\"Lastschrift Ursprungsbetrag\";\"Auslagenersatz Ruecklastschrift\";\"Beguenstigter/Zahlungspflichtiger\";\"Kontonummer/IBAN\";\"BIC (SWIFT-Code)\";\"Betrag\";\"Waehrung\";\"Info\"\r
\"DE02120300000000202051\";\"02.03.26\";\"03.03.26\";\"GUTSCHR. UEBERWEISUNG\";\"Rechnung INV-2026-0042; Kunde 17\";\"\";\"\";\"E2E-0042\";\"\";\"\";\"\";\"Müller & Söhne GmbH\";\"DE89 3704 0044 0532 0130 00\";\"COBADEFFXXX\";\"1.234,56\";\"EUR\";\"Umsatz gebucht\"\r
\"DE02120300000000202051\";\"03.03.26\";\"03.03.26\";\"FOLGELASTSCHRIFT\";\"Strom März;\r
Vertrag 4711\";\"DE9ZZZ00000012345\";\"M-1\";\"NOTPROVIDED\";\"\";\"\";\"\";\"Stadtwerke Köln\";\"DE44500105175407324931\";\"\";\"-45,00\";\"EUR\";\"Umsatz gebucht\"\r
\"DE02120300000000202051\";\"04.03.26\";\"04.03.26\";\"GUTSCHR. UEBERWEISUNG\";\"INV-2026-0050\";\"\";\"\";\"\";\"\";\"\";\"\";\"Jürgen Weiß\";\"DE75512108001245126199\";\"\";\"12.345,00\";\"EUR\";\"Umsatz gebucht\"\r
";

fn sparkasse_lines() -> Vec<BankLine> {
    let eur = cur("EUR");
    let mut paid = BankLine::new(date(2026, 3, 2), 123456, eur);
    paid.value_date = Some(date(2026, 3, 3));
    paid.counterparty_name = Some("Müller & Söhne GmbH".into());
    paid.counterparty_iban = Some("DE89370400440532013000".into());
    paid.remittance = "Rechnung INV-2026-0042; Kunde 17".into();
    paid.end_to_end_id = Some("E2E-0042".into());
    let mut debit = BankLine::new(date(2026, 3, 3), -4500, eur);
    debit.value_date = Some(date(2026, 3, 3));
    debit.counterparty_name = Some("Stadtwerke Köln".into());
    debit.counterparty_iban = Some("DE44500105175407324931".into());
    debit.remittance = "Strom März; Vertrag 4711".into();
    let mut big = BankLine::new(date(2026, 3, 4), 1234500, eur);
    big.value_date = Some(date(2026, 3, 4));
    big.counterparty_name = Some("Jürgen Weiß".into());
    big.counterparty_iban = Some("DE75512108001245126199".into());
    big.remittance = "INV-2026-0050".into();
    vec![paid, debit, big]
}

fn windows_1252(text: &str) -> Vec<u8> {
    let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(text);
    assert!(!unmappable);
    bytes.into_owned()
}

#[test]
fn a_german_export_in_windows_1252_with_a_bom_reads_in_utf8() {
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend(windows_1252(SPARKASSE));
    assert!(
        std::str::from_utf8(&bytes).is_err(),
        "the test file is not UTF-8"
    );
    let got = read(&bytes, None).unwrap();
    assert_eq!(got.format, StatementFormat::Csv("de-bank".into()));
    assert_eq!(got.statement_id, None);
    assert_eq!(got.account_iban, None);
    assert_eq!(got.currency, None);
    assert_eq!((got.opening_minor, got.closing_minor), (None, None));
    assert_eq!(got.lines, sparkasse_lines());

    // The same export in UTF-8, with and without BOM, named or detected.
    let utf8 = read(SPARKASSE.as_bytes(), Some("de-bank")).unwrap();
    assert_eq!(utf8, got);
    let with_bom = format!("\u{FEFF}{SPARKASSE}");
    assert_eq!(read(with_bom.as_bytes(), None).unwrap(), got);
}

#[test]
fn a_volksbank_export_with_account_lines_above_the_header() {
    let export = "Umsatzanzeige;Erstellt am 05.03.2026\n\
        IBAN;DE02 1203 0000 0000 2020 51\n\
        \n\
        Bezeichnung Auftragskonto;IBAN Auftragskonto;Buchungstag;Valutadatum;Name Zahlungsbeteiligter;IBAN Zahlungsbeteiligter;Buchungstext;Verwendungszweck;Betrag;Währung;Saldo nach Buchung\n\
        Girokonto;DE02120300000000202051;02.03.2026;02.03.2026;ACME Ltd.;GB33BUKB20201555555555;Gutschrift;RF18539007547034;-1.000.000,01;EUR;5,00\n";
    let got = read(export.as_bytes(), None).unwrap();
    assert_eq!(got.format, StatementFormat::Csv("de-bank".into()));
    let line = &got.lines[0];
    assert_eq!(line.amount_minor, -100_000_001);
    assert_eq!(line.booked, date(2026, 3, 2));
    assert_eq!(line.counterparty_name.as_deref(), Some("ACME Ltd."));
    assert_eq!(
        line.counterparty_iban.as_deref(),
        Some("GB33BUKB20201555555555")
    );
    assert_eq!(line.remittance, "RF18539007547034");
}

/// PayPal's activity download (abridged to its first and last columns).
const PAYPAL: &str = "\u{FEFF}\"Date\",\" Time\",\" TimeZone\",\" Name\",\" Type\",\" Status\",\" Currency\",\" Gross\",\" Fee\",\" Net\",\" From Email Address\",\" To Email Address\",\" Transaction ID\",\" Reference Txn ID\",\" Invoice Number\",\" Balance\",\" Subject\",\" Note\",\" Balance Impact\"
\"03/02/2026\",\"10:15:00\",\"PST\",\"Acme Corp\",\"Express Checkout Payment\",\"Completed\",\"USD\",\"1,250.00\",\"-36.55\",\"1,213.45\",\"billing@acme.example\",\"sales@dun.example\",\"5TY12345AB678901C\",\"\",\"INV-2026-0042\",\"1,213.45\",\"Payment for INV-2026-0042\",\"Thanks, see you\",\"Credit\"
\"03/02/2026\",\"11:00:00\",\"PST\",\"Slow Payer\",\"eCheck Payment\",\"Pending\",\"USD\",\"99.00\",\"0.00\",\"99.00\",\"slow@example.com\",\"sales@dun.example\",\"PENDING123\",\"\",\"INV-2026-0043\",\"1,213.45\",\"\",\"\",\"Credit\"
\"03/03/2026\",\"09:00:00\",\"PST\",\"\",\"General Payment\",\"Completed\",\"EUR\",\"80.00\",\"-2.00\",\"78.00\",\"anna@example.de\",\"sales@dun.example\",\"9AB\",\"\",\"\",\"78.00\",\"\",\"\",\"Credit\"
\"03/04/2026\",\"12:30:00\",\"PST\",\"Acme Corp\",\"Payment Refund\",\"Completed\",\"USD\",\"-20.00\",\"0.58\",\"-19.42\",\"sales@dun.example\",\"billing@acme.example\",\"7XY\",\"5TY12345AB678901C\",\"INV-2026-0042\",\"1,194.03\",\"\",\"\",\"Debit\"
";

#[test]
fn a_paypal_export_reads_completed_rows_only() {
    let got = read(PAYPAL.as_bytes(), None).unwrap();
    assert_eq!(got.format, StatementFormat::Csv("paypal".into()));
    let mut sale = BankLine::new(date(2026, 3, 2), 125000, cur("USD"));
    sale.counterparty_name = Some("Acme Corp".into());
    sale.bank_ref = Some("5TY12345AB678901C".into());
    sale.remittance = "Payment for INV-2026-0042 Thanks, see you INV-2026-0042".into();
    let mut by_email = BankLine::new(date(2026, 3, 3), 8000, cur("EUR"));
    by_email.counterparty_name = Some("anna@example.de".into());
    by_email.bank_ref = Some("9AB".into());
    let mut refund = BankLine::new(date(2026, 3, 4), -2000, cur("USD"));
    refund.counterparty_name = Some("Acme Corp".into());
    refund.bank_ref = Some("7XY".into());
    refund.remittance = "INV-2026-0042".into();
    assert_eq!(got.lines, vec![sale, by_email, refund]);
}

#[test]
fn dun_s_own_columns_read_back() {
    let export = "date,amount,currency,counterparty_name,counterparty_iban,remittance,bank_ref\n\
        2026-03-02,1234.50,EUR,ACME Ltd.,gb33 bukb 2020 1555 5555 55,\"INV-1, INV-2\",R-1\n\
        2026-03-03,-5,JPY,,,,\n\
        \n\
        ,,,,,,\n";
    let got = read(export.as_bytes(), None).unwrap();
    assert_eq!(got.format, StatementFormat::Csv("dun".into()));
    let mut first = BankLine::new(date(2026, 3, 2), 123450, cur("EUR"));
    first.counterparty_name = Some("ACME Ltd.".into());
    first.counterparty_iban = Some("GB33BUKB20201555555555".into());
    first.remittance = "INV-1, INV-2".into();
    first.bank_ref = Some("R-1".into());
    let second = BankLine::new(date(2026, 3, 3), -5, cur("JPY"));
    assert_eq!(got.lines, vec![first, second]);

    // Tab-separated, upper-case headers with spaces.
    let tabs = " DATE \tAmount\tCurrency\n2026-03-02\t1\tEUR\n";
    assert_eq!(
        read(tabs.as_bytes(), None).unwrap().lines[0].amount_minor,
        100
    );
}

#[test]
fn cell_errors_name_row_column_and_value() {
    let cases = [
        // The third record spans lines 3 and 4, so the next is row 5.
        (
            "\"12.345,00\"",
            "\"12.50\"",
            "row 5, column \"Betrag\"",
            "12.50",
            "',' as the decimal mark",
        ),
        (
            "\"12.345,00\"",
            "\"1,234\"",
            "row 5, column \"Betrag\"",
            "1,234",
            "EUR allows 2",
        ),
        (
            "\"04.03.26\";\"04.03.26\"",
            "\"2026-03-04\";\"04.03.26\"",
            "row 5, column \"Buchungstag\"",
            "2026-03-04",
            "dd.mm.yy or dd.mm.yyyy",
        ),
        (
            "\"04.03.26\";\"04.03.26\"",
            "\"04.03.26\";\"31.02.26\"",
            "row 5, column \"Valutadatum\"",
            "31.02.26",
            "dd.mm.yy",
        ),
        (
            "\"12.345,00\";\"EUR\"",
            "\"12.345,00\";\"EURO\"",
            "row 5, column \"Waehrung\"",
            "EURO",
            "ISO 4217",
        ),
        (
            "\"12.345,00\"",
            "\"\"",
            "row 5, column \"Betrag\"",
            "",
            "an amount is required",
        ),
    ];
    for (from, to, place, value, reason) in cases {
        let at = SPARKASSE.rfind(from).expect("in the last row");
        let export = format!("{}{to}{}", &SPARKASSE[..at], &SPARKASSE[at + from.len()..]);
        let err = read(export.as_bytes(), Some("de-bank")).unwrap_err();
        assert_eq!(
            (err.place.as_str(), err.value.as_str()),
            (place, value),
            "{err:?}"
        );
        assert!(err.reason.contains(reason), "{err:?}");
    }
}

#[test]
fn a_header_that_fits_no_preset_is_refused_with_the_presets() {
    let err = read(b"when;how much\n2026-03-02;1\n", None).unwrap_err();
    assert_eq!(err.place, "row 1");
    assert_eq!(err.value, "when;how much");
    for name in presets() {
        assert!(err.reason.contains(name), "{err:?}");
    }
    assert!(
        err.reason
            .contains("de-bank needs Buchungstag, Betrag, Waehrung or Währung"),
        "{err:?}"
    );

    let err = read(PAYPAL.as_bytes(), Some("de-bank")).unwrap_err();
    assert_eq!(err.place, "row 1");
    assert_eq!(err.value, "Buchungstag");
    assert!(err.reason.contains("\"Date\""), "{err:?}");

    let err = read(PAYPAL.as_bytes(), Some("sparkasse")).unwrap_err();
    assert_eq!(
        (err.place.as_str(), err.value.as_str()),
        ("options", "sparkasse")
    );
    assert!(err.reason.contains("dun, de-bank, deutsche-bank, paypal"));

    let err = read(b"", None).unwrap_err();
    assert_eq!(err.place, "row 1");
}

#[test]
fn presets_are_listed() {
    assert_eq!(presets(), ["dun", "de-bank", "deutsche-bank", "paypal"]);
}

/// Deutsche Bank's export as it downloads: Windows-1252, account lines
/// above the header, money out in `Soll` with its minus, money in in
/// `Haben`, an empty `Betrag`, and a closing `Kontostand` row.
const DEUTSCHE_BANK: &str = "Umsätze Girokonto;Zeitraum: 30 Tage;;;;;;;;;;;;;;;;\r
Neuer Kontostand;;;;;;;;;;;;;;;;;\r
;;;;;;;;;;;;;;;;;\r
Buchungstag;Wert;Umsatzart;Begünstigter / Auftraggeber;Verwendungszweck;IBAN;BIC;Kundenreferenz;Mandatsreferenz ;Gläubiger ID;Fremde Gebühren;Betrag;Abweichender Empfänger;Anzahl der Aufträge;Anzahl der Schecks;Soll;Haben;Währung\r
02.03.2026;02.03.2026;SEPA-Überweisung von;Müller & Söhne GmbH;Rechnung INV-2026-0042 danke;DE89370400440532013000;COBADEFFXXX;E2E-0042;;;;;;;;;1.234,56;EUR\r
03.03.2026;03.03.2026;SEPA-Lastschrift an;Stadtwerke Köln;Strom März Vertrag 4711;DE44500105175407324931;COLSDE33XXX;;M-1;DE9ZZZ00000012345;;;;;;-45,00;;EUR\r
Kontostand;06.03.2026;;;5.432,10;EUR\r
";

fn deutsche_bank_lines() -> Vec<BankLine> {
    let eur = cur("EUR");
    let mut paid = BankLine::new(date(2026, 3, 2), 123456, eur);
    paid.value_date = Some(date(2026, 3, 2));
    paid.counterparty_name = Some("Müller & Söhne GmbH".into());
    paid.counterparty_iban = Some("DE89370400440532013000".into());
    paid.remittance = "Rechnung INV-2026-0042 danke".into();
    paid.end_to_end_id = Some("E2E-0042".into());
    let mut debit = BankLine::new(date(2026, 3, 3), -4500, eur);
    debit.value_date = Some(date(2026, 3, 3));
    debit.counterparty_name = Some("Stadtwerke Köln".into());
    debit.counterparty_iban = Some("DE44500105175407324931".into());
    debit.remittance = "Strom März Vertrag 4711".into();
    vec![paid, debit]
}

#[test]
fn deutsche_banks_export_reads_without_its_closing_balance_row() {
    let bytes = windows_1252(DEUTSCHE_BANK);
    assert!(
        std::str::from_utf8(&bytes).is_err(),
        "the test file is not UTF-8"
    );
    // Found from its header, the Kontostand row left unread.
    let got = read(&bytes, None).unwrap();
    assert_eq!(got.format, StatementFormat::Csv("deutsche-bank".into()));
    assert_eq!(got.lines, deutsche_bank_lines());

    // A mapping the user wrote: the last row skipped by count, or by the
    // text in its date cell.
    let mapping = |footer: &str| {
        let toml = format!(
            "skip_rows = 3\n{footer}\ndate = \"Buchungstag\"\ndate_format = \"dd.mm.yyyy\"\n\
             value_date = \"Wert\"\ncredit = \"Haben\"\ndebit = \"Soll\"\ndecimal = \",\"\n\
             currency = \"Währung\"\ncounterparty_name = \"Begünstigter / Auftraggeber\"\n\
             counterparty_iban = \"IBAN\"\nremittance = \"Verwendungszweck\"\nend_to_end_id = \"Kundenreferenz\"\n"
        );
        ParseOptions {
            preset: None,
            mapping: Some(dun_bank::CsvMapping::from_toml(&toml).unwrap()),
        }
    };
    for footer in ["skip_footer_rows = 1", "footer_labels = [\"kontostand\"]"] {
        let got = parse_statements(&bytes, &mapping(footer)).unwrap();
        assert_eq!(got[0].lines, deutsche_bank_lines(), "{footer}");
    }
    // Without either, the closing row is refused, naming it.
    let err = parse_statements(&bytes, &mapping("")).unwrap_err();
    assert_eq!(
        (err.place.as_str(), err.value.as_str()),
        ("row 7, column \"Buchungstag\"", "Kontostand")
    );
    // Skipping more rows than the footer has drops the last transaction,
    // never reads past the header: two rows skipped leave one line.
    let got = parse_statements(&bytes, &mapping("skip_footer_rows = 2")).unwrap();
    assert_eq!(got[0].lines, deutsche_bank_lines()[..1]);
    // A footer label that is not a date keeps other bad dates refused.
    let bad = windows_1252(&DEUTSCHE_BANK.replace("03.03.2026;03.03.2026", "3.3.;03.03.2026"));
    let err = read(&bad, None).unwrap_err();
    assert_eq!(
        (err.place.as_str(), err.value.as_str()),
        ("row 6, column \"Buchungstag\"", "3.3.")
    );
}
