//! `dun period`: close the books through a day, so nothing is posted on or
//! before it; reopen them with a reason.

use anyhow::{anyhow, Result};
use clap::Subcommand;

use super::log::AuthorArg;
use crate::context::{parse_date, Context};

#[derive(Subcommand, Debug)]
pub enum PeriodCommand {
    /// Which period the books are closed through, by whom and when.
    Show,
    /// Close the books through DATE: every posting dated on or before it
    /// is refused from now on (payments, credit notes, fees, interest…).
    Close {
        #[arg(value_name = "DATE")]
        through: String,
        /// Why, if you like (kept with the close).
        #[arg(long, default_value = "")]
        reason: String,
        #[command(flatten)]
        author: AuthorArg,
    },
    /// Reopen the books: all of them, or back to --to DATE.
    Reopen {
        /// Keep them closed through this earlier day.
        #[arg(long, value_name = "DATE")]
        to: Option<String>,
        /// Why (required).
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        author: AuthorArg,
    },
}

pub fn period(ctx: &mut Context, command: PeriodCommand) -> Result<()> {
    let org_id = ctx.org.id;
    let said = match command {
        PeriodCommand::Show => ctx.store.closed_period(org_id)?,
        PeriodCommand::Close {
            through,
            reason,
            author,
        } => {
            let through = parse_date(&through, "DATE")?;
            ctx.store
                .set_closed_period(org_id, Some(through), &reason, &author.name())?
        }
        PeriodCommand::Reopen { to, reason, author } => {
            let to = to.map(|d| parse_date(&d, "to")).transpose()?;
            if reason.trim().is_empty() {
                return Err(anyhow!(
                    "--reason: reopening a closed period needs its reason"
                ));
            }
            ctx.store
                .set_closed_period(org_id, to, &reason, &author.name())?
        }
    };
    match said {
        Some(c) => println!(
            "The books are closed through {} (by {}, {}): nothing is posted on or before it.",
            c.through, c.by, c.at
        ),
        None => println!("The books are open: postings may be dated any day."),
    }
    Ok(())
}
