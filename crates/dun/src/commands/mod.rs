//! One module per command family; each turns arguments into a store call
//! and the result into output.

pub mod accounts;
mod aging;
pub mod backup;
pub mod bank;
pub mod book_export;
pub mod collateral;
mod customer;
mod demo;
pub mod dispute;
pub mod document;
pub mod escalation;
mod init;
mod invoice;
pub mod log;
pub mod outbox;
pub mod party;
mod payment;
pub mod period;
pub mod plan;
pub mod policy;
pub mod rates;
pub mod recurring;
pub mod report;
pub mod run;
pub mod serve;
pub mod standing;
pub mod stripe;
pub mod template;
mod transfer;
pub mod ubl;
pub mod worklist;

use anyhow::{anyhow, Result};
use dun_core::money::parse_amount_minor;
use dun_core::Currency;

use crate::cli::{Cli, Command};
use crate::context::Context;

pub fn run(cli: Cli) -> Result<()> {
    let org = cli.org.as_deref();
    match cli.command {
        Command::Init(args) => init::run(&cli.db, org, &args),
        Command::Serve(args) => serve::run(&cli.db, &args),
        Command::User(c) => accounts::user(&mut Context::open(&cli.db, org)?, c),
        Command::Token(c) => accounts::token(&mut Context::open(&cli.db, org)?, c),
        Command::Demo(args) => demo::run(&cli.db, org, &args),
        Command::Org(c) => party::org(&mut Context::open(&cli.db, org)?, c),
        Command::Customer(c) => customer::run(&mut Context::open(&cli.db, org)?, c),
        Command::Invoice(c) => invoice::run(&mut Context::open(&cli.db, org)?, c),
        Command::Payment(c) => payment::run(&mut Context::open(&cli.db, org)?, c),
        Command::CreditNote(a) => invoice::reduce(
            &mut Context::open(&cli.db, org)?,
            a,
            dun_core::ledger::EntryKind::CreditNote,
        ),
        Command::WriteOff(a) => invoice::reduce(
            &mut Context::open(&cli.db, org)?,
            a,
            dun_core::ledger::EntryKind::WriteOff,
        ),
        Command::Policy(c) => policy::run(&cli.db, org, c),
        Command::Log(c) => log::run(&mut Context::open(&cli.db, org)?, c),
        Command::Dispute(c) => dispute::run(&mut Context::open(&cli.db, org)?, c),
        Command::Plan(c) => plan::run(&mut Context::open(&cli.db, org)?, c),
        Command::Collateral(c) => collateral::run(&mut Context::open(&cli.db, org)?, c),
        Command::Bank(c) => bank::run(&mut Context::open(&cli.db, org)?, c),
        Command::Rates(c) => rates::run(&mut Context::open(&cli.db, org)?, c),
        Command::Stripe(c) => stripe::run(&mut Context::open(&cli.db, org)?, c),
        Command::Worklist(a) => worklist::worklist(&mut Context::open(&cli.db, org)?, &a),
        Command::Task(c) => worklist::task(&mut Context::open(&cli.db, org)?, c),
        Command::Escalations(a) => escalation::list(&mut Context::open(&cli.db, org)?, &a),
        Command::Import(a) => transfer::import(&mut Context::open(&cli.db, org)?, &a),
        Command::Export(a) => transfer::export(&mut Context::open(&cli.db, org)?, &a),
        Command::ImportAll(a) => book_export::import_all(&cli.db, org, &a),
        Command::Statement(a) => document::statement(&mut Context::open(&cli.db, org)?, &a),
        Command::Letter(c) => document::letter(&mut Context::open(&cli.db, org)?, c),
        Command::Aging(a) => aging::run(&mut Context::open(&cli.db, org)?, &a),
        Command::Run(a) => run::run(&mut Context::open(&cli.db, org)?, &a),
        Command::Recurring(c) => recurring::recurring(&mut Context::open(&cli.db, org)?, c),
        Command::StatementSchedule(c) => {
            recurring::statement_schedule(&mut Context::open(&cli.db, org)?, c)
        }
        Command::Outbox(c) => outbox::run(&mut Context::open(&cli.db, org)?, c),
        Command::Template(c) => template::run(&mut Context::open(&cli.db, org)?, c),
        Command::Report(c) => report::run(&mut Context::open(&cli.db, org)?, c),
        Command::Completions { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut command, "dun", &mut std::io::stdout());
            Ok(())
        }
        Command::Backup(a) => backup::backup(&cli.db, &a),
        Command::Period(c) => period::period(&mut Context::open(&cli.db, org)?, c),
        Command::Verify => {
            let mut ctx = Context::open(&cli.db, org)?;
            let problems = ctx.store.verify(ctx.org.id)?;
            if problems.is_empty() {
                println!("ok: every balance equals the sum of its ledger entries");
                Ok(())
            } else {
                for p in &problems {
                    eprintln!("{p}");
                }
                Err(anyhow!(
                    "{} balance(s) disagree with the ledger",
                    problems.len()
                ))
            }
        }
    }
}

/// An amount from the command line, in `currency`.
pub fn amount(text: &str, currency: Currency, flag: &str) -> Result<i64> {
    let amount = parse_amount_minor(text, currency).map_err(|e| anyhow!("--{flag}: {e}"))?;
    if amount <= 0 {
        return Err(anyhow!(
            "--{flag}: the amount must be positive (got {text})"
        ));
    }
    Ok(amount)
}

pub fn money(amount_minor: i64, currency: Currency) -> String {
    dun_core::money::format_minor(amount_minor, currency)
}
