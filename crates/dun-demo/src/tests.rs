//! The demo book's promises: reproducible, valid, importable, and alive.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use dun_core::aging::AgingEdges;
use dun_core::book::Book;
use dun_core::invoice::{totals, InvoiceDraft, InvoiceLine};
use dun_core::posting::AllocationRequest;
use dun_core::terms::Terms;

use super::*;
use crate::words::METHODS;

/// Size of the book most tests read: big enough for every habit to show.
const TEST_INVOICES: usize = 2_000;
const TEST_SEED: u64 = 42;

fn date(text: &str) -> Date {
    Date::parse(text).unwrap()
}

fn currency(code: &str) -> Currency {
    Currency::parse(code).unwrap()
}

fn end_date() -> Date {
    date("2026-03-31")
}

fn spec(invoices: usize, seed: u64) -> DemoSpec {
    DemoSpec {
        seed,
        ..DemoSpec::for_invoices(invoices, end_date(), currency("USD"))
    }
}

fn test_book() -> &'static DemoBook {
    static BOOK: OnceLock<DemoBook> = OnceLock::new();
    BOOK.get_or_init(|| generate(&spec(TEST_INVOICES, TEST_SEED)))
}

fn customer_index(book: &DemoBook) -> HashMap<&str, usize> {
    book.customers
        .iter()
        .enumerate()
        .map(|(i, c)| (c.reference.as_str(), i))
        .collect()
}

#[test]
fn the_same_seed_gives_the_same_book() {
    assert_eq!(&generate(&spec(TEST_INVOICES, TEST_SEED)), test_book());
}

#[test]
fn another_seed_gives_another_book() {
    let other = generate(&spec(TEST_INVOICES, TEST_SEED + 1));
    assert_ne!(other.customers, test_book().customers);
    assert_ne!(other.invoices, test_book().invoices);
    assert_ne!(other.payments, test_book().payments);
}

#[test]
fn for_invoices_chooses_a_believable_number_of_customers() {
    let sized = |invoices| DemoSpec::for_invoices(invoices, end_date(), currency("USD"));
    assert_eq!(sized(10).customers, CUSTOMERS_MIN);
    assert_eq!(sized(2_000).customers, 50);
    assert_eq!(sized(1_000_000).customers, 25_000);
    assert_eq!(sized(10_000_000).customers, CUSTOMERS_MAX);
    assert_eq!(sized(10).years, DEFAULT_YEARS);
}

#[test]
fn customers_have_unique_references_and_names() {
    let book = test_book();
    assert_eq!(book.customers.len(), 50);
    assert_eq!(book.customer_habits.len(), book.customers.len());
    assert_eq!(book.customers[0].reference, "C00001");
    for (i, c) in book.customers.iter().enumerate() {
        assert_eq!(c.row, i + 2);
        assert!(c.terms.is_some());
        assert!(c.credit_limit_minor.is_none_or(|l| l > 0));
        assert!(
            c.email
                .as_ref()
                .is_none_or(|e| e.contains('@') && e.ends_with(".example")),
            "{:?}",
            c.email
        );
    }
    // Past the 32,768 word combinations a town keeps the names apart.
    let many = generate(&DemoSpec {
        customers: 70_000,
        invoices: 0,
        ..spec(0, 7)
    });
    let references: HashSet<&str> = many
        .customers
        .iter()
        .map(|c| c.reference.as_str())
        .collect();
    let names: HashSet<&str> = many.customers.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(references.len(), 70_000);
    assert_eq!(names.len(), 70_000);
    assert!(many.invoices.is_empty() && many.payments.is_empty());
}

#[test]
fn every_habit_appears_from_five_customers() {
    let five = generate(&DemoSpec {
        customers: 5,
        ..spec(200, 3)
    });
    let habits: HashSet<Habit> = five.customer_habits.iter().copied().collect();
    assert_eq!(habits.len(), Habit::ALL.len());

    // In the test book every habit also has invoices to show for it.
    let book = test_book();
    let customers = customer_index(book);
    let invoiced: HashSet<Habit> = book
        .invoices
        .iter()
        .map(|i| book.customer_habits[customers[i.customer_ref.as_str()]])
        .collect();
    assert_eq!(invoiced.len(), Habit::ALL.len());
}

#[test]
fn new_customers_start_in_the_last_sixty_days() {
    let book = test_book();
    let customers = customer_index(book);
    let mut first_invoice: HashMap<&str, Date> = HashMap::new();
    for i in &book.invoices {
        first_invoice
            .entry(i.customer_ref.as_str())
            .or_insert(i.issue_date);
    }
    let window_start = end_date().add_days(-NEW_CUSTOMER_WINDOW_DAYS);
    let mut new_customers = 0;
    for (reference, first) in &first_invoice {
        if book.customer_habits[customers[reference]] == Habit::New {
            new_customers += 1;
            assert!(*first >= window_start, "{reference} first invoiced {first}");
        }
    }
    assert!(new_customers > 0);
}

#[test]
fn invoices_are_valid_numbered_in_date_order_and_due_by_their_terms() {
    let book = test_book();
    let customers = customer_index(book);
    let start = end_date().add_months(-12 * DEFAULT_YEARS as i32);
    assert_eq!(book.invoices.len(), TEST_INVOICES);
    let mut numbers = HashSet::new();
    for (k, invoice) in book.invoices.iter().enumerate() {
        assert_eq!(invoice.row, k + 2);
        assert_eq!(invoice.number, format!("INV-{:06}", k + 1));
        assert!(numbers.insert(invoice.number.as_str()));
        assert!(invoice.issue_date > start && invoice.issue_date <= end_date());
        if k > 0 {
            assert!(book.invoices[k - 1].issue_date <= invoice.issue_date);
        }
        assert!((1..=4).contains(&invoice.lines.len()));
        for line in &invoice.lines {
            let rebuilt = InvoiceLine::priced(
                &line.description,
                line.quantity_e4,
                line.unit_price,
                line.tax_rate_ppm,
            );
            assert_eq!(rebuilt.as_ref(), Ok(line));
            assert!(line.unit_price > dun_core::money::UnitPrice::from_minor(0));
            assert!([0, 50_000, 100_000, 200_000].contains(&line.tax_rate_ppm));
        }
        let customer = &book.customers[customers[invoice.customer_ref.as_str()]];
        let terms = customer.terms.as_ref().unwrap();
        let total_minor = totals(&invoice.lines).total_minor;
        assert!(total_minor > 0);
        assert_eq!(
            terms.schedule(invoice.issue_date, total_minor)[0].due_date,
            invoice.due_date
        );
        assert!(!invoice.description.is_empty());
    }
    // Activity grows: the last quarter of the period is busier than the first.
    let quarter_days = end_date().days_since(start) / 4;
    let in_first = book
        .invoices
        .iter()
        .filter(|i| i.issue_date <= start.add_days(quarter_days))
        .count();
    let in_last = book
        .invoices
        .iter()
        .filter(|i| i.issue_date > end_date().add_days(-quarter_days))
        .count();
    assert!(
        in_last > in_first,
        "first quarter {in_first}, last quarter {in_last}"
    );
    // Weekends are for rest, except where the period clamps.
    let weekend = |d: Date| (d.day_number() + 3).rem_euclid(7) >= 5;
    assert!(book.invoices.iter().all(|i| !weekend(i.issue_date)));
}

/// Plays the payments against a running open amount per invoice, with the
/// importer's rule (oldest due first) for rows that name no invoice, and
/// checks no row pays more than is open.
#[test]
fn payments_are_in_date_order_and_never_overpay() {
    let book = test_book();
    let customers = customer_index(book);
    let by_number: HashMap<&str, usize> = book
        .invoices
        .iter()
        .enumerate()
        .map(|(i, inv)| (inv.number.as_str(), i))
        .collect();
    let mut open_minor: Vec<i64> = book
        .invoices
        .iter()
        .map(|i| totals(&i.lines).total_minor)
        .collect();
    let mut references = HashSet::new();
    let (mut named, mut unnamed, mut partial) = (0, 0, 0);
    for (k, p) in book.payments.iter().enumerate() {
        assert_eq!(p.row, k + 2);
        if k > 0 {
            assert!(
                book.payments[k - 1].received_date <= p.received_date,
                "row {}",
                p.row
            );
        }
        assert!(p.amount_minor > 0);
        assert!(p.received_date <= end_date());
        assert!(METHODS.contains(&p.method.as_str()));
        assert!(p.reference.starts_with("PMT-") && references.insert(p.reference.as_str()));
        match &p.invoice_number {
            Some(number) => {
                named += 1;
                let i = by_number[number.as_str()];
                let invoice = &book.invoices[i];
                assert_eq!(invoice.customer_ref, p.customer_ref);
                assert_eq!(invoice.currency, p.currency);
                assert!(p.received_date >= invoice.issue_date, "row {}", p.row);
                assert!(
                    p.amount_minor <= open_minor[i],
                    "row {} overpays {number}",
                    p.row
                );
                if p.amount_minor < open_minor[i] {
                    partial += 1;
                }
                open_minor[i] -= p.amount_minor;
            }
            None => {
                unnamed += 1;
                let mut theirs: Vec<usize> = (0..book.invoices.len())
                    .filter(|i| {
                        book.invoices[*i].customer_ref == p.customer_ref && open_minor[*i] > 0
                    })
                    .collect();
                theirs.sort_by_key(|i| {
                    (book.invoices[*i].due_date, book.invoices[*i].issue_date, *i)
                });
                let mut left_minor = p.amount_minor;
                for i in theirs {
                    let invoice = &book.invoices[i];
                    assert_eq!(invoice.currency, p.currency);
                    if left_minor == 0 {
                        break;
                    }
                    assert!(
                        invoice.issue_date <= p.received_date,
                        "row {} reaches a later invoice",
                        p.row
                    );
                    let take_minor = left_minor.min(open_minor[i]);
                    open_minor[i] -= take_minor;
                    left_minor -= take_minor;
                }
                assert_eq!(
                    left_minor, 0,
                    "row {} pays more than the customer owes",
                    p.row
                );
            }
        }
        assert!(customers.contains_key(p.customer_ref.as_str()));
    }
    assert!(
        named > unnamed && unnamed > 0 && partial > 0,
        "{named} named, {unnamed} unnamed, {partial} partial"
    );
    // Some invoices stay open, most are settled.
    let still_open = open_minor.iter().filter(|o| **o > 0).count();
    assert!(
        still_open > 0 && still_open < book.invoices.len() / 3,
        "{still_open} open"
    );
}

#[test]
fn prompt_payers_pay_by_the_due_date() {
    let book = test_book();
    let customers = customer_index(book);
    let due: HashMap<&str, Date> = book
        .invoices
        .iter()
        .map(|i| (i.number.as_str(), i.due_date))
        .collect();
    for p in &book.payments {
        if let Some(number) = &p.invoice_number {
            if book.customer_habits[customers[p.customer_ref.as_str()]] == Habit::Prompt {
                assert!(p.received_date <= due[number.as_str()], "row {}", p.row);
            }
        }
    }
}

/// The book as dun-core's own ledger sees it: every row posts, every
/// payment is allocated in full, and the aging has money in every bucket.
#[test]
fn the_aging_has_money_in_every_bucket() {
    let book = test_book();
    let mut ledger = Book::new();
    let customers = customer_index(book);
    let mut invoice_ids: HashMap<&str, i64> = HashMap::new();
    for invoice in &book.invoices {
        let c = customers[invoice.customer_ref.as_str()];
        let draft = InvoiceDraft {
            customer_id: c as i64 + 1,
            currency: invoice.currency,
            issue_date: invoice.issue_date,
            terms: book.customers[c]
                .terms
                .clone()
                .unwrap_or(Terms::Net { days: 30 }),
            description: invoice.description.clone(),
            lines: invoice.lines.clone(),
            installments: Vec::new(),
        };
        let id = ledger.issue(&draft).unwrap();
        assert_eq!(ledger.invoices[&id].number, invoice.number);
        assert_eq!(ledger.invoices[&id].due_date(), invoice.due_date);
        invoice_ids.insert(invoice.number.as_str(), id);
    }
    for p in &book.payments {
        let request = match &p.invoice_number {
            Some(number) => {
                AllocationRequest::Explicit(vec![(invoice_ids[number.as_str()], p.amount_minor)])
            }
            None => AllocationRequest::OldestDueFirst,
        };
        let customer_id = customers[p.customer_ref.as_str()] as i64 + 1;
        let id = ledger
            .receive(
                customer_id,
                p.currency,
                p.received_date,
                p.amount_minor,
                &request,
            )
            .unwrap_or_else(|e| panic!("payment row {}: {e}", p.row));
        assert_eq!(
            ledger.payments[&id].unallocated_minor, 0,
            "payment row {} left credit",
            p.row
        );
    }
    let aging = ledger.aging(end_date(), &AgingEdges::standard(), false);
    let usd = &aging.totals()[&currency("USD")];
    let labels = AgingEdges::standard().labels();
    for (bucket, amount_minor) in usd.amounts_minor.iter().enumerate() {
        assert!(
            *amount_minor > 0,
            "nothing in {}: {:?}",
            labels[bucket],
            usd.amounts_minor
        );
    }
}

#[test]
fn a_second_currency_is_billed_and_paid_in_that_currency() {
    let book = generate(&spec(20_000, 5));
    let eur = currency("EUR");
    let customers = customer_index(&book);
    let foreign: HashSet<&str> = book
        .invoices
        .iter()
        .filter(|i| i.currency == eur)
        .map(|i| i.customer_ref.as_str())
        .collect();
    assert!(!foreign.is_empty());
    let share_percent =
        book.invoices.iter().filter(|i| i.currency == eur).count() * 100 / book.invoices.len();
    assert!(share_percent <= 10, "{share_percent} % in EUR");
    for i in book
        .invoices
        .iter()
        .filter(|i| foreign.contains(i.customer_ref.as_str()))
    {
        assert_eq!(i.currency, eur);
        assert!(i.lines.iter().all(|l| l.tax_rate_ppm == 0));
    }
    for p in &book.payments {
        let expected = if foreign.contains(p.customer_ref.as_str()) {
            eur
        } else {
            currency("USD")
        };
        assert_eq!(p.currency, expected, "payment row {}", p.row);
    }
    assert_eq!(customers.len(), 500);
}

#[test]
fn zero_decimal_currencies_get_believable_amounts() {
    let book = generate(&DemoSpec {
        currency: currency("JPY"),
        ..spec(300, 9)
    });
    let totals_minor: Vec<i64> = book
        .invoices
        .iter()
        .map(|i| totals(&i.lines).total_minor)
        .collect();
    let average_minor = totals_minor.iter().sum::<i64>() / totals_minor.len() as i64;
    // Hundreds of dollars are tens of thousands of yen.
    assert!(average_minor > 5_000, "average ¥{average_minor}");
}

#[test]
fn small_and_empty_specs_work() {
    let empty = generate(&DemoSpec {
        customers: 0,
        ..spec(0, 1)
    });
    assert!(empty.customers.is_empty() && empty.invoices.is_empty() && empty.payments.is_empty());
    let one = generate(&DemoSpec {
        customers: 0,
        ..spec(3, 1)
    });
    assert_eq!((one.customers.len(), one.invoices.len()), (1, 3));
    let long = generate(&DemoSpec {
        years: 10,
        ..spec(500, 1)
    });
    assert!(long.invoices[0].issue_date < end_date().add_months(-12 * 9));
}

/// FNV-1a over every field, so any change to the output shows.
struct Fingerprint(u64);

impl Fingerprint {
    fn bytes(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01B3);
        }
        self.0 = (self.0 ^ 0xFF).wrapping_mul(0x0000_0100_0000_01B3);
    }
    fn text(&mut self, text: &str) {
        self.bytes(text.as_bytes());
    }
    fn number(&mut self, n: i64) {
        self.bytes(&n.to_le_bytes());
    }
}

#[test]
fn seed_42_book_is_pinned() {
    // A seed is a promise: the same book forever. Change this figure only
    // when the generator is meant to change, and say so in the commit.
    let book = test_book();
    let mut f = Fingerprint(0xCBF2_9CE4_8422_2325);
    for c in &book.customers {
        f.text(&c.reference);
        f.text(&c.name);
        f.text(c.email.as_deref().unwrap_or("-"));
        f.text(c.phone.as_deref().unwrap_or("-"));
        f.number(c.credit_limit_minor.unwrap_or(-1));
        f.text(&c.terms.as_ref().map_or(String::new(), Terms::to_string));
    }
    for i in &book.invoices {
        f.text(&i.number);
        f.text(&i.customer_ref);
        f.number(i.issue_date.day_number().into());
        f.number(i.due_date.day_number().into());
        f.text(i.currency.code());
        f.text(&i.description);
        for l in &i.lines {
            f.text(&l.description);
            f.number(l.quantity_e4);
            f.number(
                l.unit_price
                    .whole_minor()
                    .expect("demo prices are whole minor units"),
            );
            f.number(l.tax_rate_ppm);
        }
    }
    for p in &book.payments {
        f.number(p.received_date.day_number().into());
        f.text(&p.customer_ref);
        f.number(p.amount_minor);
        f.text(p.currency.code());
        f.text(&p.method);
        f.text(&p.reference);
        f.text(p.invoice_number.as_deref().unwrap_or("-"));
    }
    for h in &book.customer_habits {
        f.text(h.as_str());
    }
    assert_eq!(f.0, 0xf792_b854_404b_9c3e, "fingerprint {:#018x}", f.0);
}
