//! The statement the bank job imports: a camt.053.001.08 of credits paying
//! the book's own open invoices, written from what plain SQL reads of the
//! book (never through Dun).
//!
//! Lines go round four kinds: two of every four quote the invoice's ISO
//! 11649 creditor reference in `RmtInf/Strd/CdtrRefInf/Ref`, one writes
//! its number in `RmtInf/Ustrd` ("inv 000123"), one says nothing a rule can
//! match (it goes to the queue). Each line pays a different invoice its
//! exact open amount, in its currency, from its customer (name and an IBAN
//! of the customer's own).

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

use anyhow::{bail, Context as _, Result};
use dun_core::money::format_minor;
use dun_core::reference::CreditorReference;
use dun_core::Currency;
use serde::Serialize;

use crate::report::grouped;

/// The account the statement is of (a valid German IBAN).
pub const ACCOUNT_IBAN: &str = "DE02120300000000202051";
/// The deterministic shuffle's seed: the same book gives the same file.
const SEED: u64 = 0x0d0e_b0a4_2026_0014;

/// An open invoice as the bench reads it from the book.
#[derive(Clone, Debug)]
pub struct OpenInvoice {
    pub id: i64,
    pub number: String,
    pub currency: String,
    pub open_minor: i64,
    pub customer_id: i64,
    pub customer_name: String,
}

/// The invoices' open items with their customers' names, by id: the same
/// text on both engines (`$1` is the organisation's name).
pub const OPEN_INVOICES_SQL: &str =
    "SELECT i.id, i.number, i.currency, i.open_minor, i.customer_id, c.name
  FROM invoices i JOIN customers c ON c.org_id = i.org_id AND c.id = i.customer_id
  WHERE i.org_id = (SELECT id FROM organisations WHERE name = $1)
    AND i.status = 'issued' AND i.open_minor > 0
  ORDER BY i.id";

/// What a line says to the matcher.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// The invoice's creditor reference, structured.
    Reference,
    /// The invoice's number in the unstructured text.
    Number,
    /// Nothing a rule matches: the queue.
    Queue,
}

impl Kind {
    /// Two of every four lines quote a reference, one a number, one nothing.
    pub fn of_line(i: usize) -> Kind {
        match i % 4 {
            0 | 1 => Kind::Reference,
            2 => Kind::Number,
            _ => Kind::Queue,
        }
    }
}

/// What was written.
#[derive(Clone, Debug, Serialize)]
pub struct StatementInfo {
    pub format: &'static str,
    pub lines: usize,
    pub bytes: u64,
    /// Lines quoting the invoice's creditor reference.
    pub with_reference: usize,
    /// Lines writing the invoice's number in the text.
    pub with_number: usize,
    /// Lines with nothing a rule matches.
    pub without_reference: usize,
    /// Of those, lines paying a distinct open invoice's exact amount (the
    /// rest, when the book has too few open invoices, pay an amount no
    /// invoice has open).
    pub queue_with_amount_of_an_invoice: usize,
    /// Open invoices in the book when the statement was written.
    pub open_invoices: usize,
    /// The day every line is booked (the day after the book's end).
    pub booked: String,
}

impl StatementInfo {
    /// Lines a rule can match: their invoice named by reference or number.
    pub fn expected_matches(&self) -> usize {
        self.with_reference + self.with_number
    }
}

/// A tiny deterministic generator (splitmix64) for the shuffle.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Escapes text for an XML element's content.
fn xml_text(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
}

/// A German IBAN (valid check digits) standing for a customer's account.
pub fn customer_iban(customer_id: i64) -> String {
    let bban = format!("{:018}", customer_id.max(0));
    // ISO 13616: BBAN, then "DE" as 1314, then "00"; 98 − (that mod 97).
    let remainder = format!("{bban}131400")
        .bytes()
        .fold(0u32, |r, d| (r * 10 + u32::from(d - b'0')) % 97);
    format!("DE{:02}{bban}", 98 - remainder)
}

/// The digits of an invoice number as written after its prefix
/// (`INV-000123` → `000123`).
fn number_digits(number: &str) -> &str {
    let start = number
        .rfind(|c: char| !c.is_ascii_digit())
        .map_or(0, |i| i + 1);
    &number[start..]
}

/// Writes the statement of `lines` credits to `path`. `open` is every open
/// invoice of the book (in any order); each line takes a different one.
pub fn write(
    path: &Path,
    open: &[OpenInvoice],
    lines: usize,
    booked: &str,
    book_currency: Currency,
) -> Result<StatementInfo> {
    let named = (0..lines)
        .filter(|&i| Kind::of_line(i) != Kind::Queue)
        .count();
    if open.len() < named {
        bail!(
            "the book has {} open invoices; {} lines name {} distinct invoices (three of every four). \
             Give a bigger --invoices, fewer --lines, or --all-open",
            grouped(open.len() as u64),
            grouped(lines as u64),
            grouped(named as u64)
        );
    }
    // A partial Fisher–Yates shuffle: the first `lines` (or all) invoices
    // of `order` are a random sample over the whole book.
    let mut order: Vec<usize> = (0..open.len()).collect();
    let mut rng = SplitMix(SEED);
    let take = lines.min(open.len());
    for k in 0..take {
        let j = k + rng.below(open.len() - k);
        order.swap(k, j);
    }

    let file =
        std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
    write!(
        out,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.08\">\n\
         <BkToCstmrStmt>\n\
         <GrpHdr><MsgId>DUNBENCH-{booked}</MsgId><CreDtTm>{booked}T06:00:00+00:00</CreDtTm></GrpHdr>\n\
         <Stmt>\n\
         <Id>DUNBENCH-STMT-{booked}</Id><ElctrncSeqNb>1</ElctrncSeqNb><CreDtTm>{booked}T06:00:00+00:00</CreDtTm>\n\
         <Acct><Id><IBAN>{ACCOUNT_IBAN}</IBAN></Id><Svcr><FinInstnId><BIC>DEUTDEFFXXX</BIC></FinInstnId></Svcr></Acct>\n"
    )?;
    let mut info = StatementInfo {
        format: "camt.053.001.08",
        lines,
        bytes: 0,
        with_reference: 0,
        with_number: 0,
        without_reference: 0,
        queue_with_amount_of_an_invoice: 0,
        open_invoices: open.len(),
        booked: booked.to_string(),
    };
    let mut entry = String::with_capacity(2048);
    // Lines that name an invoice take the sample's first `named`; queue
    // lines the ones after, while there are any.
    let (mut next_named, mut next_queue) = (0, named);
    for i in 0..lines {
        let kind = Kind::of_line(i);
        let slot = if kind == Kind::Queue {
            next_queue += 1;
            next_queue - 1
        } else {
            next_named += 1;
            next_named - 1
        };
        let invoice = order.get(slot).map(|&k| &open[k]);
        // A queue line past the book's open invoices pays an amount no
        // invoice has open (amounts in the book are whole cents of
        // invoices; this one is odd and small).
        let (amount, currency, name, iban) = match invoice {
            Some(inv) => (
                format_minor(inv.open_minor, Currency::parse(&inv.currency)?),
                inv.currency.as_str(),
                inv.customer_name.as_str(),
                customer_iban(inv.customer_id),
            ),
            None => (
                format_minor(100 + 2 * i as i64 + 1, book_currency),
                book_currency.code(),
                "Unknown Payer",
                customer_iban(1_000_000_000 + i as i64),
            ),
        };
        entry.clear();
        let _ = write!(
            entry,
            "<Ntry>\n<Amt Ccy=\"{currency}\">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>\n\
             <BookgDt><Dt>{booked}</Dt></BookgDt><ValDt><Dt>{booked}</Dt></ValDt><AcctSvcrRef>DUNBENCH-{i:08}</AcctSvcrRef>\n\
             <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>\n\
             <NtryDtls><TxDtls>\n<Refs><EndToEndId>E2E-{i:08}</EndToEndId></Refs>\n\
             <Amt Ccy=\"{currency}\">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd>\n\
             <RltdPties><Dbtr><Pty><Nm>"
        );
        xml_text(&mut entry, name);
        let _ = writeln!(
            entry,
            "</Nm></Pty></Dbtr><DbtrAcct><Id><IBAN>{iban}</IBAN></Id></DbtrAcct></RltdPties>"
        );
        match (kind, invoice) {
            (Kind::Reference, Some(inv)) => {
                info.with_reference += 1;
                let _ = writeln!(
                    entry,
                    "<RmtInf><Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp><Ref>{}</Ref></CdtrRefInf></Strd></RmtInf>",
                    CreditorReference::for_invoice(inv.id).as_str()
                );
            }
            (Kind::Number, Some(inv)) => {
                info.with_number += 1;
                entry.push_str("<RmtInf><Ustrd>inv ");
                xml_text(&mut entry, number_digits(&inv.number));
                entry.push_str("</Ustrd></RmtInf>\n");
            }
            (_, invoice) => {
                info.without_reference += 1;
                info.queue_with_amount_of_an_invoice += usize::from(invoice.is_some());
                entry.push_str("<RmtInf><Ustrd>SEPA credit transfer, thank you</Ustrd></RmtInf>\n");
            }
        }
        entry.push_str("</TxDtls></NtryDtls>\n</Ntry>\n");
        out.write_all(entry.as_bytes())?;
    }
    out.write_all(b"</Stmt>\n</BkToCstmrStmt>\n</Document>\n")?;
    out.flush()?;
    drop(out);
    info.bytes = std::fs::metadata(path)?.len();
    Ok(info)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(n: i64) -> Vec<OpenInvoice> {
        (1..=n)
            .map(|id| OpenInvoice {
                id,
                number: format!("INV-{id:06}"),
                currency: if id % 3 == 0 { "EUR" } else { "USD" }.into(),
                open_minor: 1000 + id,
                customer_id: id % 5 + 1,
                customer_name: format!("Customer & Sons {id}"),
            })
            .collect()
    }

    #[test]
    fn the_ibans_check_digits_hold() {
        // ISO 13616: moving the first four characters to the end and
        // reading letters as numbers (D=13, E=14) gives 1 mod 97.
        for id in [0, 1, 42, 123_456_789] {
            let iban = customer_iban(id);
            assert_eq!(iban.len(), 22);
            let r = format!("{}1314{}", &iban[4..], &iban[2..4])
                .bytes()
                .fold(0u32, |r, d| (r * 10 + u32::from(d - b'0')) % 97);
            assert_eq!(r, 1, "{iban}");
        }
        assert_eq!(customer_iban(0), "DE36000000000000000000");
    }

    #[test]
    fn the_statement_parses_into_lines_of_each_kind_paying_distinct_invoices() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.xml");
        let book = open(40);
        let usd = Currency::parse("USD").unwrap();
        let info = write(&path, &book, 40, "2026-07-01", usd).unwrap();
        assert_eq!(
            (
                info.with_reference,
                info.with_number,
                info.without_reference
            ),
            (20, 10, 10)
        );
        assert_eq!(info.queue_with_amount_of_an_invoice, 10);
        let bytes = std::fs::read(&path).unwrap();
        let statements = dun_bank::parse_statements(&bytes, &Default::default()).unwrap();
        assert_eq!(statements.len(), 1);
        let lines = &statements[0].lines;
        assert_eq!(lines.len(), 40);
        let mut amounts: Vec<i64> = lines.iter().map(|l| l.amount_minor).collect();
        amounts.sort_unstable();
        amounts.dedup();
        assert_eq!(amounts.len(), 40, "each line pays a different invoice");
        assert!(lines[0]
            .structured_ref
            .as_deref()
            .is_some_and(|r| r.starts_with("RF")));
        assert!(lines[2].remittance.starts_with("inv 0000"));
        assert_eq!(
            lines[3]
                .counterparty_name
                .as_deref()
                .map(|n| n.contains('&')),
            Some(true)
        );
        assert!(lines.iter().all(|l| l.bank_ref.is_some() && l.is_credit()));
    }

    #[test]
    fn a_book_too_small_is_refused_and_queue_lines_beyond_it_pay_no_invoice() {
        let dir = tempfile::tempdir().unwrap();
        let usd = Currency::parse("USD").unwrap();
        let err = write(&dir.path().join("a.xml"), &open(5), 8, "2026-07-01", usd).unwrap_err();
        assert!(err.to_string().contains("6 distinct invoices"), "{err}");
        let info = write(&dir.path().join("b.xml"), &open(6), 8, "2026-07-01", usd).unwrap();
        assert_eq!(info.expected_matches(), 6);
        assert_eq!(info.queue_with_amount_of_an_invoice, 0);
    }
}
