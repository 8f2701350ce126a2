//! The daily collections run: `(book as of D, policy, D) → actions`.
//!
//! [`decide`] is pure and deterministic: the same input gives the same
//! actions in the same order. It is also what makes the run idempotent:
//! everything it has done is a [`Mark`] on the book, and it never decides
//! an action whose mark is already there.
//!
//! ## A missed day
//! The run does not replay the days it missed; it looks at the book as it
//! stands on D. For each invoice, of the steps reached and not yet done:
//! - among customer-facing steps only the latest is sent; earlier ones are
//!   recorded as skipped (a customer never gets a stale first notice and a
//!   second notice on the same day);
//! - the same for task steps (call, internal);
//! - a pre-due reminder is never sent once the invoice is past due;
//! - effects are not skipped: the late fee of a step reached while the
//!   machine was off is charged, its credit hold placed;
//! - interest is posted for every whole month since it started.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;

use super::action::charge_words;
use super::action::{
    part_key, Action, ActionKind, DoneMark, InstallmentRef, Mark, Message, MessageItem, PartRef,
    PlanOutcome, RunPlan, SentStep, Subject, Task, TaskKind,
};
use super::charges::{
    accrual_parts, as_known_at_charge, charged_minor, fee_periods, interest_for, interest_months,
    late_fee_minor, month_key, open_split_as_of, reduced_behind_a_charge, reversed_minor,
    undue_fixed_charges_minor, AccrualPart,
};
use super::chase::{
    first_due, in_chase_order, ladder_parts, ladder_paused, CreditCover, OwedPart, PlanStep,
    PromiseStanding, PLAN_NOTICE, PLAN_REMINDER,
};
use super::credit::CustomerStatus;
use super::law::{interest_starts, statutory_interest, DebtorKind, ReferenceRates};
pub use super::plan::{Plan, PlanStatus};
use super::plan::{PlanStanding, UnpaidInstallment};
use super::policy::{Channel, Effect, FeeBasis, InterestStart, NoAmountIn, Policy, Step, Tier};
use super::risk::{assess, History};
use crate::currency::Currency;
use crate::date::Date;
use crate::ledger::EntryKind;
use crate::state::{InvoiceState, Movement, SettlementStatus};

/// A customer as the run sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RunCustomer {
    pub id: i64,
    pub reference: String,
    pub name: String,
    pub status: CustomerStatus,
    /// The status was placed by the policy, so the policy may lift it.
    pub status_by_policy: bool,
    /// A person decided the status, and the decision holds through this
    /// day (inclusive; far in the future for "until a person changes it").
    /// While it holds the run proposes, never changes, the status.
    pub status_held_until: Option<Date>,
    /// Paused by a person through this day (inclusive).
    pub paused_until: Option<Date>,
    pub tier: Tier,
    pub history: History,
    /// Business or consumer, as a person marked them (unmarked: the
    /// policy's `default_debtor`). A late-payment law charges businesses only.
    pub debtor: Option<DebtorKind>,
}

/// An active promise to pay.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Promise {
    pub id: i64,
    pub customer_id: i64,
    pub currency: Currency,
    pub amount_minor: i64,
    pub made_on: Date,
    /// When it was recorded, in seconds since 1970-01-01 UTC.
    pub made_at_s: i64,
    pub promised_date: Date,
    /// The invoices it covers; empty: all the customer's in its currency.
    pub invoice_ids: Vec<i64>,
}

/// Money received (payments that were not reversed).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Receipt {
    pub customer_id: i64,
    pub currency: Currency,
    pub received_date: Date,
    pub amount_minor: i64,
    /// When it was recorded, in seconds since 1970-01-01 UTC: a promise
    /// counts only money recorded after the promise was.
    pub recorded_at_s: i64,
}

/// A customer's unapplied credit in one currency (money received and not
/// allocated, refunded or reversed).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Credit {
    pub customer_id: i64,
    pub currency: Currency,
    pub unapplied_minor: i64,
}

/// An open dispute on an invoice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Dispute {
    pub id: i64,
    pub invoice_id: i64,
}

/// Collateral on a customer's credit file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Collateral {
    pub id: i64,
    pub customer_id: i64,
    pub kind: String,
    pub expires_on: Option<Date>,
}

/// A task on the worklist that the run made and nobody has closed yet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OpenTask {
    pub id: i64,
    pub customer_id: i64,
    pub kind: TaskKind,
    pub title: String,
    /// What it is about; empty: the customer's whole balance.
    pub invoice_ids: Vec<i64>,
}

/// The book as of the run's date, as loaded by the shell.
pub struct RunInput<'a> {
    pub as_of: Date,
    pub policy: &'a Policy,
    /// The organisation's currency: a policy amount given without a
    /// currency is in it (and in no other).
    pub home_currency: Currency,
    pub policy_version: i64,
    pub customers: &'a [RunCustomer],
    /// Invoices that are open, or moved recently enough to owe interest.
    pub invoices: &'a [InvoiceState],
    /// Invoices with nothing open whose charges the run may have to
    /// reverse: money taken off them was dated on or before one of their
    /// fees, interest or compensation, and recorded after it (with their
    /// marks in `done`). Only corrected, never chased.
    pub settled_charged: &'a [InvoiceState],
    pub done: &'a HashMap<Subject, Vec<DoneMark>>,
    pub promises: &'a [Promise],
    pub receipts: &'a [Receipt],
    pub disputes: &'a [Dispute],
    pub plans: &'a [Plan],
    pub collateral: &'a [Collateral],
    /// Open tasks the run made (those a person made are a person's to close).
    pub open_tasks: &'a [OpenTask],
    /// Customers' unapplied credit: what it covers is never chased.
    pub credits: &'a [Credit],
    /// The reference rates statutory interest is read from (the shipped
    /// table and the organisation's own rows).
    pub reference_rates: &'a ReferenceRates,
}

struct Ctx<'a> {
    input: &'a RunInput<'a>,
    steps: &'a [Step],
    actions: Vec<Action>,
}

impl Ctx<'_> {
    fn done(&self, subject: Subject, key: &str) -> Option<&DoneMark> {
        self.input
            .done
            .get(&subject)
            .and_then(|marks| marks.iter().find(|m| m.key == key))
    }

    /// Whether the mark `args` writes is done, without writing it: most
    /// keys a day's run looks up were done long ago.
    fn done_as(&self, subject: Subject, args: std::fmt::Arguments<'_>) -> bool {
        self.input
            .done
            .get(&subject)
            .is_some_and(|marks| marks.iter().any(|m| key_is(&m.key, args)))
    }

    fn push(
        &mut self,
        customer_id: i64,
        rule: impl Into<std::borrow::Cow<'static, str>>,
        marks: Vec<Mark>,
        kind: ActionKind,
    ) {
        self.actions.push(Action {
            customer_id,
            rule: rule.into(),
            marks,
            kind,
        });
    }
}

/// Whether `key` is exactly what `args` writes (compared piece by piece,
/// nothing allocated).
fn key_is(key: &str, args: std::fmt::Arguments<'_>) -> bool {
    struct Rest<'k>(&'k str);
    impl std::fmt::Write for Rest<'_> {
        fn write_str(&mut self, s: &str) -> std::fmt::Result {
            match self.0.strip_prefix(s) {
                Some(rest) => {
                    self.0 = rest;
                    Ok(())
                }
                None => Err(std::fmt::Error),
            }
        }
    }
    let mut rest = Rest(key);
    std::fmt::write(&mut rest, args).is_ok() && rest.0.is_empty()
}

/// Decides the run for `input.as_of`.
pub fn decide(input: &RunInput<'_>) -> RunPlan {
    let steps = input.policy.steps();
    let mut ctx = Ctx {
        input,
        steps: &steps,
        actions: Vec::new(),
    };
    let mut by_customer: HashMap<i64, Vec<&InvoiceState>> = HashMap::new();
    for inv in input.invoices {
        by_customer.entry(inv.customer_id).or_default().push(inv);
    }
    let mut settled_by_customer: HashMap<i64, Vec<&InvoiceState>> = HashMap::new();
    for inv in input.settled_charged {
        settled_by_customer
            .entry(inv.customer_id)
            .or_default()
            .push(inv);
    }
    let promises = positions_by_customer(input.promises, |p| p.customer_id);
    let plans = positions_by_customer(input.plans, |p| p.customer_id);
    let collateral = positions_by_customer(input.collateral, |c| c.customer_id);
    let receipts = positions_by_customer(input.receipts, |r| r.customer_id);
    let open_tasks = positions_by_customer(input.open_tasks, |t| t.customer_id);
    let credits = positions_by_customer(input.credits, |c| c.customer_id);
    let disputed: BTreeSet<i64> = input.disputes.iter().map(|d| d.invoice_id).collect();
    let mut customers: Vec<&RunCustomer> = input.customers.iter().collect();
    customers.sort_by_key(|c| c.id);
    for customer in customers {
        let mut invoices = by_customer.remove(&customer.id).unwrap_or_default();
        in_chase_order(&mut invoices, input.as_of);
        let settled = settled_by_customer.remove(&customer.id).unwrap_or_default();
        let id = customer.id;
        fn pick(map: &HashMap<i64, Vec<usize>>, id: i64) -> &[usize] {
            map.get(&id).map_or(&[], Vec::as_slice)
        }
        let book = CustomerBook {
            customer,
            invoices: &invoices,
            settled: &settled,
            promises: pick(&promises, id),
            plans: pick(&plans, id),
            collateral: pick(&collateral, id),
            receipts: pick(&receipts, id),
            open_tasks: pick(&open_tasks, id),
            credits: pick(&credits, id),
            disputed: &disputed,
        };
        decide_customer(&mut ctx, &book);
    }
    RunPlan {
        as_of: input.as_of,
        policy_version: input.policy_version,
        actions: ctx.actions,
    }
}

/// Most messages a book's first run may send without a person's say-so.
pub const FIRST_RUN_MESSAGES_MAX: usize = 10;

/// Why a book's first run should wait for a person, in words ("send 11
/// messages and charge 84 late fees"): it would charge anything, or send
/// more than [`FIRST_RUN_MESSAGES_MAX`] messages. `None`: it may go.
pub fn first_run_hold(plan: &RunPlan) -> Option<String> {
    let messages = plan
        .actions
        .iter()
        .filter(|a| matches!(a.kind, ActionKind::Message(_)))
        .count();
    let count = |name: &str| {
        plan.actions
            .iter()
            .filter(|a| a.kind.name() == name)
            .count()
    };
    let charges: Vec<String> = [
        ("fee", "late fee"),
        ("interest", "interest charge"),
        ("compensation", "fixed compensation"),
    ]
    .into_iter()
    .filter_map(|(name, words)| {
        let n = count(name);
        (n > 0).then(|| format!("{n} {words}{}", if n == 1 { "" } else { "s" }))
    })
    .collect();
    if charges.is_empty() && messages <= FIRST_RUN_MESSAGES_MAX {
        return None;
    }
    let mut what = format!(
        "send {messages} message{}",
        if messages == 1 { "" } else { "s" }
    );
    if !charges.is_empty() {
        what.push_str(&format!(" and charge {}", charges.join(", ")));
    }
    Some(what)
}

/// Each customer's items, as their positions in `items`.
fn positions_by_customer<T>(items: &[T], customer: impl Fn(&T) -> i64) -> HashMap<i64, Vec<usize>> {
    let mut map: HashMap<i64, Vec<usize>> = HashMap::new();
    for (i, item) in items.iter().enumerate() {
        map.entry(customer(item)).or_default().push(i);
    }
    map
}

/// Whether `step` was reached, on an owed part due `due`, before the
/// invoice entered the ladder (imported from another system): that
/// system's to take, never Dun's.
fn before_ladder(inv: &InvoiceState, due: Date, step: &Step, shift: i32) -> bool {
    inv.ladder_from
        .is_some_and(|from| due.add_days(threshold(step, shift)) < from)
}

/// The later of two optional days.
fn later(a: Option<Date>, b: Option<Date>) -> Option<Date> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

/// A step's threshold for this customer: overdue steps move by the tier's
/// and the customer's shift, never onto or before the due date.
fn threshold(step: &Step, shift: i32) -> i32 {
    if step.offset_days > 0 {
        (step.offset_days + shift).max(1)
    } else {
        step.offset_days
    }
}

/// One customer's positions in the run's lists, and the invoices it owes.
struct CustomerBook<'a, 'i> {
    customer: &'a RunCustomer,
    /// Open or recently moved, in chase order.
    invoices: &'i [&'a InvoiceState],
    /// Settled, with charges the run may have to reverse.
    settled: &'i [&'a InvoiceState],
    promises: &'i [usize],
    plans: &'i [usize],
    collateral: &'i [usize],
    receipts: &'i [usize],
    open_tasks: &'i [usize],
    credits: &'i [usize],
    disputed: &'i BTreeSet<i64>,
}

/// The customer's standing for this run: its tier (reassessed first, as it
/// moves the ladder for this very run), the ladder's shift, and whether the
/// ladder is paused.
struct Standing {
    tier: Tier,
    shift: i32,
    paused: bool,
}

/// Why the policy would hold a customer: worded only when a hold is placed
/// or proposed (a customer already held needs only to know there is one).
enum HoldReason<'a> {
    /// An invoice `dpd` days past due, `days` or more.
    DaysPastDue {
        number: &'a str,
        dpd: i32,
        days: u32,
    },
    /// An invoice reached a step with a credit hold.
    Step { step: &'a str, number: &'a str },
    /// The risk tier requires cash on delivery.
    Tier(Tier),
}

impl HoldReason<'_> {
    fn rule(&self) -> String {
        match self {
            HoldReason::DaysPastDue { .. } => "credit.cod_when_days_past_due".into(),
            HoldReason::Step { step, .. } => format!("step.{step}"),
            HoldReason::Tier(tier) => format!("tiers.{tier}"),
        }
    }

    fn reason(&self) -> String {
        match self {
            HoldReason::DaysPastDue { number, dpd, days } => {
                format!("invoice {number} is {dpd} days past due ({days} or more)")
            }
            HoldReason::Step { step, number } => format!("invoice {number} reached {step}"),
            HoldReason::Tier(tier) => format!("risk tier {tier} requires cash on delivery"),
        }
    }
}

/// What the invoice phase of one customer's decision gathers for the
/// phases after it.
#[derive(Default)]
struct Owed<'a> {
    items: MessageItems,
    tasks: StepTasks,
    hold_reasons: Vec<HoldReason<'a>>,
    /// Something at or above the policy's minimum is overdue.
    overdue_any: bool,
    /// Something below the policy's minimum is overdue.
    small_overdue: bool,
    /// This run's fees, per invoice.
    planned_fees: BTreeMap<i64, i64>,
    /// Invoices with something still owed after this run's charges.
    owing: BTreeSet<i64>,
    /// Steps sent on a balance below the policy's minimum.
    below_minimum: Vec<Mark>,
}

/// What plans and promises say of a customer's invoices.
#[derive(Default)]
struct Arrangements<'a> {
    /// Invoices a promise or a current plan pauses.
    suppressed: BTreeSet<i64>,
    /// Promises broken today.
    broken: Vec<&'a Promise>,
    /// Interest runs on these invoices only from this date (a plan's default).
    interest_not_before: BTreeMap<i64, Date>,
    /// Invoices a current plan owes by an installment's date.
    plan_due: BTreeMap<i64, Date>,
}

/// One customer's decision, phase by phase, in this order: tier, promises,
/// plans, corrections of undue charges, the minimum balance, the invoices
/// (interest, fees, holds, ladder), the message, tasks, holds, stale tasks,
/// collateral.
fn decide_customer<'a>(ctx: &mut Ctx<'a>, book: &CustomerBook<'a, '_>) {
    let standing = decide_tier(ctx, book.customer);
    let mut owed = Owed::default();
    let mut arranged = Arrangements::default();
    settle_promises(ctx, book, &mut arranged);
    decide_plans(ctx, book, standing.paused, &mut arranged, &mut owed.items);
    let (corrected, returned) = decide_corrections(ctx, book, standing.shift, &arranged);
    let invoices: Vec<&InvoiceState> = book
        .invoices
        .iter()
        .map(|inv| corrected.iter().find(|c| c.id == inv.id).unwrap_or(*inv))
        .collect();
    let invoices = invoices.as_slice();
    let overdue = overdue_by_currency(ctx, book, invoices, &arranged);
    decide_invoices(
        ctx, book, &standing, &arranged, &overdue, invoices, &returned, &mut owed,
    );
    let Owed {
        items,
        tasks,
        hold_reasons,
        overdue_any,
        small_overdue,
        owing,
        below_minimum,
        ..
    } = owed;
    push_message(ctx, book.customer.id, items, below_minimum);
    broken_promise_tasks(ctx, book.customer, invoices, &arranged.broken, &owing);
    step_tasks(ctx, book.customer, invoices, tasks);
    let review = decide_holds(
        ctx,
        book.customer,
        standing.tier,
        hold_reasons,
        overdue_any,
        small_overdue,
    );
    close_stale_tasks(
        ctx,
        book.customer,
        invoices,
        book.open_tasks,
        &owing,
        review,
    );
    collateral_warnings(ctx, book.customer, book.collateral);
}

/// The tier first: it moves the ladder for this very run.
fn decide_tier(ctx: &mut Ctx<'_>, customer: &RunCustomer) -> Standing {
    let policy = ctx.input.policy;
    let as_of = ctx.input.as_of;
    let assessment = assess(&customer.history, &policy.tiers, as_of);
    if assessment.tier != customer.tier {
        ctx.push(
            customer.id,
            assessment.tier.rule_name(),
            Vec::new(),
            ActionKind::SetTier {
                from: customer.tier,
                to: assessment.tier,
                reasons: assessment.reasons.clone(),
            },
        );
    }
    let tier = assessment.tier;
    let over = policy.override_for(&customer.reference);
    let shift = policy.tiers.rule(tier).ladder_shift_days + over.map_or(0, |o| o.ladder_shift_days);
    let paused = ladder_paused(
        policy,
        &customer.reference,
        customer.status,
        customer.paused_until,
        as_of,
    )
    .is_some();
    Standing {
        tier,
        shift,
        paused,
    }
}

/// Promises: kept, broken, or still pausing what they cover.
fn settle_promises<'a>(
    ctx: &mut Ctx<'a>,
    book: &CustomerBook<'a, '_>,
    arranged: &mut Arrangements<'a>,
) {
    let input = ctx.input;
    let cid = book.customer.id;
    for &i in book.promises {
        let p = &input.promises[i];
        let settled = |kept, received_minor| ActionKind::PromiseSettled {
            promise_id: p.id,
            kept,
            currency: p.currency,
            amount_minor: p.amount_minor,
            received_minor,
        };
        match p.standing(
            book.receipts.iter().map(|&r| &input.receipts[r]),
            input.as_of,
        ) {
            PromiseStanding::NotMade => {}
            PromiseStanding::Kept { received_minor } => {
                ctx.push(cid, "promises", Vec::new(), settled(true, received_minor));
            }
            PromiseStanding::Broken { received_minor } => {
                ctx.push(cid, "promises", Vec::new(), settled(false, received_minor));
                arranged.broken.push(p);
            }
            PromiseStanding::Pauses if p.invoice_ids.is_empty() => {
                arranged
                    .suppressed
                    .extend(book.invoices.iter().filter(|i| p.covers(i)).map(|i| i.id));
            }
            PromiseStanding::Pauses => arranged.suppressed.extend(p.invoice_ids.iter().copied()),
        }
    }
}

/// Plans: a current plan is dunned per installment instead of its invoices.
fn decide_plans(
    ctx: &mut Ctx<'_>,
    book: &CustomerBook<'_, '_>,
    paused: bool,
    arranged: &mut Arrangements<'_>,
    items: &mut MessageItems,
) {
    let input = ctx.input;
    for &i in book.plans {
        let plan = &input.plans[i];
        if plan.status == PlanStatus::Defaulted {
            if let Some(on) = plan.defaulted_on {
                for id in &plan.invoice_ids {
                    arranged.interest_not_before.insert(*id, on);
                }
            }
            continue;
        }
        decide_plan(
            ctx,
            book.customer,
            plan,
            book.invoices,
            paused,
            &mut arranged.suppressed,
            items,
            &mut arranged.interest_not_before,
            &mut arranged.plan_due,
        );
    }
}

/// Charges made on a balance the book now knows was paid (money dated on
/// or before them, recorded after): reversed first, and the rest of the
/// run sees the invoices as corrected. What an invoice was paid beyond its
/// corrected balance returns to the customer as credit.
fn decide_corrections(
    ctx: &mut Ctx<'_>,
    book: &CustomerBook<'_, '_>,
    shift: i32,
    arranged: &Arrangements<'_>,
) -> (Vec<InvoiceState>, Vec<Credit>) {
    let customer = book.customer;
    let corrected: Vec<InvoiceState> = book
        .invoices
        .iter()
        .chain(book.settled)
        .filter_map(|inv| {
            let not_before = later(
                arranged.interest_not_before.get(&inv.id).copied(),
                inv.ladder_from,
            );
            correct_charges(ctx, customer, inv, shift, not_before)
        })
        .collect();
    let returned: Vec<Credit> = corrected
        .iter()
        .filter(|inv| inv.open_minor() < 0)
        .map(|inv| Credit {
            customer_id: customer.id,
            currency: inv.currency,
            unapplied_minor: -inv.open_minor(),
        })
        .collect();
    (corrected, returned)
}

/// The date an invoice is owed by: a current plan's installment, else its
/// oldest open due date.
fn due_of(arranged: &Arrangements<'_>, inv: &InvoiceState, as_of: Date) -> Date {
    arranged
        .plan_due
        .get(&inv.id)
        .copied()
        .unwrap_or_else(|| first_due(inv, as_of))
}

/// Balances below the policy's minimum, per currency: reminded, never
/// charged, held, re-tiered or escalated. The overdue balance per currency.
fn overdue_by_currency(
    ctx: &Ctx<'_>,
    book: &CustomerBook<'_, '_>,
    invoices: &[&InvoiceState],
    arranged: &Arrangements<'_>,
) -> BTreeMap<Currency, i64> {
    let as_of = ctx.input.as_of;
    let mut overdue: BTreeMap<Currency, i64> = BTreeMap::new();
    for inv in invoices {
        if due_of(arranged, inv, as_of) < as_of && !book.disputed.contains(&inv.id) {
            *overdue.entry(inv.currency).or_default() += inv.open_as_of(as_of).max(0);
        }
    }
    overdue
}

/// Invoices: per invoice not paid, void, written off, disputed, promised,
/// planned or paused, the month's interest first, then the effects of every
/// step reached, then the ladder of each part owed.
#[allow(clippy::too_many_arguments)]
fn decide_invoices<'a: 'v, 'v>(
    ctx: &mut Ctx<'a>,
    book: &CustomerBook<'a, '_>,
    standing: &Standing,
    arranged: &Arrangements<'_>,
    overdue: &BTreeMap<Currency, i64>,
    invoices: &[&'v InvoiceState],
    returned: &[Credit],
    owed: &mut Owed<'v>,
) {
    let input = ctx.input;
    let policy = input.policy;
    let as_of = input.as_of;
    let cid = book.customer.id;
    let shift = standing.shift;
    let is_small = |inv: &InvoiceState| {
        let minimum = policy.minimum_overdue_minor(inv.currency, input.home_currency);
        overdue.get(&inv.currency).copied().unwrap_or(0) < minimum
    };
    // Unapplied credit covers invoices oldest due first, as applying it
    // would; an invoice it covers whole is owed nothing for: no message,
    // fee, interest or hold.
    let mut credit = CreditCover::new(
        book.credits
            .iter()
            .map(|&i| &input.credits[i])
            .chain(returned.iter()),
    );
    for &inv in invoices {
        let status = inv.status_as_of(as_of);
        let is_disputed = book.disputed.contains(&inv.id);
        let dunned = !(standing.paused || is_disputed || arranged.suppressed.contains(&inv.id));
        let small = is_small(inv);
        let open_before = inv.open_as_of(as_of).max(0);
        let room = credit.room(inv.currency);
        // Interest first: a month's interest on an invoice paid since
        // opens it again, and the rest of this run must see that, or a
        // second run of the day would decide what this one missed. None
        // accrues on what credit already covers.
        let interest_minor = if dunned
            && !small
            && !(open_before > 0 && room >= open_before)
            // A credited invoice was taken back: nothing accrues on it.
            && (status.is_open() || status == SettlementStatus::Paid)
        {
            decide_interest(
                ctx,
                book.customer,
                inv,
                shift,
                later(
                    arranged.interest_not_before.get(&inv.id).copied(),
                    inv.ladder_from,
                ),
            )
        } else {
            0
        };
        // The law's fixed compensation, once per invoice, while it is late.
        let compensation_minor =
            if dunned && !small && !(open_before > 0 && room >= open_before) && status.is_open() {
                decide_compensation(ctx, book.customer, inv)
            } else {
                0
            };
        let interest_minor = interest_minor + compensation_minor;
        // What is owed after this run's interest; trailing interest on a
        // paid invoice that credit covers is netted from it, never chased.
        // Consumed as applying it would: oldest first, in part if short.
        let covered = credit.cover(inv.currency, open_before + interest_minor);
        let open = !covered
            && (status.is_open() || (status == SettlementStatus::Paid && interest_minor > 0));
        if open {
            owed.owing.insert(inv.id);
        }
        let due = due_of(arranged, inv, as_of);
        let dpd = as_of.days_since(due);
        // Below the policy's minimum a balance never holds a customer:
        // a hold the policy placed lifts once only such balances are late.
        if open && dpd > 0 && !is_disputed {
            if small {
                owed.small_overdue = true;
            } else {
                owed.overdue_any = true;
            }
        }
        if open && dpd > 0 && !is_disputed && !small {
            if let Some(days) = policy.credit.cod_when_days_past_due {
                if dpd >= days as i32 {
                    owed.hold_reasons.push(HoldReason::DaysPastDue {
                        number: &inv.number,
                        dpd,
                        days,
                    });
                }
            }
        }
        if !dunned || !open {
            continue;
        }
        if !small {
            decide_step_effects(ctx, cid, inv, shift, due, dpd, owed);
        }
        // Messages and tasks: the latest step of each kind not yet done,
        // per part owed on its own date (each installment of installment
        // terms runs its own ladder; charges stay per invoice, above).
        // This run's charges are owed with the part that reached them.
        let charges = interest_minor + owed.planned_fees.get(&inv.id).copied().unwrap_or(0);
        let parts = ladder_parts(inv, as_of, due);
        let count = parts.len() as u32;
        for (i, part) in parts.into_iter().enumerate() {
            let charged = if i == 0 { charges } else { 0 };
            ladder_part(
                ctx,
                LadderPart {
                    customer_id: cid,
                    inv,
                    part,
                    count,
                    charges_minor: charged,
                    shift,
                    small,
                },
                &mut owed.items,
                &mut owed.tasks,
                &mut owed.below_minimum,
            );
        }
    }
}

/// The effects of every step an invoice reached, done now or before or
/// skipped: a credit hold, the late fee (once per invoice and step, or per
/// period, under a cap).
fn decide_step_effects<'a: 'v, 'v>(
    ctx: &mut Ctx<'a>,
    cid: i64,
    inv: &'v InvoiceState,
    shift: i32,
    due: Date,
    dpd: i32,
    owed: &mut Owed<'v>,
) {
    let input = ctx.input;
    let policy = input.policy;
    let as_of = input.as_of;
    let subject = Subject::Invoice { id: inv.id };
    let steps: &'a [Step] = ctx.steps;
    let reached = steps
        .iter()
        .filter(|s| dpd >= threshold(s, shift))
        .filter(|s| !before_ladder(inv, due, s, shift));
    for step in reached {
        if step.has(Effect::CreditHold) {
            owed.hold_reasons.push(HoldReason::Step {
                step: &step.key,
                number: &inv.number,
            });
        }
        if !step.has(Effect::LateFee) {
            continue;
        }
        let Some(rule) = &policy.late_fee else {
            continue;
        };
        let periods = fee_periods(rule, threshold(step, shift), dpd);
        for n in 0..periods {
            // Looked up without writing the key: most were charged before.
            let done = match rule.per {
                FeeBasis::Invoice => ctx.done_as(subject, format_args!("fee:{}", step.key)),
                FeeBasis::Period => ctx.done_as(subject, format_args!("fee:{}:{n}", step.key)),
            };
            if done {
                continue;
            }
            let already = owed.planned_fees.get(&inv.id).copied().unwrap_or(0);
            let home = input.home_currency;
            let amount = late_fee_minor(rule, inv, as_of, policy.payments.allocation, home)
                .and_then(|fee| Ok(fee.min(cap_room(rule, inv, already, home)?)));
            let amount = match amount {
                Ok(amount) => amount,
                Err(missing) => {
                    not_charged(ctx, cid, inv, &format!("fee:{}", step.key), missing);
                    break;
                }
            };
            if amount > 0 {
                let key = match rule.per {
                    FeeBasis::Invoice => format!("fee:{}", step.key),
                    FeeBasis::Period => format!("fee:{}:{n}", step.key),
                };
                *owed.planned_fees.entry(inv.id).or_default() += amount;
                ctx.push(
                    cid,
                    "late_fee",
                    vec![Mark::new(subject, key)],
                    ActionKind::Fee {
                        invoice_id: inv.id,
                        number: inv.number.clone(),
                        currency: inv.currency,
                        amount_minor: amount,
                        step: step.key.clone(),
                    },
                );
            }
        }
    }
}

/// All customer-facing items of one customer become one message, with the
/// template of the most pressing step.
fn push_message(ctx: &mut Ctx<'_>, cid: i64, mut items: MessageItems, below_minimum: Vec<Mark>) {
    if items.is_empty() {
        return;
    }
    items.sort_by_key(|(threshold, ..)| *threshold);
    let template = items.last().map(|i| i.1.clone()).unwrap_or_default();
    let step = items.last().map(|i| i.3.step.clone()).unwrap_or_default();
    let rule = format!("step.{step}");
    let mut channels: Vec<Channel> = items.iter().flat_map(|i| i.2.iter().copied()).collect();
    channels.sort();
    channels.dedup();
    let marks = items
        .iter()
        .map(|i| i.4.clone())
        .chain(below_minimum)
        .collect();
    let mut list: Vec<MessageItem> = items.into_iter().map(|i| i.3).collect();
    list.sort_by_key(|i| (i.due_date, i.invoice_id));
    ctx.push(
        cid,
        rule,
        marks,
        ActionKind::Message(Message {
            channels,
            template,
            step,
            items: list,
        }),
    );
}

/// A broken promise: a call, if anything it covered is still owed.
fn broken_promise_tasks(
    ctx: &mut Ctx<'_>,
    customer: &RunCustomer,
    invoices: &[&InvoiceState],
    broken: &[&Promise],
    owing: &BTreeSet<i64>,
) {
    for p in broken {
        let covered_owed = invoices
            .iter()
            .filter(|i| i.currency == p.currency)
            .filter(|i| p.invoice_ids.is_empty() || p.invoice_ids.contains(&i.id))
            .any(|i| owing.contains(&i.id));
        if covered_owed {
            ctx.push(
                customer.id,
                "promises",
                Vec::new(),
                ActionKind::Task(Task {
                    kind: TaskKind::BrokenPromise,
                    title: format!(
                        "Promise to pay by {} was broken: call {}",
                        p.promised_date, customer.name
                    ),
                    invoice_ids: p.invoice_ids.clone(),
                    proposals: Vec::new(),
                    due_date: ctx.input.as_of,
                }),
            );
        }
    }
}

/// The ladder's internal steps: one task per step for all the invoices
/// that reached it.
fn step_tasks(
    ctx: &mut Ctx<'_>,
    customer: &RunCustomer,
    invoices: &[&InvoiceState],
    tasks: StepTasks,
) {
    for (key, (step, invoice_ids, marks)) in tasks {
        let proposals: Vec<String> = step
            .effects
            .iter()
            .filter(|e| {
                matches!(
                    e,
                    Effect::ProposeAgency | Effect::ProposeLegal | Effect::ProposeWriteOff
                )
            })
            .map(|e| e.as_str().to_string())
            .collect();
        let kind = if !proposals.is_empty() {
            TaskKind::Escalation
        } else if step.channels.contains(&Channel::CallTask) {
            TaskKind::Call
        } else {
            TaskKind::Internal
        };
        let numbers: Vec<&str> = invoices
            .iter()
            .filter(|i| invoice_ids.contains(&i.id))
            .map(|i| i.number.as_str())
            .collect();
        let title = match kind {
            TaskKind::Call => format!("Call {} about {}", customer.name, numbers.join(", ")),
            TaskKind::Escalation => format!(
                "Review {}: {}? ({})",
                customer.name,
                proposals
                    .iter()
                    .map(|p| p.replace("propose_", "").replace('_', " "))
                    .collect::<Vec<_>>()
                    .join(", "),
                numbers.join(", ")
            ),
            _ => format!(
                "{}: {} ({})",
                key.replace('_', " "),
                customer.name,
                numbers.join(", ")
            ),
        };
        ctx.push(
            customer.id,
            format!("step.{key}"),
            marks,
            ActionKind::Task(Task {
                kind,
                title,
                invoice_ids,
                proposals,
                due_date: ctx.input.as_of,
            }),
        );
    }
}

/// Holds: placed by the policy's rules, lifted by them when nothing is
/// overdue; while a person's decision holds, proposed instead. Returns
/// where a status review stands.
fn decide_holds(
    ctx: &mut Ctx<'_>,
    customer: &RunCustomer,
    tier: Tier,
    mut hold_reasons: Vec<HoldReason<'_>>,
    overdue_any: bool,
    small_overdue: bool,
) -> Review {
    let policy = ctx.input.policy;
    let as_of = ctx.input.as_of;
    let cid = customer.id;
    let tier_rule = policy.tiers.rule(tier);
    if tier_rule.cod {
        hold_reasons.push(HoldReason::Tier(tier));
    }
    let person_holds = person_decision_holds(customer, as_of);
    let wants_hold = customer.status == CustomerStatus::Active && !hold_reasons.is_empty();
    let review_holds = wants_hold && person_holds;
    match customer.status {
        CustomerStatus::Active if review_holds => {
            let reasons: Vec<(String, String)> = hold_reasons
                .iter()
                .map(|r| (r.rule(), r.reason()))
                .collect();
            propose_status(ctx, customer, CustomerStatus::CodRequired, &reasons);
        }
        CustomerStatus::Active if !hold_reasons.is_empty() => {
            let first = &hold_reasons[0];
            ctx.push(
                cid,
                first.rule(),
                Vec::new(),
                ActionKind::SetStatus {
                    from: CustomerStatus::Active,
                    to: CustomerStatus::CodRequired,
                    reason: first.reason(),
                },
            );
        }
        CustomerStatus::CodRequired
            if (customer.status_by_policy || customer.status_held_until.is_some())
                && !person_holds
                && hold_reasons.is_empty()
                && !overdue_any
                && policy.credit.lift_when_nothing_overdue =>
        {
            ctx.push(
                cid,
                "credit.lift_when_nothing_overdue",
                Vec::new(),
                ActionKind::SetStatus {
                    from: CustomerStatus::CodRequired,
                    to: CustomerStatus::Active,
                    reason: if small_overdue {
                        "what is overdue is below the policy's minimum".into()
                    } else {
                        "nothing is overdue".into()
                    },
                },
            );
        }
        _ => {}
    }
    match (review_holds, wants_hold) {
        (true, _) => Review::Holds,
        (false, true) => Review::DecisionEnded,
        (false, false) => Review::NotWanted,
    }
}

/// Collateral about to lapse: a task once per collateral.
fn collateral_warnings(ctx: &mut Ctx<'_>, customer: &RunCustomer, collateral: &[usize]) {
    let policy = ctx.input.policy;
    let as_of = ctx.input.as_of;
    for &i in collateral {
        let c = &ctx.input.collateral[i];
        let Some(expires) = c.expires_on else {
            continue;
        };
        let warn = expires.add_days(-(policy.collateral.warn_days_before_expiry as i32));
        let subject = Subject::Collateral { id: c.id };
        if as_of >= warn && ctx.done(subject, "expiry").is_none() {
            let verb = if expires < as_of {
                "expired"
            } else {
                "expires"
            };
            ctx.push(
                customer.id,
                "collateral.warn_days_before_expiry",
                vec![Mark::new(subject, "expiry")],
                ActionKind::Task(Task {
                    kind: TaskKind::CollateralExpiry,
                    title: format!(
                        "{} of {} {verb} on {expires}: renew or replace it",
                        c.kind.replace('_', " "),
                        customer.name
                    ),
                    invoice_ids: Vec::new(),
                    proposals: Vec::new(),
                    due_date: as_of.max(warn),
                }),
            );
        }
    }
}

/// Whether a person's decision on the customer's status holds on `as_of`:
/// one with a date holds through it; one without (set before decisions
/// carried dates) holds while it is not `active`, the status every
/// customer starts with.
fn person_decision_holds(customer: &RunCustomer, as_of: Date) -> bool {
    if customer.status_by_policy {
        return false;
    }
    match customer.status_held_until {
        Some(until) => until >= as_of,
        None => customer.status != CustomerStatus::Active,
    }
}

/// The policy would change a status a person decided: a task for a person,
/// once per decision (the mark names the day the decision holds through).
fn propose_status(
    ctx: &mut Ctx<'_>,
    customer: &RunCustomer,
    to: CustomerStatus,
    reasons: &[(String, String)],
) {
    let subject = Subject::Customer { id: customer.id };
    let key = format!(
        "status_review:{}",
        customer
            .status_held_until
            .map_or_else(|| "open".to_string(), |d| d.to_string())
    );
    if ctx.done(subject, &key).is_some() {
        return;
    }
    let why: Vec<&str> = reasons.iter().map(|(_, r)| r.as_str()).collect();
    let rule = reasons
        .first()
        .map_or_else(|| "credit".to_string(), |(rule, _)| rule.clone());
    ctx.push(
        customer.id,
        rule,
        vec![Mark::new(subject, key)],
        ActionKind::Task(Task {
            kind: TaskKind::StatusReview,
            title: format!(
                "Review {}: the policy would set {to} ({}); a person set {}",
                customer.name,
                why.join("; "),
                customer.status
            ),
            invoice_ids: Vec::new(),
            proposals: vec![format!("status:{to}")],
            due_date: ctx.input.as_of,
        }),
    );
}

/// Where a status review stands after this run.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Review {
    /// The policy still wants a change a person's decision holds off.
    Holds,
    /// The decision ended and the policy made the change itself.
    DecisionEnded,
    /// The policy no longer wants a change.
    NotWanted,
}

/// Closes each open task the run made whose reason no longer holds: every
/// invoice it is about is paid, credited, voided or written off (for a task
/// about the whole balance: nothing is owed at all).
fn close_stale_tasks(
    ctx: &mut Ctx<'_>,
    customer: &RunCustomer,
    invoices: &[&InvoiceState],
    open_tasks: &[usize],
    owed: &BTreeSet<i64>,
    review: Review,
) {
    for &i in open_tasks {
        let task = &ctx.input.open_tasks[i];
        if task.kind == TaskKind::CollateralExpiry {
            continue;
        }
        // Handed over: the agency or the lawyer calls now, not the ladder.
        if customer.status.handed_over() && task.kind != TaskKind::Internal {
            ctx.push(
                customer.id,
                "tasks.close_when_handed_over",
                Vec::new(),
                ActionKind::CloseTask {
                    task_id: task.id,
                    title: task.title.clone(),
                    reason: match customer.status {
                        CustomerStatus::Legal => "handed over for legal action".to_string(),
                        _ => "handed to a collection agency".to_string(),
                    },
                },
            );
            continue;
        }
        if task.kind == TaskKind::StatusReview {
            let reason = match review {
                Review::Holds => None,
                Review::DecisionEnded => {
                    Some("the person's decision has ended; the policy set the status".to_string())
                }
                Review::NotWanted => {
                    Some("the policy no longer asks for a change of status".to_string())
                }
            };
            if let Some(reason) = reason {
                ctx.push(
                    customer.id,
                    "tasks.close_when_settled",
                    Vec::new(),
                    ActionKind::CloseTask {
                        task_id: task.id,
                        title: task.title.clone(),
                        reason,
                    },
                );
            }
            continue;
        }
        let stale = if task.invoice_ids.is_empty() {
            owed.is_empty()
        } else {
            task.invoice_ids.iter().all(|id| !owed.contains(id))
        };
        if !stale {
            continue;
        }
        // Those the run loaded moved lately (the rest were settled before).
        let settled: Vec<String> = task
            .invoice_ids
            .iter()
            .filter_map(|id| invoices.iter().find(|inv| inv.id == *id))
            .map(|inv| {
                format!(
                    "{} {}",
                    inv.number,
                    inv.status_as_of(ctx.input.as_of).as_str().replace('_', " ")
                )
            })
            .collect();
        let reason = if task.invoice_ids.is_empty() {
            format!("{} owes nothing any more", customer.name)
        } else if settled.is_empty() {
            "nothing is owed on it any more".to_string()
        } else {
            format!("nothing is owed on it any more ({})", settled.join(", "))
        };
        ctx.push(
            customer.id,
            "tasks.close_when_settled",
            Vec::new(),
            ActionKind::CloseTask {
                task_id: task.id,
                title: task.title.clone(),
                reason,
            },
        );
    }
}

struct LadderPart<'a> {
    customer_id: i64,
    inv: &'a InvoiceState,
    part: OwedPart,
    /// How many parts the invoice has open.
    count: u32,
    /// This run's fees and interest, stated with this part.
    charges_minor: i64,
    shift: i32,
    small: bool,
}

type MessageItems = Vec<(i32, String, Vec<Channel>, MessageItem, Mark)>;
type StepTasks = BTreeMap<String, (Step, Vec<i64>, Vec<Mark>)>;

/// The messages, tasks and skips of one owed part: of the steps it has
/// reached and not yet done, the latest of each kind.
fn ladder_part(
    ctx: &mut Ctx<'_>,
    p: LadderPart<'_>,
    items: &mut MessageItems,
    tasks: &mut StepTasks,
    below_minimum: &mut Vec<Mark>,
) {
    let input = ctx.input;
    let policy = input.policy;
    let as_of = input.as_of;
    let LadderPart {
        customer_id: cid,
        inv,
        part,
        count,
        charges_minor,
        shift,
        small,
    } = p;
    let subject = Subject::Invoice { id: inv.id };
    let due = part.due_date;
    let dpd = as_of.days_since(due);
    let n = part.number;
    let steps = ctx.steps;
    // What this part was sent before, so a message says only what happened
    // (read only when a message goes).
    let reminded = || -> Vec<SentStep> {
        steps
            .iter()
            .filter(|s| s.is_customer_facing())
            .filter_map(|s| {
                let done = ctx.done(subject, &part_key(&s.key, n))?;
                (!done.skipped && done.on < as_of).then(|| SentStep {
                    step: s.key.clone(),
                    on: done.on,
                })
            })
            .collect()
    };
    // The steps reached and not yet done, in the ladder's order, in one
    // pass (no list is made for a part with nothing pending, the usual
    // case of a day's run). Steps reached before the invoice entered the
    // ladder are recorded as not sent (the other system's), never performed.
    let mut before: Vec<String> = Vec::new();
    let mut facing: Vec<&Step> = Vec::new();
    let mut internal: Vec<&Step> = Vec::new();
    for s in steps.iter().filter(|s| dpd >= threshold(s, shift)) {
        if ctx.done(subject, &part_key(&s.key, n)).is_some() {
            continue;
        }
        if before_ladder(inv, due, s, shift) {
            before.push(part_key(&s.key, n).into_owned());
        } else if s.is_customer_facing() {
            facing.push(s);
        } else {
            internal.push(s);
        }
    }
    let mut skipped: Vec<String> = Vec::new();
    if let Some((last, earlier)) = facing.split_last() {
        skipped.extend(earlier.iter().map(|s| part_key(&s.key, n).into_owned()));
        if last.is_reminder() && dpd > 0 {
            skipped.push(part_key(&last.key, n).into_owned());
        } else {
            // No interest is charged below the minimum: none announced.
            let interest_from = (last.has(Effect::AnnounceInterest) && !small)
                .then(|| stated_interest_start(policy, due, last, shift, as_of))
                .flatten();
            let item = MessageItem {
                invoice_id: inv.id,
                number: inv.number.clone(),
                currency: inv.currency,
                due_date: due,
                days_past_due: dpd,
                // What is owed once this run's charges are posted.
                open_minor: part.open_minor + charges_minor,
                step: last.key.clone(),
                installment: None,
                reminded: reminded(),
                part: (count > 1 || part.number > 1).then_some(PartRef {
                    number: part.number,
                    of: inv.schedule.len() as u32,
                }),
                resend_invoice: last.has(Effect::ResendInvoice),
                interest_from,
            };
            let mark = item.queued().mark();
            items.push((
                threshold(last, shift),
                last.template.clone(),
                last.channels.clone(),
                item,
                mark,
            ));
            if small {
                // The step was sent on a balance below the minimum: it
                // does not count toward a riskier tier (`step_reached`).
                below_minimum.push(Mark::new(
                    subject,
                    format!("below_minimum:{}", part_key(&last.key, n)),
                ));
            }
        }
    }
    if let Some((_, earlier)) = internal.split_last() {
        skipped.extend(earlier.iter().map(|s| part_key(&s.key, n).into_owned()));
    }
    if let Some(last) = internal
        .last()
        .filter(|last| !(small && is_escalation(last)))
    {
        let entry = tasks
            .entry(last.key.clone())
            .or_insert_with(|| ((*last).clone(), Vec::new(), Vec::new()));
        if !entry.1.contains(&inv.id) {
            entry.1.push(inv.id);
        }
        entry
            .2
            .push(Mark::new(subject, part_key(&last.key, n).into_owned()));
    }
    if !before.is_empty() {
        let marks = before
            .iter()
            .map(|k| Mark::new(subject, k.clone()))
            .collect();
        ctx.push(
            cid,
            "import.ladder_from",
            marks,
            ActionKind::Skip {
                steps: before,
                invoice_id: inv.id,
            },
        );
    }
    if !skipped.is_empty() {
        let marks = skipped
            .iter()
            .map(|k| Mark::new(subject, k.clone()))
            .collect();
        ctx.push(
            cid,
            "missed_days",
            marks,
            ActionKind::Skip {
                steps: skipped,
                invoice_id: inv.id,
            },
        );
    }
}

/// What the cap still allows on an invoice, counting fees planned earlier in this run.
fn cap_room(
    rule: &super::policy::LateFee,
    inv: &InvoiceState,
    planned_minor: i64,
    home: Currency,
) -> Result<i64, NoAmountIn> {
    Ok(match &rule.cap {
        Some(cap) => (cap.minor_in("late_fee.cap", inv.currency, home)?
            - super::charges::fees_charged_minor(inv)
            - planned_minor)
            .max(0),
        None => i64::MAX,
    })
}

/// A step that proposes an escalation (agency, legal, write-off).
fn is_escalation(step: &Step) -> bool {
    step.effects.iter().any(|e| {
        matches!(
            e,
            Effect::ProposeAgency | Effect::ProposeLegal | Effect::ProposeWriteOff
        )
    })
}

/// Records, once per charge, that the policy names no amount in the
/// invoice's currency: nothing is converted, nothing is charged.
fn not_charged(
    ctx: &mut Ctx<'_>,
    customer_id: i64,
    inv: &InvoiceState,
    charge: &str,
    missing: NoAmountIn,
) {
    not_charged_for(
        ctx,
        customer_id,
        inv,
        charge,
        missing.field,
        missing.to_string(),
    );
}

/// Records, once per charge, why it was not charged: `field` is the
/// policy's place or the table that lacked what it needed.
fn not_charged_for(
    ctx: &mut Ctx<'_>,
    customer_id: i64,
    inv: &InvoiceState,
    charge: &str,
    field: &'static str,
    reason: String,
) {
    let subject = Subject::Invoice { id: inv.id };
    let key = format!("not_charged:{charge}");
    if ctx.done(subject, &key).is_some() {
        return;
    }
    ctx.push(
        customer_id,
        field,
        vec![Mark::new(subject, key)],
        ActionKind::NotCharged {
            invoice_id: inv.id,
            number: inv.number.clone(),
            currency: inv.currency,
            field: field.to_string(),
            reason,
        },
    );
}

/// Statutory interest under the policy's law: every whole month since the
/// day after the due date, at the reference rate the law fixes plus its
/// margin, on overdue principal only; a business debtor only. A month
/// whose reference rate the table does not know is not charged (once
/// recorded), and is charged on a later run once the rate is imported.
fn decide_statutory_interest(
    ctx: &mut Ctx<'_>,
    customer: &RunCustomer,
    inv: &InvoiceState,
    not_before: Option<Date>,
) -> i64 {
    let input = ctx.input;
    let policy = input.policy;
    if !policy.law_applies_to(customer.debtor) {
        return 0;
    }
    let subject = Subject::Invoice { id: inv.id };
    let mut start = interest_starts(inv);
    if let Some(d) = not_before {
        start = start.max(d);
    }
    if start >= input.as_of {
        return 0;
    }
    let mut planned = 0;
    for (from, through) in interest_months(start, input.as_of) {
        // Looked up without writing the key: most months were charged.
        let (y, m, _) = from.ymd();
        if ctx.done_as(subject, format_args!("interest:{y:04}-{m:02}")) {
            continue;
        }
        let key = || format!("interest:{}", month_key(from));
        let charge = match statutory_interest(
            policy.law,
            input.reference_rates,
            inv,
            from,
            through,
            policy.payments.allocation,
        ) {
            Ok(charge) => charge,
            Err(unknown) => {
                not_charged_for(
                    ctx,
                    customer.id,
                    inv,
                    "interest",
                    "law.reference_rate",
                    unknown.to_string(),
                );
                return planned;
            }
        };
        if charge.amount_minor > 0 {
            planned += charge.amount_minor;
            ctx.push(
                customer.id,
                format!("law.{}", policy.law),
                vec![Mark::new(subject, key())],
                ActionKind::Interest {
                    invoice_id: inv.id,
                    number: inv.number.clone(),
                    currency: inv.currency,
                    amount_minor: charge.amount_minor,
                    from: charge.from,
                    through,
                    uncapped_minor: None,
                },
            );
        }
    }
    planned
}

/// The law's fixed compensation, once per invoice (mark `compensation`),
/// on the first run after the due date while principal is still owed; the
/// UK's sum by the debt on the due date. Never for a consumer, never
/// converted from the law's currency.
fn decide_compensation(ctx: &mut Ctx<'_>, customer: &RunCustomer, inv: &InvoiceState) -> i64 {
    let input = ctx.input;
    let policy = input.policy;
    if !policy.law_applies_to(customer.debtor) {
        return 0;
    }
    let due = inv.due_date();
    let subject = Subject::Invoice { id: inv.id };
    if input.as_of <= due || ctx.done(subject, "compensation").is_some() {
        return 0;
    }
    let order = policy.payments.allocation;
    if open_split_as_of(inv, input.as_of, order).principal_minor <= 0 {
        return 0;
    }
    let debt = open_split_as_of(inv, due, order).principal_minor.max(0);
    match policy.law.compensation_minor(inv.currency, debt) {
        Ok(amount) if amount > 0 => {
            ctx.push(
                customer.id,
                format!("law.{}", policy.law),
                vec![Mark::new(subject, "compensation")],
                ActionKind::Compensation {
                    invoice_id: inv.id,
                    number: inv.number.clone(),
                    currency: inv.currency,
                    amount_minor: amount,
                    law: policy.law.as_str().to_string(),
                },
            );
            amount
        }
        Ok(_) => 0,
        Err(missing) => {
            not_charged(ctx, customer.id, inv, "compensation", missing);
            0
        }
    }
}

/// The date a notice states interest starts from: the due date (of the
/// part the notice is about) plus the grace days, and never sooner after
/// the notice than the ladder meant (a notice sent late still gives the
/// customer the same time).
fn stated_interest_start(
    policy: &Policy,
    due: Date,
    step: &Step,
    shift: i32,
    sent_on: Date,
) -> Option<Date> {
    let rule = policy.interest.as_ref()?;
    if rule.start == InterestStart::Grace {
        // It runs from the grace days whatever any notice says.
        return Some(grace_start(rule.grace_days, due));
    }
    let by_due = due.add_days(rule.grace_days as i32);
    let notice_days = (rule.grace_days as i32 - threshold(step, shift)).max(0);
    Some(by_due.max(sent_on.add_days(notice_days)))
}

/// The first day of interest under a `grace` start: the day after the
/// grace days that follow the due date.
fn grace_start(grace_days: u32, due: Date) -> Date {
    due.add_days(grace_days as i32 + 1)
}

/// `shift` moves the ladder for this customer, as it did for the notice
/// whose stated date interest starts from: [`stated_interest_start`] is the
/// one computation of that date, for the message and the charge alike.
fn decide_interest(
    ctx: &mut Ctx<'_>,
    customer: &RunCustomer,
    inv: &InvoiceState,
    shift: i32,
    not_before: Option<Date>,
) -> i64 {
    let input = ctx.input;
    let policy = input.policy;
    if !policy.law.is_none() {
        return decide_statutory_interest(ctx, customer, inv, not_before);
    }
    let Some(rule) = &policy.interest else {
        return 0;
    };
    let subject = Subject::Invoice { id: inv.id };
    let Some((start, parts)) = interest_parts(ctx, customer, inv, shift, not_before) else {
        return 0;
    };
    let home = input.home_currency;
    let minimum = match &rule.minimum_charge {
        None => 1,
        Some(m) => match m.minor_in("interest.minimum_charge", inv.currency, home) {
            Ok(m) => m.max(1),
            Err(missing) => {
                not_charged(ctx, customer.id, inv, "interest", missing);
                return 0;
            }
        },
    };
    let mut planned = 0;
    for (from, through) in interest_months(start, input.as_of) {
        // Looked up without writing the key: most months were charged.
        let (y, m, _) = from.ymd();
        if ctx.done_as(subject, format_args!("interest:{y:04}-{m:02}")) {
            continue;
        }
        let key = || format!("interest:{}", month_key(from));
        // Nothing open in the whole month: nothing to charge.
        if inv.open_as_of(from) <= 0
            && !inv
                .movements
                .iter()
                .any(|m| m.effective_date > from && m.effective_date <= through)
        {
            continue;
        }
        let charge = match interest_for(
            rule,
            inv,
            from,
            through,
            policy.payments.allocation,
            home,
            &parts,
        ) {
            Ok(charge) => charge,
            Err(missing) => {
                not_charged(ctx, customer.id, inv, "interest", missing);
                return planned;
            }
        };
        // Below the policy's minimum a month's interest is not charged
        // (the same every run, so it is simply never posted).
        if charge.amount_minor >= minimum {
            planned += charge.amount_minor;
            ctx.push(
                customer.id,
                "interest",
                vec![Mark::new(subject, key())],
                ActionKind::Interest {
                    invoice_id: inv.id,
                    number: inv.number.clone(),
                    currency: inv.currency,
                    amount_minor: charge.amount_minor,
                    from,
                    through,
                    uncapped_minor: charge.uncapped_minor,
                },
            );
        }
    }
    planned
}

/// The day interest on `inv` starts, by the law's preset or the policy's
/// rule (from the grace days, or from the notice that announced it), not
/// before `not_before`, with the parts it starts on one by one (on
/// installment terms each installment from its own due date or notice);
/// `None` when none runs before the run's date.
fn interest_parts(
    ctx: &Ctx<'_>,
    customer: &RunCustomer,
    inv: &InvoiceState,
    shift: i32,
    not_before: Option<Date>,
) -> Option<(Date, Vec<AccrualPart>)> {
    let input = ctx.input;
    let policy = input.policy;
    let clip = |d: Date| not_before.map_or(d, |n| d.max(n));
    let (start, parts) = if !policy.law.is_none() {
        if !policy.law_applies_to(customer.debtor) {
            return None;
        }
        (interest_starts(inv), Vec::new())
    } else {
        let rule = policy.interest.as_ref()?;
        let subject = Subject::Invoice { id: inv.id };
        let part_start = |n: u32, due: Date| match rule.start {
            InterestStart::Grace => Some(grace_start(rule.grace_days, due)),
            InterestStart::Notice => ctx
                .steps
                .iter()
                .filter(|s| s.has(Effect::AnnounceInterest))
                .filter_map(|s| {
                    let done = ctx.done(subject, &part_key(&s.key, n))?;
                    (!done.skipped).then(|| stated_interest_start(policy, due, s, shift, done.on))
                })
                .flatten()
                .min(),
        };
        let parts = accrual_parts(inv, |n, due| part_start(n, due).map(clip));
        let start = if parts.is_empty() {
            part_start(1, inv.due_date())?
        } else {
            parts.iter().filter_map(|p| p.starts).min()?
        };
        (start, parts)
    };
    let start = clip(start);
    (start < input.as_of).then_some((start, parts))
}

/// The interest `inv` accrues over `from..=through` by the law's preset
/// or the policy's rule, before any minimum; `None` when it cannot be
/// computed (no rate, no amount in the currency).
fn accrued_interest(
    ctx: &Ctx<'_>,
    inv: &InvoiceState,
    from: Date,
    through: Date,
    parts: &[AccrualPart],
) -> Option<i64> {
    let input = ctx.input;
    let policy = input.policy;
    let order = policy.payments.allocation;
    if !policy.law.is_none() {
        let charge =
            statutory_interest(policy.law, input.reference_rates, inv, from, through, order)
                .ok()?;
        return Some(charge.amount_minor);
    }
    let rule = policy.interest.as_ref()?;
    let charge = interest_for(rule, inv, from, through, order, input.home_currency, parts).ok()?;
    Some(charge.amount_minor)
}

/// Interest posted on `inv` for days the book now knows less (or nothing)
/// was owed: per month charged, what it accrued as the invoice was known
/// when that month was charged less what it accrues now, from the first
/// reduction learnt late (the two agree before it); less what was
/// reversed already.
fn undue_interest_minor(
    ctx: &Ctx<'_>,
    customer: &RunCustomer,
    inv: &InvoiceState,
    shift: i32,
    not_before: Option<Date>,
) -> i64 {
    let posted = charged_minor(inv, EntryKind::Interest);
    if posted <= 0 {
        return 0;
    }
    // A notice's stated start moves with the customer's tier; the tier may
    // have changed since the notice went. The earliest start any tier gives
    // is never after the one charged from: exact when the money learnt
    // late is dated after it, a few days generous to the customer if not.
    let over = ctx.input.policy.override_for(&customer.reference);
    let extra = over.map_or(0, |o| o.ladder_shift_days);
    let Some((start, parts)) = Tier::ALL
        .iter()
        .map(|t| ctx.input.policy.tiers.rule(*t).ladder_shift_days + extra)
        .chain(std::iter::once(shift))
        .filter_map(|s| interest_parts(ctx, customer, inv, s, not_before))
        .reduce(earliest_parts)
    else {
        return 0;
    };
    let subject = Subject::Invoice { id: inv.id };
    let charged_months = ctx
        .input
        .done
        .get(&subject)
        .into_iter()
        .flatten()
        .filter(|m| !m.skipped)
        .filter_map(|m| {
            let month = m.key.strip_prefix("interest:")?;
            Some((Date::parse(&format!("{month}-01")).ok()?, m.on))
        });
    // Each month's entry: the run posts a day's months in month order, so
    // the k-th month charged on a day is that day's k-th interest entry.
    let mut months: Vec<(Date, Date)> = charged_months.collect();
    months.sort_unstable_by_key(|(first, on)| (*on, *first));
    let mut undue = 0;
    let mut k = 0;
    for (i, &(first, charged_on)) in months.iter().enumerate() {
        k = if i > 0 && months[i - 1].1 == charged_on {
            k + 1
        } else {
            0
        };
        let Some(charge) = inv
            .movements
            .iter()
            .enumerate()
            .filter(|(_, m)| {
                m.kind == EntryKind::Interest && m.ar_minor > 0 && m.effective_date == charged_on
            })
            .map(|(j, _)| j)
            .nth(k)
        else {
            continue;
        };
        let Some((then, first_late)) = as_known_at_charge(inv, charge) else {
            continue;
        };
        let from = first.max(first_late).max(start);
        let through = first.end_of_month();
        if from > through {
            continue;
        }
        let (Some(was), Some(is)) = (
            accrued_interest(ctx, &then, from, through, &parts),
            accrued_interest(ctx, inv, from, through, &parts),
        ) else {
            // What it would come to cannot be told: leave it as charged.
            return 0;
        };
        undue += (was - is).clamp(0, inv.movements[charge].ar_minor);
    }
    (undue - reversed_minor(inv, EntryKind::Interest)).clamp(0, posted)
}

/// Of two computations of when interest starts, the earlier day for the
/// invoice and for each part (the same invoice, so the same parts).
fn earliest_parts(
    a: (Date, Vec<AccrualPart>),
    b: (Date, Vec<AccrualPart>),
) -> (Date, Vec<AccrualPart>) {
    let parts =
        a.1.iter()
            .zip(&b.1)
            .map(|(x, y)| AccrualPart {
                starts: match (x.starts, y.starts) {
                    (Some(p), Some(q)) => Some(p.min(q)),
                    (p, q) => p.or(q),
                },
                amount_minor: x.amount_minor,
            })
            .collect();
    (a.0.min(b.0), parts)
}

/// Reverses the charges on `inv` that the book, as it now stands, does not
/// bear (money dated on or before a charge was recorded after it): the
/// actions, and the invoice as the rest of the run must see it. `None`
/// when nothing is undue.
fn correct_charges(
    ctx: &mut Ctx<'_>,
    customer: &RunCustomer,
    inv: &InvoiceState,
    shift: i32,
    not_before: Option<Date>,
) -> Option<InvoiceState> {
    if !reduced_behind_a_charge(inv) {
        return None;
    }
    let as_of = ctx.input.as_of;
    let order = ctx.input.policy.payments.allocation;
    let mut state = inv.clone();
    let reverse = |ctx: &mut Ctx<'_>, state: &mut InvoiceState, kind: EntryKind, amount| {
        let words = charge_words(kind);
        let reason = match kind {
            EntryKind::Interest => format!(
                "money taken off {} was dated before the interest was charged; {words} for days nothing was owed is reversed",
                inv.number
            ),
            _ => format!(
                "the principal of {} was settled on or before the day the {words} was charged (recorded later)",
                inv.number
            ),
        };
        ctx.push(
            customer.id,
            "charges.reversed",
            vec![Mark::new(
                Subject::Invoice { id: inv.id },
                format!("reversed:{}:{as_of}", kind.as_str()),
            )],
            ActionKind::ChargeReversed {
                invoice_id: inv.id,
                number: inv.number.clone(),
                currency: inv.currency,
                charge: kind,
                amount_minor: amount,
                reason,
            },
        );
        state.movements.push(Movement {
            effective_date: as_of,
            kind,
            ar_minor: -amount,
        });
    };
    let mut any = false;
    for kind in [EntryKind::Fee, EntryKind::Compensation] {
        let key = format!("reversed:{}:{as_of}", kind.as_str());
        let undue = undue_fixed_charges_minor(&state, kind, order);
        if undue > 0 && ctx.done(Subject::Invoice { id: inv.id }, &key).is_none() {
            reverse(ctx, &mut state, kind, undue);
            any = true;
        }
    }
    let key = format!("reversed:interest:{as_of}");
    let undue = undue_interest_minor(ctx, customer, &state, shift, not_before);
    if undue > 0 && ctx.done(Subject::Invoice { id: inv.id }, &key).is_none() {
        reverse(ctx, &mut state, EntryKind::Interest, undue);
        any = true;
    }
    any.then_some(state)
}

#[allow(clippy::too_many_arguments)]
fn decide_plan(
    ctx: &mut Ctx<'_>,
    customer: &RunCustomer,
    plan: &Plan,
    invoices: &[&InvoiceState],
    paused: bool,
    suppressed: &mut BTreeSet<i64>,
    items: &mut Vec<(i32, String, Vec<Channel>, MessageItem, Mark)>,
    interest_not_before: &mut BTreeMap<i64, Date>,
    plan_due: &mut BTreeMap<i64, Date>,
) {
    let input = ctx.input;
    let rules = &input.policy.plans;
    let as_of = input.as_of;
    let open_now = plan.open_minor(invoices.iter().copied(), as_of);
    let unpaid = match plan.standing(open_now, as_of, rules.default_after_days) {
        PlanStanding::NotInForce => return,
        PlanStanding::Completed => {
            ctx.push(
                customer.id,
                "plans",
                Vec::new(),
                ActionKind::PlanSettled {
                    plan_id: plan.id,
                    outcome: PlanOutcome::Completed,
                    installment: None,
                },
            );
            return;
        }
        PlanStanding::Defaulted { installment } => {
            ctx.push(
                customer.id,
                "plans.default_after_days",
                Vec::new(),
                ActionKind::PlanSettled {
                    plan_id: plan.id,
                    outcome: PlanOutcome::Defaulted,
                    installment: Some(installment),
                },
            );
            for id in &plan.invoice_ids {
                interest_not_before.insert(*id, as_of);
            }
            return;
        }
        PlanStanding::Current { unpaid } => unpaid,
    };
    // While the plan stands its invoices are owed by the installments'
    // dates: each is aged, held and charged by the earliest it is part of.
    let open_by_invoice: Vec<(i64, i64)> = plan
        .invoice_ids
        .iter()
        .filter_map(|id| invoices.iter().find(|i| i.id == *id))
        .map(|i| (i.id, i.open_as_of(as_of).max(0)))
        .collect();
    for part in plan.open_parts(&open_by_invoice) {
        plan_due
            .entry(part.invoice_id)
            .and_modify(|d| *d = (*d).min(part.due_date))
            .or_insert(part.due_date);
    }
    suppressed.extend(plan.invoice_ids.iter().copied());
    if paused {
        return;
    }
    let first_invoice = invoices.iter().find(|i| plan.invoice_ids.contains(&i.id));
    let number =
        first_invoice.map_or_else(String::new, |i| format!("plan {} ({})", plan.id, i.number));
    for UnpaidInstallment {
        number: n,
        due_date,
        amount_minor,
        left_minor: left,
    } in unpaid
    {
        let subject = Subject::Installment {
            plan_id: plan.id,
            number: n,
        };
        let dpd = as_of.days_since(due_date);
        let mut push = |step: PlanStep| {
            let item = MessageItem {
                invoice_id: first_invoice.map_or(0, |i| i.id),
                number: number.clone(),
                currency: plan.currency,
                due_date,
                days_past_due: dpd,
                open_minor: left,
                step: step.step(),
                part: None,
                reminded: Vec::new(),
                installment: Some(InstallmentRef {
                    plan_id: plan.id,
                    number: n,
                    amount_minor,
                }),
                resend_invoice: false,
                interest_from: None,
            };
            let mark = item.queued().mark();
            items.push((
                step.rank,
                step.template.to_string(),
                vec![Channel::Email],
                item,
                mark,
            ));
        };
        if let Some(before) = rules.remind_days_before {
            if dpd <= 0 && dpd >= -(before as i32) && ctx.done(subject, PLAN_REMINDER.key).is_none()
            {
                push(PLAN_REMINDER);
            }
        }
        if dpd >= rules.notice_days_past_due as i32 && ctx.done(subject, PLAN_NOTICE.key).is_none()
        {
            push(PLAN_NOTICE);
        }
    }
}
