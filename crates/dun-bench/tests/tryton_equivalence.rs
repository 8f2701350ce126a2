//! Dun's run under Tryton's dunning procedure reaches what Tryton reached,
//! invoice by invoice.
//!
//! The Tryton peer (`../shared/peers/tryton`) wrote its book and, per
//! invoice, the level its dunning reached once its runs came to a fixed
//! point (`expected_1000.csv`: `final_level`, `fee_total`). This imports the
//! same book into a fresh SQLite Dun book, makes `tryton_policy.toml` (the
//! same three levels and fee) the policy in force, applies one run as of the
//! peer's date, and compares:
//! - per invoice, the highest step Dun's run reached — sent, or recorded as
//!   skipped because a later step was due the same day — as a level (15
//!   days → 1, 30 → 2, 60 → 3, none → 0) with `final_level`;
//! - the total of the fees Dun posted with the sum of `fee_total`.
//!
//! One difference is deliberate and does not show in these figures: Tryton
//! advances a dunning one level per generate + process cycle (five cycles
//! to its fixed point), Dun's one run reaches the end state at once, and its
//! customer receives one letter naming the highest level, not one letter per
//! level. Tryton's `first_run_level` therefore has no counterpart in Dun.
//!
//! Without the peer's files the test says SKIPPED loudly, and fails when
//! `DUN_TEST_REQUIRE_POSTGRES=1` (CI), so a missing book never passes for a
//! check.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

use dun_bench::dun::{Dun, Table, ORG_NAME};
use dun_bench::peer::{dun_levels, TrytonBook, TRYTON_POLICY};
use dun_core::money::parse_amount_minor;
use dun_core::Date;

/// The book of the peer's run on 1,000 invoices.
const SIZE: usize = 1000;

fn tryton_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/peers/tryton")
}

#[test]
fn dun_reaches_the_levels_and_fees_tryton_reached() {
    let dir = tryton_dir();
    let expected_path = dir.join(format!("out/expected_{SIZE}.csv"));
    if !expected_path.is_file() {
        let message = format!(
            "SKIPPED: the Tryton peer's book is not at {} (run ../shared/peers/tryton/bench_dunning.py --invoices {SIZE})",
            expected_path.display()
        );
        if std::env::var("DUN_TEST_REQUIRE_POSTGRES").as_deref() == Ok("1") {
            panic!("{message}; DUN_TEST_REQUIRE_POSTGRES=1 requires it");
        }
        let _ = writeln!(std::io::stderr(), "{message}");
        return;
    }
    let tryton = TrytonBook::open(&dir, SIZE).expect("read the peer's book");
    assert_eq!(tryton.as_of, "2025-06-30", "the peer's date");
    let work = tempfile::tempdir().unwrap();
    let files = tryton.convert(work.path()).expect("convert the book");
    let db = work.path().join("dun.db").to_string_lossy().into_owned();
    let dun = Dun::InProcess {
        why: "the test".into(),
    };
    dun.init(&db, tryton.currency).unwrap();
    dun.import(&db, Table::Customers, &files.customers_csv)
        .unwrap();
    dun.import(&db, Table::Invoices, &files.invoices_csv)
        .unwrap();
    dun.import(&db, Table::Payments, &files.payments_csv)
        .unwrap();

    let mut store = dun_store::Store::open(&db).unwrap();
    let org = store.org(Some(ORG_NAME)).unwrap();
    store
        .apply_policy(org.id, TRYTON_POLICY, "tryton equivalence", None)
        .expect("the Tryton policy reads");
    let as_of = Date::parse(&tryton.as_of).unwrap();
    let outcome = store.run_collections(org.id, as_of, true).unwrap();
    assert!(!outcome.applied.is_empty());
    let again = store.run_collections(org.id, as_of, true).unwrap();
    assert!(
        again.plan.actions.is_empty(),
        "a second run on the same day decided more"
    );
    drop(store);
    let dun_side = dun_levels(&db).unwrap();

    let mut reader = csv::Reader::from_path(&expected_path).unwrap();
    let header = reader.headers().unwrap().clone();
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (number, level, fee) = (column("number"), column("final_level"), column("fee_total"));
    let mut tryton_counts: BTreeMap<u32, u64> = BTreeMap::new();
    let mut dun_counts: BTreeMap<u32, u64> = BTreeMap::new();
    let mut fee_total_minor = 0;
    let mut mismatches = Vec::new();
    let mut invoices = 0;
    for record in reader.records() {
        let record = record.unwrap();
        invoices += 1;
        let want: u32 = record[level].parse().unwrap();
        let got = dun_side
            .by_invoice
            .get(&record[number])
            .copied()
            .unwrap_or(0);
        *tryton_counts.entry(want).or_default() += 1;
        *dun_counts.entry(got).or_default() += 1;
        fee_total_minor += parse_amount_minor(&record[fee], tryton.currency).unwrap();
        if want != got {
            mismatches.push(format!(
                "{}: Tryton level {want}, Dun {got}",
                &record[number]
            ));
        }
    }

    let mut table = String::from("\nlevel   Tryton   Dun\n");
    for l in 0..=3 {
        table.push_str(&format!(
            "{l:>5} {:>8} {:>5}\n",
            tryton_counts.get(&l).copied().unwrap_or(0),
            dun_counts.get(&l).copied().unwrap_or(0)
        ));
    }
    table.push_str(&format!(
        "fees   {:>8} {:>5}  ({} {cur} and {} {cur})\n",
        tryton.fees.map_or("?".to_string(), |n| n.to_string()),
        dun_side.fees,
        dun_core::money::format_minor(fee_total_minor, tryton.currency),
        dun_core::money::format_minor(dun_side.fee_total_minor, tryton.currency),
        cur = tryton.currency,
    ));
    let _ = writeln!(std::io::stderr(), "{table}");
    assert_eq!(invoices, SIZE);
    assert!(
        mismatches.is_empty(),
        "{} of {SIZE} invoices reached another level:\n{}{table}",
        mismatches.len(),
        mismatches
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert_eq!(
        dun_side.fee_total_minor, fee_total_minor,
        "fees posted by Dun vs the sum of fee_total{table}"
    );
}
