//! `dun report figures` (DSO, best possible DSO, average days delinquent,
//! CEI, bad-debt ratio) and `dun report aging` (the same as `dun aging`).

use anyhow::Result;
use clap::{Args, Subcommand};
use dun_core::figures::{Absence, Figure, Figures};
use dun_store::figures::TrendPoint;
use serde_json::json;

use super::money;
use crate::cli::{AgingArgs, Format, FormatArg};
use crate::context::Context;
use crate::output::{emit, Table};

#[derive(Subcommand, Debug)]
pub enum ReportCommand {
    /// Collection figures per currency: DSO, best possible DSO, average days
    /// delinquent, CEI and the bad-debt ratio over a period ending on a date.
    Figures(FiguresArgs),
    /// The aging report as of a date (the same as `dun aging`).
    Aging(AgingArgs),
}

#[derive(Args, Debug)]
pub struct FiguresArgs {
    /// Last day of the period, included (default: today in the organisation's time zone).
    #[arg(long)]
    pub as_of: Option<String>,
    /// Length of the period in days, e.g. 30, 90, 365.
    #[arg(long, default_value_t = 90)]
    pub days: u32,
    /// Also show this many earlier periods, one row each (a trend), e.g. 12.
    #[arg(long, default_value_t = 1, value_name = "POINTS")]
    pub points: u32,
    /// Days between the ends of two trend points.
    #[arg(long, default_value_t = 30, value_name = "DAYS")]
    pub step: u32,
    #[command(flatten)]
    pub format: FormatArg,
}

pub fn run(ctx: &mut Context, command: ReportCommand) -> Result<()> {
    match command {
        ReportCommand::Aging(args) => super::aging::run(ctx, &args),
        ReportCommand::Figures(args) => figures(ctx, &args),
    }
}

fn figures(ctx: &mut Context, args: &FiguresArgs) -> Result<()> {
    let as_of = ctx.date_or_today(args.as_of.as_deref(), "as-of")?;
    let points = ctx
        .store
        .figures_trend(ctx.org.id, as_of, args.days, args.points, args.step)?;
    let table = table(&points);
    match args.format.format {
        Format::Json => emit(Format::Json, &table, &to_json(&points)),
        Format::Csv => emit(Format::Csv, &table, &()),
        Format::Table => {
            println!(
                "Collection figures for the {} days ending {as_of}, per currency\n",
                args.days
            );
            emit(Format::Table, &table, &())?;
            if points.iter().all(|p| p.figures.is_empty()) {
                println!("(no invoices, payments or open amounts in the period)");
            }
            for note in absences(&points) {
                println!("{note}");
            }
            println!(
                "\nDSO = ending AR / credit sales × days; best = current AR / credit sales × days;\n\
                 ADD = DSO − best; CEI = (beginning AR + sales − ending AR) / (beginning AR + sales − current AR);\n\
                 credit sales = invoiced − voided + fees and interest. Each rounded once, half to even."
            );
            Ok(())
        }
    }
}

const HEADER: [&str; 13] = [
    "from",
    "to",
    "currency",
    "DSO",
    "best DSO",
    "ADD",
    "CEI %",
    "bad debt %",
    "AR begin",
    "credit sales",
    "AR end",
    "AR current",
    "written off",
];

fn table(points: &[TrendPoint]) -> Table {
    let mut table = Table::new(&HEADER).numeric(3..HEADER.len());
    for point in points {
        for f in &point.figures {
            let c = f.currency;
            table.push(vec![
                f.period_first_day.to_string(),
                f.period_end.to_string(),
                c.to_string(),
                f.dso.display(),
                f.best_possible_dso.display(),
                f.average_days_delinquent.display(),
                f.cei.display(),
                f.bad_debt_ratio.display(),
                money(f.beginning_ar_minor, c),
                money(f.credit_sales_minor, c),
                money(f.ending_ar_minor, c),
                money(f.ending_current_ar_minor, c),
                money(f.sums.written_off_minor, c),
            ]);
        }
    }
    table
}

/// One line per absent figure of the latest period, saying why.
fn absences(points: &[TrendPoint]) -> Vec<String> {
    let Some(last) = points.last() else {
        return Vec::new();
    };
    let mut notes = Vec::new();
    for f in &last.figures {
        let named = [
            ("DSO", f.dso),
            ("best DSO", f.best_possible_dso),
            ("ADD", f.average_days_delinquent),
            ("CEI", f.cei),
            ("bad debt", f.bad_debt_ratio),
        ];
        let mut absent: Vec<(Absence, Vec<&str>)> = Vec::new();
        for (name, figure) in named {
            if let Figure::Absent(a) = figure {
                match absent.iter_mut().find(|(b, _)| *b == a) {
                    Some((_, names)) => names.push(name),
                    None => absent.push((a, vec![name])),
                }
            }
        }
        for (a, names) in absent {
            notes.push(format!(
                "{}: {} — {}",
                f.currency,
                names.join(", "),
                a.reason()
            ));
        }
    }
    notes
}

fn figures_json(f: &Figures) -> serde_json::Value {
    let c = f.currency;
    let mut value = serde_json::to_value(f).unwrap_or_default();
    if let Some(object) = value.as_object_mut() {
        for (name, minor) in [
            ("beginning_ar", f.beginning_ar_minor),
            ("ending_ar", f.ending_ar_minor),
            ("ending_current_ar", f.ending_current_ar_minor),
            ("ending_past_due_ar", f.ending_past_due_ar_minor),
            ("credit_sales", f.credit_sales_minor),
        ] {
            object.insert(name.to_string(), json!(money(minor, c)));
        }
    }
    value
}

fn to_json(points: &[TrendPoint]) -> serde_json::Value {
    let points: Vec<_> = points
        .iter()
        .map(|p| {
            json!({
                "period_end": p.period.end,
                "period_days": p.period.days,
                "period_first_day": p.period.first_day(),
                "figures": p.figures.iter().map(figures_json).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({ "points": points })
}
