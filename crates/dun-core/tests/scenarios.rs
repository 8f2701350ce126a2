//! Scenario tests written in the domain's own words, one fact per line (as
//! beancount tests its ledger), checked against hand-computed reports.
//!
//! ```text
//! 2026-01-05 invoice INV1 ACME 100.00 USD net30
//! 2026-02-10 payment ACME 60.00 USD oldest
//! 2026-02-11 credit-note INV1 10.00
//! 2026-03-01 write-off INV1 30.00
//! 2026-03-02 fee INV1 5.00
//! 2026-03-02 interest INV1 1.25
//! 2026-03-03 void INV1
//! 2026-03-04 allocate P1 oldest
//! 2026-03-05 refund P1 5.00
//! 2026-03-06 reverse P1
//! aging 2026-03-15
//! aging 2026-03-15 15,45 detail
//! balance 2026-03-15
//! ```
//!
//! An invoice is one line of the given amount, untaxed, on the given terms.
//! A payment is allocated `none`, `oldest` (oldest due first) or explicitly
//! (`INV1:40.00,INV2:20.00`); `allocate` applies a payment's remaining
//! credit the same ways. Invoices are named by the scenario (`INV1`);
//! payments are `P1`, `P2`, … in the order they are recorded. Customers are
//! created on first mention. `aging` takes optional bucket edges and
//! `detail` (one line per open part); `balance` prints the open-balance
//! identity per customer and currency. Lines starting with `;` are comments.
//! A line ending in `=> refused: <words>` must be refused with a message
//! containing those words, and must leave the book untouched.
//!
//! The expected reports below were worked out by hand from the rules in
//! PRODUCT.md (the working is in the comments); whitespace between columns
//! is not significant.

use std::collections::BTreeMap;

use dun_core::aging::{AgingEdges, AgingReport};
use dun_core::book::Book;
use dun_core::invoice::{InvoiceDraft, InvoiceLine};
use dun_core::ledger::EntryKind;
use dun_core::money::{format_minor, Money};
use dun_core::posting::AllocationRequest;
use dun_core::terms::Terms;
use dun_core::{Currency, Date};

struct Scenario {
    book: Book,
    customers: Vec<String>,
    invoices: BTreeMap<String, i64>,
    out: String,
}

impl Scenario {
    fn new() -> Scenario {
        Scenario {
            book: Book::new(),
            customers: Vec::new(),
            invoices: BTreeMap::new(),
            out: String::new(),
        }
    }

    fn customer(&mut self, name: &str) -> i64 {
        if let Some(i) = self.customers.iter().position(|c| c == name) {
            return i as i64 + 1;
        }
        self.customers.push(name.to_string());
        self.customers.len() as i64
    }

    fn customer_name(&self, id: i64) -> &str {
        &self.customers[id as usize - 1]
    }

    fn invoice(&self, label: &str) -> Result<i64, String> {
        self.invoices
            .get(label)
            .copied()
            .ok_or_else(|| format!("no invoice {label} in this scenario"))
    }

    fn invoice_label(&self, id: i64) -> &str {
        self.invoices
            .iter()
            .find(|(_, v)| **v == id)
            .map_or("?", |(k, _)| k.as_str())
    }

    fn payment(&self, label: &str) -> Result<i64, String> {
        label
            .strip_prefix('P')
            .and_then(|n| n.parse().ok())
            .filter(|id| self.book.payments.contains_key(id))
            .ok_or_else(|| format!("no payment {label} in this scenario"))
    }

    fn request(&self, text: &str, currency: Currency) -> Result<AllocationRequest, String> {
        match text {
            "none" => Ok(AllocationRequest::None),
            "oldest" => Ok(AllocationRequest::OldestDueFirst),
            list => {
                let mut pairs = Vec::new();
                for pair in list.split(',') {
                    let (label, amount) = pair
                        .split_once(':')
                        .ok_or_else(|| format!("'{pair}' is not INVOICE:AMOUNT"))?;
                    pairs.push((self.invoice(label)?, amount_of(amount, currency)?));
                }
                Ok(AllocationRequest::Explicit(pairs))
            }
        }
    }

    /// Runs one line; an `Err` is the book's (or the parser's) refusal.
    fn line(&mut self, line: &str) -> Result<(), String> {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["aging", date, rest @ ..] => {
                let as_of = date_of(date)?;
                let edges = match rest.iter().find(|w| **w != "detail") {
                    Some(text) => AgingEdges::parse(text).map_err(|e| e.to_string())?,
                    None => AgingEdges::standard(),
                };
                let report = self.book.aging(as_of, &edges, rest.contains(&"detail"));
                let text = self.render_aging(&report);
                self.out.push_str(&text);
                Ok(())
            }
            ["balance", date] => {
                let text = self.render_balance(date_of(date)?);
                self.out.push_str(&text);
                Ok(())
            }
            [date, verb, args @ ..] => {
                let date = date_of(date)?;
                self.fact(date, verb, args)
            }
            _ => Err(format!("cannot read '{line}'")),
        }
    }

    fn fact(&mut self, date: Date, verb: &str, args: &[&str]) -> Result<(), String> {
        let err = |e: dun_core::book::BookError| e.to_string();
        match (verb, args) {
            ("invoice", [label, customer, amount, currency, terms]) => {
                let currency = currency_of(currency)?;
                let price = amount_of(amount, currency)?;
                let draft = InvoiceDraft {
                    customer_id: self.customer(customer),
                    currency,
                    issue_date: date,
                    terms: Terms::parse(terms).map_err(|e| e.to_string())?,
                    description: String::new(),
                    lines: vec![
                        InvoiceLine::new(label, 10_000, price, 0).map_err(|e| e.to_string())?
                    ],
                    installments: Vec::new(),
                };
                let id = self.book.issue(&draft).map_err(err)?;
                self.invoices.insert(label.to_string(), id);
                Ok(())
            }
            ("payment", [customer, amount, currency, allocation]) => {
                let currency = currency_of(currency)?;
                let amount = amount_of(amount, currency)?;
                let request = self.request(allocation, currency)?;
                let customer = self.customer(customer);
                self.book
                    .receive(customer, currency, date, amount, &request)
                    .map_err(err)?;
                Ok(())
            }
            ("allocate", [payment, allocation]) => {
                let id = self.payment(payment)?;
                let request = self.request(allocation, self.book.payments[&id].currency)?;
                self.book.allocate(id, &request, date).map_err(err)
            }
            ("refund", [payment, amount]) => {
                let id = self.payment(payment)?;
                let amount = amount_of(amount, self.book.payments[&id].currency)?;
                self.book.refund(id, amount, date).map_err(err)
            }
            ("reverse", [payment]) => {
                let id = self.payment(payment)?;
                self.book.reverse(id, date).map_err(err)
            }
            ("void", [invoice]) => {
                let id = self.invoice(invoice)?;
                self.book.void(id, date).map_err(err)
            }
            (verb @ ("credit-note" | "write-off" | "fee" | "interest"), [invoice, amount]) => {
                let id = self.invoice(invoice)?;
                let amount = amount_of(amount, self.book.invoices[&id].currency)?;
                match verb {
                    "credit-note" => self
                        .book
                        .reduce(id, EntryKind::CreditNote, amount, date)
                        .map(|_| ()),
                    "write-off" => self
                        .book
                        .reduce(id, EntryKind::WriteOff, amount, date)
                        .map(|_| ()),
                    "fee" => self.book.charge(id, EntryKind::Fee, amount, date),
                    _ => self.book.charge(id, EntryKind::Interest, amount, date),
                }
                .map_err(err)
            }
            _ => Err(format!("cannot read '{verb} {}'", args.join(" "))),
        }
    }

    fn render_aging(&self, report: &AgingReport) -> String {
        let labels = report.edges.labels();
        let mut out = format!("aging {} ({})\n", report.as_of, report.edges);
        out.push_str(&format!("{:<10} {:<4}", "customer", "cur"));
        for label in labels.iter().chain(std::iter::once(&"total".to_string())) {
            out.push_str(&format!(" {label:>10}"));
        }
        out.push('\n');
        let row = |name: &str, currency: Currency, amounts: &[i64]| {
            let mut line = format!("{name:<10} {:<4}", currency.code());
            for a in amounts.iter().chain(std::iter::once(&amounts.iter().sum())) {
                line.push_str(&format!(" {:>10}", format_minor(*a, currency)));
            }
            line.push('\n');
            line
        };
        for ((customer, currency), r) in &report.rows {
            out.push_str(&row(
                self.customer_name(*customer),
                *currency,
                &r.amounts_minor,
            ));
        }
        for (currency, r) in report.totals() {
            out.push_str(&row("total", currency, &r.amounts_minor));
        }
        if report.rows.is_empty() {
            out.push_str("nothing open\n");
        }
        for item in &report.items {
            out.push_str(&format!(
                "  {} {} {} due {} {} days {} {}\n",
                self.invoice_label(item.invoice_id),
                self.customer_name(item.customer_id),
                item.currency,
                item.due_date,
                item.days_past_due,
                labels[item.bucket],
                format_minor(item.open_minor, item.currency),
            ));
        }
        out
    }

    fn render_balance(&self, as_of: Date) -> String {
        let mut out = format!("balance {as_of}\n");
        for ((customer, currency), p) in self.book.balances(as_of) {
            let m = |v: i64| format_minor(v, currency);
            out.push_str(&format!(
                "{} {} invoices {} fees {} interest {} allocations {} credit-notes {} write-offs {} open {} credit {}\n",
                self.customer_name(customer),
                currency,
                m(p.invoices_minor),
                m(p.fees_minor),
                m(p.interest_minor),
                m(p.allocations_minor),
                m(p.credit_notes_minor),
                m(p.write_offs_minor),
                m(p.open_minor()),
                m(p.credit_minor),
            ));
        }
        out
    }
}

fn date_of(text: &str) -> Result<Date, String> {
    Date::parse(text).map_err(|e| e.to_string())
}

fn currency_of(text: &str) -> Result<Currency, String> {
    Currency::parse(text).map_err(|e| e.to_string())
}

fn amount_of(text: &str, currency: Currency) -> Result<i64, String> {
    Money::parse(text, currency)
        .map(|m| m.amount_minor)
        .map_err(|e| e.to_string())
}

/// Runs a scenario and returns what its `aging` and `balance` lines printed.
fn run(script: &str) -> String {
    let mut s = Scenario::new();
    for (n, raw) in script.lines().enumerate() {
        let text = raw.trim();
        if text.is_empty() || text.starts_with(';') {
            continue;
        }
        let (text, refusal) = match text.split_once("=> refused:") {
            Some((t, why)) => (t.trim(), Some(why.trim())),
            None => (text, None),
        };
        let before = (
            s.book.entries.clone(),
            s.book.invoices.clone(),
            s.book.payments.clone(),
        );
        match (s.line(text), refusal) {
            (Ok(()), None) => {}
            (Err(e), None) => panic!("line {}: '{text}' was refused: {e}", n + 1),
            (Ok(()), Some(why)) => panic!("line {}: '{text}' should be refused ({why})", n + 1),
            (Err(e), Some(why)) => {
                assert!(
                    e.contains(why),
                    "line {}: '{text}' refused with '{e}', expected '{why}'",
                    n + 1
                );
                let after = (&s.book.entries, &s.book.invoices, &s.book.payments);
                assert!(
                    after == (&before.0, &before.1, &before.2),
                    "line {}: the refusal changed the book",
                    n + 1
                );
            }
        }
    }
    s.out
}

/// Lines trimmed, blank lines dropped, runs of spaces made one.
fn normalize(text: &str) -> String {
    text.lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

fn check(script: &str, expected: &str) {
    let got = run(script);
    let (got_n, expected_n) = (normalize(&got), normalize(expected));
    assert!(
        got_n == expected_n,
        "report differs\n--- expected\n{expected_n}\n--- got\n{got}"
    );
}

#[test]
fn partial_payment_then_credit_note_and_write_off() {
    // INV1: 2026-01-05 + 30 = due 2026-02-04. INV2: 2026-01-20 + 60 = due 2026-03-21.
    // 02-10: ACME pays 60.00, oldest first: all of it to INV1, 40.00 open.
    // 02-11: credit note 10.00 → 30.00 open; on 02-15 that is 11 days late.
    // 03-01: the last 30.00 written off; nothing of ACME's is open on 03-15.
    // The 02-15 report asked again at the end is unchanged (as-of is reproducible).
    let script = "
        2026-01-05 invoice INV1 ACME 100.00 USD net30
        2026-01-20 invoice INV2 BETA 250.00 USD net60
        aging 2026-02-01
        2026-02-10 payment ACME 60.00 USD oldest
        2026-02-11 credit-note INV1 10.00
        aging 2026-02-15
        2026-03-01 write-off INV1 30.01 => refused: has 30.00 open on 2026-03-01; 30.01 cannot be taken off it
        2026-03-01 write-off INV1 30.00
        aging 2026-03-15
        aging 2026-02-15
        balance 2026-03-15
    ";
    let expected = "
        aging 2026-02-01 (30,60,90)
        customer   cur     current   1-30   31-60   61-90   90+   total
        ACME       USD      100.00   0.00    0.00    0.00  0.00  100.00
        BETA       USD      250.00   0.00    0.00    0.00  0.00  250.00
        total      USD      350.00   0.00    0.00    0.00  0.00  350.00

        aging 2026-02-15 (30,60,90)
        customer   cur     current   1-30   31-60   61-90   90+   total
        ACME       USD        0.00  30.00    0.00    0.00  0.00   30.00
        BETA       USD      250.00   0.00    0.00    0.00  0.00  250.00
        total      USD      250.00  30.00    0.00    0.00  0.00  280.00

        aging 2026-03-15 (30,60,90)
        customer   cur     current   1-30   31-60   61-90   90+   total
        BETA       USD      250.00   0.00    0.00    0.00  0.00  250.00
        total      USD      250.00   0.00    0.00    0.00  0.00  250.00

        aging 2026-02-15 (30,60,90)
        customer   cur     current   1-30   31-60   61-90   90+   total
        ACME       USD        0.00  30.00    0.00    0.00  0.00   30.00
        BETA       USD      250.00   0.00    0.00    0.00  0.00  250.00
        total      USD      250.00  30.00    0.00    0.00  0.00  280.00

        balance 2026-03-15
        ACME USD invoices 100.00 fees 0.00 interest 0.00 allocations 60.00 credit-notes 10.00 write-offs 30.00 open 0.00 credit 0.00
        BETA USD invoices 250.00 fees 0.00 interest 0.00 allocations 0.00 credit-notes 0.00 write-offs 0.00 open 250.00 credit 0.00
    ";
    check(script, expected);
}

#[test]
fn installments_age_part_by_part() {
    // 1000.00 in three: 100000 / 3 = 33333 rest 1, so 333.34, 333.33, 333.33,
    // due 2026-01-10 + 30 = 02-09, + 60 = 03-11, + 90 = 04-10.
    // 02-20: 400.00 paid settles part 1 (333.34) and 66.66 of part 2 → 266.67 left.
    // On 03-15: part 2 is 4 days late (1-30), part 3 not due (current).
    // 03-20: a 25.00 fee, due with the last part (04-10).
    // On 04-20: part 2 is 40 days late (31-60); part 3 and the fee 10 (1-30).
    // With edges 15,45: 40 days is 16-45, 10 days is 1-15.
    // On 07-15: part 2 is 126 days late, part 3 and the fee 96: all 90+.
    let script = "
        2026-01-10 invoice INV1 ACME 1000.00 USD installments:30/60/90
        2026-02-20 payment ACME 400.00 USD oldest
        aging 2026-03-15 detail
        2026-03-20 fee INV1 25.00
        aging 2026-04-20 detail
        aging 2026-04-20 15,45
        aging 2026-07-15
    ";
    let expected = "
        aging 2026-03-15 (30,60,90)
        customer cur  current   1-30  31-60  61-90   90+   total
        ACME     USD   333.33 266.67   0.00   0.00  0.00  600.00
        total    USD   333.33 266.67   0.00   0.00  0.00  600.00
          INV1 ACME USD due 2026-03-11 4 days 1-30 266.67
          INV1 ACME USD due 2026-04-10 -26 days current 333.33

        aging 2026-04-20 (30,60,90)
        customer cur  current   1-30  31-60  61-90   90+   total
        ACME     USD     0.00 358.33 266.67   0.00  0.00  625.00
        total    USD     0.00 358.33 266.67   0.00  0.00  625.00
          INV1 ACME USD due 2026-03-11 40 days 31-60 266.67
          INV1 ACME USD due 2026-04-10 10 days 1-30 358.33

        aging 2026-04-20 (15,45)
        customer cur  current   1-15  16-45    45+   total
        ACME     USD     0.00 358.33 266.67   0.00  625.00
        total    USD     0.00 358.33 266.67   0.00  625.00

        aging 2026-07-15 (30,60,90)
        customer cur  current   1-30  31-60  61-90    90+   total
        ACME     USD     0.00   0.00   0.00   0.00 625.00  625.00
        total    USD     0.00   0.00   0.00   0.00 625.00  625.00
    ";
    check(script, expected);
}

#[test]
fn oldest_due_first_across_invoices() {
    // ACME's USD invoices by due date:
    //   INV3 due on receipt 01-20 (50.00), INV2 01-15 + 15 = 01-30 (200.00),
    //   INV1 01-01 + 60 = 03-02 (100.00), INV4 eom10 = 02-28 + 10 = 03-10 (300.00).
    // The 420.00 goes 50 + 200 + 100 + 70: INV4 keeps 230.00, due 03-10.
    // INV6 (EUR, the oldest due) and BETA's INV5 are not touched.
    // On 03-05: INV6 due 01-08 is 56 days late, INV5 due 01-12 is 52: both 31-60.
    // 03-06: 300.00 more: 230.00 to INV4, 70.00 stays credit; then refunded.
    let script = "
        2026-01-01 invoice INV1 ACME 100.00 USD net60
        2026-01-02 invoice INV5 BETA 80.00 USD net10
        2026-01-03 invoice INV6 ACME 70.00 EUR net5
        2026-01-15 invoice INV2 ACME 200.00 USD net15
        2026-01-20 invoice INV3 ACME 50.00 USD due_on_receipt
        2026-02-01 invoice INV4 ACME 300.00 USD eom10
        2026-02-20 payment ACME 420.00 USD oldest
        aging 2026-03-05 detail
        balance 2026-03-05
        2026-03-06 payment ACME 300.00 USD oldest
        balance 2026-03-06
        2026-03-07 refund P2 70.01 => refused: payment 2 has 70.00 unallocated; 70.01 cannot be applied or refunded
        2026-03-07 refund P2 70.00
        balance 2026-03-07
    ";
    let expected = "
        aging 2026-03-05 (30,60,90)
        customer cur  current   1-30  31-60  61-90   90+   total
        ACME     EUR     0.00   0.00  70.00   0.00  0.00   70.00
        ACME     USD   230.00   0.00   0.00   0.00  0.00  230.00
        BETA     USD     0.00   0.00  80.00   0.00  0.00   80.00
        total    EUR     0.00   0.00  70.00   0.00  0.00   70.00
        total    USD   230.00   0.00  80.00   0.00  0.00  310.00
          INV6 ACME EUR due 2026-01-08 56 days 31-60 70.00
          INV4 ACME USD due 2026-03-10 -5 days current 230.00
          INV5 BETA USD due 2026-01-12 52 days 31-60 80.00

        balance 2026-03-05
        ACME EUR invoices 70.00 fees 0.00 interest 0.00 allocations 0.00 credit-notes 0.00 write-offs 0.00 open 70.00 credit 0.00
        ACME USD invoices 650.00 fees 0.00 interest 0.00 allocations 420.00 credit-notes 0.00 write-offs 0.00 open 230.00 credit 0.00
        BETA USD invoices 80.00 fees 0.00 interest 0.00 allocations 0.00 credit-notes 0.00 write-offs 0.00 open 80.00 credit 0.00

        balance 2026-03-06
        ACME EUR invoices 70.00 fees 0.00 interest 0.00 allocations 0.00 credit-notes 0.00 write-offs 0.00 open 70.00 credit 0.00
        ACME USD invoices 650.00 fees 0.00 interest 0.00 allocations 650.00 credit-notes 0.00 write-offs 0.00 open 0.00 credit 70.00
        BETA USD invoices 80.00 fees 0.00 interest 0.00 allocations 0.00 credit-notes 0.00 write-offs 0.00 open 80.00 credit 0.00

        balance 2026-03-07
        ACME EUR invoices 70.00 fees 0.00 interest 0.00 allocations 0.00 credit-notes 0.00 write-offs 0.00 open 70.00 credit 0.00
        ACME USD invoices 650.00 fees 0.00 interest 0.00 allocations 650.00 credit-notes 0.00 write-offs 0.00 open 0.00 credit 0.00
        BETA USD invoices 80.00 fees 0.00 interest 0.00 allocations 0.00 credit-notes 0.00 write-offs 0.00 open 80.00 credit 0.00
    ";
    check(script, expected);
}

#[test]
fn void_is_refused_once_money_is_applied() {
    // INV2 is voided before anything touched it; a fee or a payment on it is refused.
    // INV1 has a payment on it: voiding is refused. Once the payment is
    // reversed (it bounced) nothing stands on INV1 and it may be voided.
    // As of 01-06 both invoices were still open (the void is dated 01-07).
    let script = "
        2026-01-05 invoice INV1 ACME 100.00 USD net30
        2026-01-06 invoice INV2 ACME 40.00 USD net30
        2026-01-07 void INV2
        2026-01-07 fee INV2 5.00 => refused: is void
        2026-01-10 payment ACME 30.00 USD INV1:30.00
        2026-01-11 void INV1 => refused: has payments, credit notes or write-offs on it
        2026-01-12 payment ACME 40.00 USD INV2:40.00 => refused: is void
        aging 2026-01-06
        aging 2026-01-08
        2026-01-09 reverse P1 => refused: the reversal dated 2026-01-09 would precede 2026-01-10
        2026-01-20 reverse P1
        2026-01-21 reverse P1 => refused: payment 1 has been reversed
        2026-01-21 void INV1
        aging 2026-01-15
        aging 2026-01-25
        balance 2026-01-25
    ";
    let expected = "
        aging 2026-01-06 (30,60,90)
        customer cur  current   1-30  31-60  61-90   90+   total
        ACME     USD   140.00   0.00   0.00   0.00  0.00  140.00
        total    USD   140.00   0.00   0.00   0.00  0.00  140.00

        aging 2026-01-08 (30,60,90)
        customer cur  current   1-30  31-60  61-90   90+   total
        ACME     USD   100.00   0.00   0.00   0.00  0.00  100.00
        total    USD   100.00   0.00   0.00   0.00  0.00  100.00

        aging 2026-01-15 (30,60,90)
        customer cur  current   1-30  31-60  61-90   90+   total
        ACME     USD    70.00   0.00   0.00   0.00  0.00   70.00
        total    USD    70.00   0.00   0.00   0.00  0.00   70.00

        aging 2026-01-25 (30,60,90)
        customer cur  current   1-30  31-60  61-90   90+   total
        nothing open

        balance 2026-01-25
        ACME USD invoices 0.00 fees 0.00 interest 0.00 allocations 0.00 credit-notes 0.00 write-offs 0.00 open 0.00 credit 0.00
    ";
    check(script, expected);
}

#[test]
fn yen_and_dinar_keep_their_own_minor_units() {
    // JPY has no minor unit, BHD three.
    // INV1 150000 JPY due 2026-01-05 + 30 = 02-04.
    // INV2 1234.567 BHD in two: 1234567 / 2 = 617283 rest 1 → 617.284 due
    // 01-20 and 617.283 due 01-05 + 45 = 02-19.
    // On 01-22: part 1 is 2 days late, part 2 not yet due.
    // 01-25: 617.284 BHD pays part 1. 02-01: 99999 JPY leaves 50001 open.
    // 02-25: a 0.125 BHD fee; 03-01: 417 JPY interest (both due with the last part).
    // On 03-01: INV1 50001 + 417 = 50418, 25 days late; INV2 617.283 + 0.125
    // = 617.408, 10 days late.
    let script = "
        2026-01-05 invoice INV1 TANAKA 150000 JPY net30
        2026-01-05 invoice INV2 MANAMA 1234.567 BHD installments:15/45
        2026-01-06 invoice INV3 TANAKA 100.5 JPY net30 => refused: has 1 digits after the point; JPY allows 0
        2026-01-06 invoice INV3 MANAMA 1.2345 BHD net30 => refused: has 4 digits after the point; BHD allows 3
        aging 2026-01-22
        2026-01-25 payment MANAMA 617.284 BHD oldest
        2026-02-01 payment TANAKA 99999 JPY oldest
        2026-02-02 payment TANAKA 10.000 BHD INV1:10.000 => refused: amounts of different currencies never mix
        2026-02-25 fee INV2 0.125
        2026-03-01 interest INV1 417
        aging 2026-03-01 detail
        balance 2026-03-01
    ";
    let expected = "
        aging 2026-01-22 (30,60,90)
        customer cur  current      1-30  31-60  61-90    90+     total
        TANAKA   JPY   150000         0      0      0      0    150000
        MANAMA   BHD  617.283   617.284  0.000  0.000  0.000  1234.567
        total    BHD  617.283   617.284  0.000  0.000  0.000  1234.567
        total    JPY   150000         0      0      0      0    150000

        aging 2026-03-01 (30,60,90)
        customer cur  current      1-30  31-60  61-90    90+     total
        TANAKA   JPY        0     50418      0      0      0     50418
        MANAMA   BHD    0.000   617.408  0.000  0.000  0.000   617.408
        total    BHD    0.000   617.408  0.000  0.000  0.000   617.408
        total    JPY        0     50418      0      0      0     50418
          INV1 TANAKA JPY due 2026-02-04 25 days 1-30 50418
          INV2 MANAMA BHD due 2026-02-19 10 days 1-30 617.408

        balance 2026-03-01
        TANAKA JPY invoices 150000 fees 0 interest 417 allocations 99999 credit-notes 0 write-offs 0 open 50418 credit 0
        MANAMA BHD invoices 1234.567 fees 0.125 interest 0.000 allocations 617.284 credit-notes 0.000 write-offs 0.000 open 617.408 credit 0.000
    ";
    check(script, expected);
}

#[test]
fn a_late_recorded_payment_may_not_pay_a_fee_charged_after_it() {
    // INV1 100.00 due 02-04; a 15.00 fee charged 03-01, so 115.00 open from then.
    // A payment received 02-20 but recorded after the fee cannot pay 115.00
    // to INV1: on 02-20 only 100.00 was open, and the invoice would stand at
    // −15.00 until 03-01. Refused, and nothing is recorded.
    // Oldest first, the same payment pays the 100.00 and keeps 15.00 credit;
    // applied on 03-02 the credit settles the fee.
    let script = "
        2026-01-05 invoice INV1 ACME 100.00 USD net30
        2026-03-01 fee INV1 15.00
        2026-02-20 payment ACME 115.00 USD INV1:115.00 => refused: has 100.00 open on 2026-02-20; 115.00 cannot be taken off it
        2026-02-20 credit-note INV1 100.01 => refused: has 100.00 open on 2026-02-20
        2026-02-20 payment ACME 115.00 USD oldest
        aging 2026-02-25
        aging 2026-03-01 detail
        balance 2026-03-01
        2026-03-02 allocate P1 oldest
        aging 2026-03-02
        balance 2026-03-02
    ";
    let expected = "
        aging 2026-02-25 (30,60,90)
        customer cur  current   1-30  31-60  61-90   90+   total
        nothing open

        aging 2026-03-01 (30,60,90)
        customer cur  current   1-30  31-60  61-90   90+   total
        ACME     USD     0.00  15.00   0.00   0.00  0.00   15.00
        total    USD     0.00  15.00   0.00   0.00  0.00   15.00
          INV1 ACME USD due 2026-02-04 25 days 1-30 15.00

        balance 2026-03-01
        ACME USD invoices 100.00 fees 15.00 interest 0.00 allocations 100.00 credit-notes 0.00 write-offs 0.00 open 15.00 credit 15.00

        aging 2026-03-02 (30,60,90)
        customer cur  current   1-30  31-60  61-90   90+   total
        nothing open

        balance 2026-03-02
        ACME USD invoices 100.00 fees 15.00 interest 0.00 allocations 115.00 credit-notes 0.00 write-offs 0.00 open 0.00 credit 0.00
    ";
    check(script, expected);
}

#[test]
fn one_invoice_named_twice_in_a_payment_cannot_be_paid_twice() {
    // INV1 has 100.00 open; 60.00 + 60.00 to it would leave it at −20.00.
    let script = "
        2026-01-05 invoice INV1 ACME 100.00 USD net30
        2026-01-10 payment ACME 120.00 USD INV1:60.00,INV1:60.00 => refused: has 40.00 open on 2026-01-10; 60.00 cannot be taken off it
        2026-01-10 payment ACME 120.00 USD INV1:60.00,INV1:40.00
        balance 2026-01-10
    ";
    let expected = "
        balance 2026-01-10
        ACME USD invoices 100.00 fees 0.00 interest 0.00 allocations 100.00 credit-notes 0.00 write-offs 0.00 open 0.00 credit 20.00
    ";
    check(script, expected);
}

#[test]
fn each_edge_is_the_last_day_of_its_bucket() {
    // Due 2026-01-01 + 30 = 01-31. Days past due on each report date:
    // 01-31 → 0 (current), 02-01 → 1, 03-02 → 30 (28 days of February + 2),
    // 03-03 → 31, 05-01 → 90 (28 + 31 + 30 + 1), 05-02 → 91.
    // With edges 15,45: 03-17 → 45 (16-45), 03-18 → 46 (45+).
    let script = "
        2026-01-01 invoice INV1 ACME 10.00 USD net30
        aging 2026-01-31 detail
        aging 2026-02-01 detail
        aging 2026-03-02 detail
        aging 2026-03-03 detail
        aging 2026-05-01 detail
        aging 2026-05-02 detail
        aging 2026-03-17 15,45 detail
        aging 2026-03-18 15,45 detail
    ";
    let expected = "
        aging 2026-01-31 (30,60,90)
        customer cur  current   1-30  31-60  61-90    90+   total
        ACME     USD    10.00   0.00   0.00   0.00   0.00   10.00
        total    USD    10.00   0.00   0.00   0.00   0.00   10.00
          INV1 ACME USD due 2026-01-31 0 days current 10.00
        aging 2026-02-01 (30,60,90)
        customer cur  current   1-30  31-60  61-90    90+   total
        ACME     USD     0.00  10.00   0.00   0.00   0.00   10.00
        total    USD     0.00  10.00   0.00   0.00   0.00   10.00
          INV1 ACME USD due 2026-01-31 1 days 1-30 10.00
        aging 2026-03-02 (30,60,90)
        customer cur  current   1-30  31-60  61-90    90+   total
        ACME     USD     0.00  10.00   0.00   0.00   0.00   10.00
        total    USD     0.00  10.00   0.00   0.00   0.00   10.00
          INV1 ACME USD due 2026-01-31 30 days 1-30 10.00
        aging 2026-03-03 (30,60,90)
        customer cur  current   1-30  31-60  61-90    90+   total
        ACME     USD     0.00   0.00  10.00   0.00   0.00   10.00
        total    USD     0.00   0.00  10.00   0.00   0.00   10.00
          INV1 ACME USD due 2026-01-31 31 days 31-60 10.00
        aging 2026-05-01 (30,60,90)
        customer cur  current   1-30  31-60  61-90    90+   total
        ACME     USD     0.00   0.00   0.00  10.00   0.00   10.00
        total    USD     0.00   0.00   0.00  10.00   0.00   10.00
          INV1 ACME USD due 2026-01-31 90 days 61-90 10.00
        aging 2026-05-02 (30,60,90)
        customer cur  current   1-30  31-60  61-90    90+   total
        ACME     USD     0.00   0.00   0.00   0.00  10.00   10.00
        total    USD     0.00   0.00   0.00   0.00  10.00   10.00
          INV1 ACME USD due 2026-01-31 91 days 90+ 10.00
        aging 2026-03-17 (15,45)
        customer cur  current   1-15  16-45    45+   total
        ACME     USD     0.00   0.00  10.00   0.00   10.00
        total    USD     0.00   0.00  10.00   0.00   10.00
          INV1 ACME USD due 2026-01-31 45 days 16-45 10.00
        aging 2026-03-18 (15,45)
        customer cur  current   1-15  16-45    45+   total
        ACME     USD     0.00   0.00   0.00  10.00   10.00
        total    USD     0.00   0.00   0.00  10.00   10.00
          INV1 ACME USD due 2026-01-31 46 days 45+ 10.00
    ";
    check(script, expected);
}
