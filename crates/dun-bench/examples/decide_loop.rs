//! Runs `run::decide` over a kept bench book in a loop, for a profiler:
//! `cargo run --release -p dun-bench --example decide_loop -- DB AS_OF N`.

use dun_core::collections::run;
use dun_core::Date;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let db = args.get(1).map_or("dun.db", String::as_str);
    let as_of = Date::parse(args.get(2).map_or("2026-06-30", String::as_str))?;
    let n: usize = args.get(3).map_or(Ok(200), |s| s.parse())?;
    let mut store = dun_store::Store::open(db)?;
    let org = store.org(None)?;
    let loaded = store.run_book(org.id, as_of)?;
    let input = loaded.input();
    let start = std::time::Instant::now();
    let mut actions = 0;
    for _ in 0..n {
        actions += run::decide(std::hint::black_box(&input)).actions.len();
    }
    let each = start.elapsed() / n as u32;
    println!("{n} runs, {} actions each, {each:?} each", actions / n);
    Ok(())
}
