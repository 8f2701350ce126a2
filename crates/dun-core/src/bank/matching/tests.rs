use proptest::prelude::*;

use super::*;

fn eur() -> Currency {
    Currency::parse("EUR").unwrap()
}

fn usd() -> Currency {
    Currency::parse("USD").unwrap()
}

fn day(d: u32) -> Date {
    Date::from_ymd(2026, 3, d).unwrap()
}

fn item(invoice_id: i64, customer_id: i64, open_minor: i64, due: u32) -> OpenItem {
    OpenItem {
        invoice_id,
        number: format!("INV-{invoice_id:06}"),
        customer_id,
        currency: eur(),
        open_minor,
        due_date: day(due),
        plan_due_minor: None,
    }
}

fn credit(amount_minor: i64, text: &str) -> BankLine {
    let mut line = BankLine::new(day(20), amount_minor, eur());
    line.remittance = text.to_string();
    line
}

fn customers() -> Vec<CustomerName> {
    vec![
        CustomerName {
            customer_id: 1,
            name: "Acme Ltd".into(),
        },
        CustomerName {
            customer_id: 2,
            name: "Borg GmbH".into(),
        },
        CustomerName {
            customer_id: 3,
            name: "Cyberdyne Systems".into(),
        },
    ]
}

fn book() -> Matcher {
    Matcher::new(
        vec![
            item(101, 1, 10_000, 1),
            item(102, 1, 5_000, 5),
            item(201, 2, 7_500, 2),
            item(301, 3, 12_345, 3),
        ],
        vec![],
        &[KnownPayer {
            customer_id: 2,
            iban: Some("DE89370400440532013000".into()),
            name_key: None,
        }],
        &customers(),
    )
}

fn allocations(outcome: &Outcome) -> (i64, Vec<(i64, i64)>, i64, Rule) {
    match outcome {
        Outcome::Allocate {
            customer_id,
            allocations,
            credit_minor,
            rule,
            ..
        } => (
            *customer_id,
            allocations
                .iter()
                .map(|a| (a.invoice_id, a.amount_minor))
                .collect(),
            *credit_minor,
            *rule,
        ),
        other => panic!("expected an allocation, got {other:?}"),
    }
}

#[test]
fn a_reference_pays_its_invoice_and_the_rest_is_credit() {
    let mut m = book();
    let r = CreditorReference::for_invoice(102);
    let out = m.decide(&credit(6_000, &format!("Zahlung {}", r.grouped())));
    assert_eq!(
        allocations(&out),
        (1, vec![(102, 5_000)], 1_000, Rule::Reference)
    );
    let Outcome::Allocate { reasons, .. } = out else {
        unreachable!()
    };
    assert!(reasons.contains(&Reason::Overpaid {
        credit_minor: 1_000
    }));
    assert_eq!(m.open_minor(102), Some(0));
}

#[test]
fn a_structured_reference_counts_like_one_in_the_text() {
    let mut m = book();
    let mut line = credit(3_000, "");
    line.structured_ref = Some(CreditorReference::for_invoice(101).as_str().into());
    let out = m.decide(&line);
    assert_eq!(
        allocations(&out),
        (1, vec![(101, 3_000)], 0, Rule::Reference)
    );
    let Outcome::Allocate { reasons, .. } = out else {
        unreachable!()
    };
    assert!(reasons.contains(&Reason::Underpaid { left_minor: 7_000 }));
}

#[test]
fn sloppily_typed_invoice_numbers_are_found() {
    for text in [
        "inv 101",
        "INV101",
        "Invoice #101",
        "Rechnung 000101",
        "re: inv-000101 thanks",
        "RG-NR 101",
        "payment 000101",
    ] {
        let mut m = book();
        let out = m.decide(&credit(10_000, text));
        assert_eq!(
            allocations(&out),
            (1, vec![(101, 10_000)], 0, Rule::InvoiceNumber),
            "{text}"
        );
    }
}

#[test]
fn amounts_and_dates_in_the_text_are_not_invoice_numbers() {
    for text in ["101.00 EUR", "order 101", "2026-03-01"] {
        let mut m = book();
        assert!(
            matches!(m.decide(&credit(999, text)), Outcome::Suggest { .. }),
            "{text}"
        );
    }
}

#[test]
fn several_invoices_named_are_paid_oldest_due_first() {
    let mut m = book();
    let out = m.decide(&credit(12_000, "INV-000102 and INV-000101"));
    assert_eq!(
        allocations(&out),
        (1, vec![(101, 10_000), (102, 2_000)], 0, Rule::InvoiceNumber)
    );
}

#[test]
fn a_customer_reference_pays_the_oldest_first() {
    let mut m = book();
    let r = CreditorReference::for_customer(1);
    let out = m.decide(&credit(16_000, r.as_str()));
    assert_eq!(
        allocations(&out),
        (
            1,
            vec![(101, 10_000), (102, 5_000)],
            1_000,
            Rule::CustomerReference
        )
    );
}

#[test]
fn a_known_payer_paying_one_invoices_amount_is_matched() {
    let mut m = book();
    let mut line = credit(7_500, "thanks");
    line.counterparty_iban = Some("DE89370400440532013000".into());
    assert_eq!(
        allocations(&m.decide(&line)),
        (2, vec![(201, 7_500)], 0, Rule::KnownPayer)
    );
    // The same again: nothing is open now, so a person decides.
    assert!(matches!(m.decide(&line), Outcome::Suggest { .. }));
}

#[test]
fn a_known_payer_with_an_unrelated_amount_is_only_suggested() {
    let mut m = book();
    let mut line = credit(1_234, "");
    line.counterparty_iban = Some("DE89370400440532013000".into());
    let Outcome::Suggest { candidates } = m.decide(&line) else {
        panic!()
    };
    assert_eq!(candidates[0].customer_id, 2);
    assert_eq!(candidates[0].score, 60);
}

#[test]
fn another_currency_is_never_allocated() {
    let mut m = book();
    let mut line = credit(10_000, "INV-000101");
    line.currency = usd();
    assert!(matches!(m.decide(&line), Outcome::Suggest { .. }));
    let mut line = credit(10_000, CreditorReference::for_invoice(101).as_str());
    line.currency = usd();
    let Outcome::Suggest { candidates } = m.decide(&line) else {
        panic!()
    };
    assert!(candidates[0]
        .reasons
        .iter()
        .any(|r| matches!(r, Reason::CurrencyDiffers { .. })));
    assert_eq!(m.open_minor(101), Some(10_000));
}

#[test]
fn a_strangers_transfer_gets_candidates_with_reasons() {
    let mut m = book();
    let mut line = credit(12_345, "transfer");
    line.counterparty_name = Some("CYBERDYNE SYSTEMS INC".into());
    let Outcome::Suggest { candidates } = m.decide(&line) else {
        panic!()
    };
    assert_eq!(candidates[0].customer_id, 3);
    assert!(candidates[0].score >= 70, "{candidates:?}");
    assert!(candidates[0]
        .reasons
        .iter()
        .any(|r| matches!(r, Reason::NameResembles { .. })));
    assert!(candidates[0]
        .reasons
        .iter()
        .any(|r| matches!(r, Reason::AmountEqualsInvoice { .. })));
}

#[test]
fn references_to_two_customers_are_left_for_a_person() {
    let mut m = book();
    let Outcome::Suggest { candidates } = m.decide(&credit(17_500, "INV-000101 INV-000201")) else {
        panic!()
    };
    assert_eq!(
        candidates.iter().map(|c| c.customer_id).collect::<Vec<_>>(),
        vec![1, 2]
    );
}

#[test]
fn a_paid_invoices_reference_makes_customer_credit() {
    let named = vec![NamedInvoice {
        invoice_id: 999,
        number: "INV-000999".into(),
        customer_id: 1,
        currency: eur(),
    }];
    let mut m = Matcher::new(vec![], named, &[], &customers());
    let out = m.decide(&credit(500, CreditorReference::for_invoice(999).as_str()));
    assert_eq!(allocations(&out), (1, vec![], 500, Rule::Reference));
}

fn lines() -> impl Strategy<Value = Vec<(i64, u8, bool)>> {
    proptest::collection::vec((1i64..30_000, 0u8..8, any::<bool>()), 1..40)
}

proptest! {
    #[test]
    fn matching_never_allocates_more_than_a_line_or_an_invoice_has(spec in lines(), opens in proptest::collection::vec(1i64..20_000, 1..10)) {
        let items: Vec<OpenItem> = opens.iter().enumerate().map(|(i, &o)| item(i as i64 + 1, (i as i64 % 3) + 1, o, (i % 20) as u32 + 1)).collect();
        let before: HashMap<i64, i64> = items.iter().map(|i| (i.invoice_id, i.open_minor)).collect();
        let mut m = Matcher::new(items, vec![], &[KnownPayer { customer_id: 1, iban: Some("X".into()), name_key: None }], &customers());
        let mut paid: HashMap<i64, i64> = HashMap::new();
        for (amount, target, known) in spec {
            let id = i64::from(target) % opens.len() as i64 + 1;
            let text = match target % 3 { 0 => format!("INV-{id:06}"), 1 => CreditorReference::for_invoice(id).grouped(), _ => String::new() };
            let mut line = credit(amount, &text);
            if known { line.counterparty_iban = Some("X".into()); }
            if let Outcome::Allocate { allocations, credit_minor, .. } = m.decide(&line) {
                let total: i64 = allocations.iter().map(|a| a.amount_minor).sum();
                prop_assert_eq!(total + credit_minor, amount);
                prop_assert!(credit_minor >= 0);
                for a in allocations {
                    prop_assert!(a.amount_minor > 0);
                    *paid.entry(a.invoice_id).or_default() += a.amount_minor;
                }
            }
        }
        for (id, total) in paid {
            prop_assert!(total <= before[&id], "invoice {} paid {} of {}", id, total, before[&id]);
            prop_assert_eq!(m.open_minor(id), Some(before[&id] - total));
        }
    }
}
