//! The collections run, tested in the domain's own words.
//!
//! Each file in `tests/collections/` is a book written as text, runs of the
//! collections engine on given dates, and after each `run` the actions it
//! decided, as a snapshot (indented lines). After every run the actions are
//! applied to the in-memory book (fees and interest posted, marks set,
//! statuses, tiers, promises and plans updated), so the next run sees what
//! the store would.
//!
//! ```text
//! ; a comment
//! policy
//!     [late_fee]            ; TOML sections replacing the default's
//!     flat = "25.00"
//! 2026-01-05 customer ACME "Acme Ltd"
//! 2026-01-05 invoice INV1 ACME 100.00 USD net30
//! 2026-02-10 payment ACME 60.00 USD oldest          ; or none, or INV1:60.00
//! 2026-02-11 credit-note INV1 10.00                 ; write-off, void too
//! 2026-02-01 promise ACME 40.00 USD by 2026-02-20 INV1   ; invoices optional
//! 2026-02-01 dispute INV1
//! 2026-02-05 dispute-closed INV1
//! 2026-02-01 plan ACME INV1 2026-02-15=50.00 2026-03-15=50.00
//! 2026-02-01 collateral ACME ucc1 expires 2026-04-01
//! 2026-02-01 pause ACME until 2026-02-10
//! 2026-02-01 status ACME on_hold                    ; a person's status (holds until changed)
//! 2026-02-01 status ACME active until 2026-03-01     ; … or through a day
//! 2026-02-01 task-done ACME call                     ; a person closes the open call tasks
//! run 2026-02-08
//!     message ACME [email] first_notice: INV1 7d 100.00 USD
//! runs 2026-02-09 2026-03-31                        ; a run every day; the days it did something
//!     2026-02-24 message ACME [email] second_notice: …
//! aging 2026-02-08
//!     ACME USD 0.00 100.00 0.00 0.00 0.00
//! balance 2026-02-08                                ; owed and credit, apart
//!     ACME USD owes 100.00 credit 0.00
//! ```
//!
//! As the store does, unless the policy keeps credit unapplied
//! (`[payments] unapplied_credit`), a customer's credit is applied to their
//! oldest open items when an invoice is issued, a payment arrives and after
//! each run's charges.
//!
//! Snapshots are checked exactly. `DUN_UPDATE_SCENARIOS=1 cargo test -p
//! dun-core --test collections_scenarios` rewrites them from what the run
//! decides — then read the diff: every line must be what PRODUCT.md and the
//! policy say should happen.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::Path;

use dun_core::aging::{aging_of, AgingEdges};
use dun_core::book::Book;
use dun_core::collections::action::{
    ActionKind, DoneMark, PlanOutcome, RunPlan, Subject, TaskKind,
};
use dun_core::collections::credit::CustomerStatus;
use dun_core::collections::document;
use dun_core::collections::law::{DebtorKind, ReferenceRates};
use dun_core::collections::policy::{CreditApplication, Policy, Tier};
use dun_core::collections::risk::History;
use dun_core::collections::run::{
    decide, Collateral, Credit, Dispute, OpenTask, Plan, PlanStatus, Promise, Receipt, RunCustomer,
    RunInput,
};
use dun_core::invoice::{InvoiceDraft, InvoiceLine};
use dun_core::ledger::EntryKind;
use dun_core::money::{format_minor, parse_amount_minor};
use dun_core::posting::AllocationRequest;
use dun_core::terms::{Installment, Terms};
use dun_core::{Currency, Date};

struct Customer {
    label: String,
    run: RunCustomer,
    /// The days promises were found broken.
    broken_promises: Vec<Date>,
    disputes: u32,
}

struct Scenario {
    policy: Policy,
    rates: ReferenceRates,
    book: Book,
    customers: Vec<Customer>,
    invoices: BTreeMap<String, i64>,
    done: HashMap<Subject, Vec<DoneMark>>,
    promises: Vec<Promise>,
    disputes: Vec<Dispute>,
    plans: Vec<Plan>,
    collateral: Vec<Collateral>,
    last_run: Option<Date>,
    promise_ids: i64,
    /// Tasks the run made that are still open, and the last task id given.
    tasks: Vec<OpenTask>,
    task_ids: i64,
    /// The order facts were recorded in (a line's number stands for its
    /// time), and when each payment was.
    recorded: i64,
    payments_recorded: HashMap<i64, i64>,
}

fn date_of(text: &str) -> Result<Date, String> {
    Date::parse(text).map_err(|e| e.to_string())
}

fn currency_of(text: &str) -> Result<Currency, String> {
    Currency::parse(text).map_err(|e| e.to_string())
}

fn amount_of(text: &str, currency: Currency) -> Result<i64, String> {
    parse_amount_minor(text, currency).map_err(|e| e.to_string())
}

/// Puts the fragment's sections in place of the default policy's (a
/// section given is given whole; `[[step]]` lists replace the ladder).
fn merge(base: &mut toml::Value, over: toml::Value) {
    if let (toml::Value::Table(b), toml::Value::Table(o)) = (base, over) {
        for (k, v) in o {
            b.insert(k, v);
        }
    }
}

impl Scenario {
    fn new() -> Scenario {
        Scenario {
            policy: document::parse(document::DEFAULT_POLICY).expect("the default policy parses"),
            rates: ReferenceRates::shipped(),
            book: Book::new(),
            customers: Vec::new(),
            invoices: BTreeMap::new(),
            done: HashMap::new(),
            promises: Vec::new(),
            disputes: Vec::new(),
            plans: Vec::new(),
            collateral: Vec::new(),
            last_run: None,
            promise_ids: 0,
            tasks: Vec::new(),
            task_ids: 0,
            recorded: 0,
            payments_recorded: HashMap::new(),
        }
    }

    fn set_policy(&mut self, fragment: &str) -> Result<(), String> {
        let mut base: toml::Value =
            toml::from_str(document::DEFAULT_POLICY).map_err(|e| e.to_string())?;
        let mut over: toml::Value =
            toml::from_str(fragment).map_err(|e| format!("policy fragment: {e}"))?;
        // `drop = ["interest", "late_fee"]`: sections of the default taken
        // out, with the step effects that need them.
        if let Some(toml::Value::Array(drop)) = over.as_table_mut().and_then(|t| t.remove("drop")) {
            let base = base.as_table_mut().expect("a table");
            for name in drop.iter().filter_map(|v| v.as_str()) {
                base.remove(name);
                let effect = match name {
                    "interest" => "announce_interest",
                    "late_fee" => "late_fee",
                    _ => continue,
                };
                if let Some(toml::Value::Array(steps)) = base.get_mut("step") {
                    for step in steps {
                        if let Some(toml::Value::Array(effects)) = step.get_mut("effects") {
                            effects.retain(|e| e.as_str() != Some(effect));
                        }
                    }
                }
            }
        }
        merge(&mut base, over);
        let text = toml::to_string(&base).map_err(|e| e.to_string())?;
        self.policy = document::parse(&text).map_err(|errors| {
            errors
                .iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("; ")
        })?;
        Ok(())
    }

    fn customer(&mut self, label: &str) -> i64 {
        if let Some(c) = self.customers.iter().find(|c| c.label == label) {
            return c.run.id;
        }
        let id = self.customers.len() as i64 + 1;
        self.customers.push(Customer {
            label: label.to_string(),
            run: RunCustomer {
                id,
                reference: label.to_string(),
                name: label.to_string(),
                status: CustomerStatus::Active,
                status_by_policy: false,
                status_held_until: None,
                paused_until: None,
                tier: Tier::New,
                history: History::default(),
                debtor: None,
            },
            broken_promises: Vec::new(),
            disputes: 0,
        });
        id
    }

    fn customer_mut(&mut self, label: &str) -> &mut Customer {
        let id = self.customer(label);
        &mut self.customers[id as usize - 1]
    }

    fn label(&self, customer_id: i64) -> &str {
        &self.customers[customer_id as usize - 1].label
    }

    fn invoice(&self, label: &str) -> Result<i64, String> {
        self.invoices
            .get(label)
            .copied()
            .ok_or_else(|| format!("no invoice {label} in this scenario"))
    }

    fn invoice_label(&self, id: i64) -> String {
        self.invoices
            .iter()
            .find(|(_, v)| **v == id)
            .map_or_else(|| format!("#{id}"), |(k, _)| k.clone())
    }

    fn fact(&mut self, date: Date, verb: &str, args: &[&str]) -> Result<(), String> {
        let err = |e: dun_core::book::BookError| e.to_string();
        self.recorded += 1;
        match (verb, args) {
            ("customer", [label, ..]) => {
                self.customer(label);
                Ok(())
            }
            ("consumer", [label]) => {
                self.customer(label);
                self.customer_mut(label).run.debtor = Some(DebtorKind::Consumer);
                Ok(())
            }
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
                self.apply_credit(draft.customer_id, date)
            }
            ("payment", [customer, amount, currency, allocation]) => {
                let currency = currency_of(currency)?;
                let amount = amount_of(amount, currency)?;
                let request = match *allocation {
                    "none" => AllocationRequest::None,
                    "oldest" => AllocationRequest::OldestDueFirst,
                    list => {
                        let mut pairs = Vec::new();
                        for pair in list.split(',') {
                            let (label, a) = pair.split_once(':').ok_or("INVOICE:AMOUNT")?;
                            pairs.push((self.invoice(label)?, amount_of(a, currency)?));
                        }
                        AllocationRequest::Explicit(pairs)
                    }
                };
                let customer = self.customer(customer);
                let id = self
                    .book
                    .receive(customer, currency, date, amount, &request)
                    .map_err(err)?;
                self.payments_recorded.insert(id, self.recorded);
                self.apply_credit(customer, date)
            }
            // Imported from another system on this day: enters the ladder now.
            ("imported", [invoice]) => {
                let id = self.invoice(invoice)?;
                self.book
                    .invoices
                    .get_mut(&id)
                    .ok_or("no such invoice")?
                    .ladder_from = Some(date);
                Ok(())
            }
            ("void", [invoice]) => {
                let id = self.invoice(invoice)?;
                self.book.void(id, date).map_err(err)
            }
            (verb @ ("credit-note" | "write-off"), [invoice, amount]) => {
                let id = self.invoice(invoice)?;
                let amount = amount_of(amount, self.book.invoices[&id].currency)?;
                let kind = if verb == "credit-note" {
                    EntryKind::CreditNote
                } else {
                    EntryKind::WriteOff
                };
                self.book
                    .reduce(id, kind, amount, date)
                    .map(|_| ())
                    .map_err(err)
            }
            ("promise", [customer, amount, currency, "by", by, invoices @ ..]) => {
                let currency = currency_of(currency)?;
                let customer_id = self.customer(customer);
                let invoice_ids = invoices
                    .iter()
                    .map(|l| self.invoice(l))
                    .collect::<Result<_, _>>()?;
                // Ids are never reused: settled promises leave the list.
                self.promise_ids += 1;
                self.promises.push(Promise {
                    id: self.promise_ids,
                    customer_id,
                    currency,
                    amount_minor: amount_of(amount, currency)?,
                    made_on: date,
                    made_at_s: self.recorded,
                    promised_date: date_of(by)?,
                    invoice_ids,
                });
                Ok(())
            }
            ("dispute", [invoice]) => {
                let id = self.invoice(invoice)?;
                let customer = self.book.invoices[&id].customer_id;
                self.disputes.push(Dispute {
                    id: self.disputes.len() as i64 + 1,
                    invoice_id: id,
                });
                self.customers[customer as usize - 1].disputes += 1;
                Ok(())
            }
            ("dispute-closed", [invoice]) => {
                let id = self.invoice(invoice)?;
                self.disputes.retain(|d| d.invoice_id != id);
                Ok(())
            }
            ("plan", [customer, rest @ ..]) => {
                let customer_id = self.customer(customer);
                let (labels, parts): (Vec<&str>, Vec<&str>) =
                    rest.iter().partition(|w| !w.contains('='));
                let invoice_ids: Vec<i64> = labels
                    .iter()
                    .map(|l| self.invoice(l))
                    .collect::<Result<_, _>>()?;
                let currency = self.book.invoices[&invoice_ids[0]].currency;
                let installments = parts
                    .iter()
                    .map(|p| {
                        let (d, a) = p.split_once('=').expect("DATE=AMOUNT");
                        Ok(Installment {
                            due_date: date_of(d)?,
                            amount_minor: amount_of(a, currency)?,
                        })
                    })
                    .collect::<Result<Vec<_>, String>>()?;
                let opening: i64 = invoice_ids
                    .iter()
                    .map(|id| self.book.invoices[id].open_as_of(date))
                    .sum();
                let total: i64 = installments.iter().map(|i| i.amount_minor).sum();
                if total != opening {
                    return Err(format!(
                        "installments add up to {total}, the invoices have {opening} open"
                    ));
                }
                self.plans.push(Plan {
                    id: self.plans.len() as i64 + 1,
                    customer_id,
                    currency,
                    invoice_ids,
                    installments,
                    created_on: date,
                    opening_minor: opening,
                    status: PlanStatus::Active,
                    defaulted_on: None,
                });
                Ok(())
            }
            ("collateral", [customer, kind, "expires", expires]) => {
                let customer_id = self.customer(customer);
                self.collateral.push(Collateral {
                    id: self.collateral.len() as i64 + 1,
                    customer_id,
                    kind: kind.to_string(),
                    expires_on: Some(date_of(expires)?),
                });
                Ok(())
            }
            ("pause", [customer, "until", until]) => {
                let until = date_of(until)?;
                self.customer_mut(customer).run.paused_until = Some(until);
                Ok(())
            }
            ("status", [customer, status, rest @ ..]) => {
                let status = CustomerStatus::parse(status).ok_or("unknown status")?;
                let until = match rest {
                    [] => Date::from_ymd(2200, 12, 31).expect("a date"),
                    ["until", until] => date_of(until)?,
                    _ => return Err("status CUSTOMER STATUS [until DATE]".into()),
                };
                let c = self.customer_mut(customer);
                c.run.status = status;
                c.run.status_by_policy = false;
                c.run.status_held_until = Some(until);
                Ok(())
            }
            ("task-done", [customer, kind]) => {
                let customer_id = self.customer(customer);
                let kind = TaskKind::parse(kind).ok_or("unknown task kind")?;
                self.tasks
                    .retain(|t| !(t.customer_id == customer_id && t.kind == kind));
                Ok(())
            }
            _ => Err(format!("cannot read '{verb} {}'", args.join(" "))),
        }
    }

    /// What the store does with credit: apply it at once, unless the
    /// policy keeps it for a person to apply.
    fn apply_credit(&mut self, customer_id: i64, date: Date) -> Result<(), String> {
        if self.policy.payments.unapplied_credit == CreditApplication::ApplyOldestFirst {
            self.book
                .apply_credit(customer_id, date)
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    /// Unapplied credit per customer and currency received by `as_of`, as
    /// the store loads it.
    fn credits(&self, as_of: Date) -> Vec<Credit> {
        let mut sums: BTreeMap<(i64, Currency), i64> = BTreeMap::new();
        for p in self
            .book
            .payments
            .values()
            .filter(|p| !p.reversed && p.received_date <= as_of)
        {
            *sums.entry((p.customer_id, p.currency)).or_default() += p.unallocated_minor;
        }
        sums.into_iter()
            .filter(|(_, v)| *v > 0)
            .map(|((customer_id, currency), unapplied_minor)| Credit {
                customer_id,
                currency,
                unapplied_minor,
            })
            .collect()
    }

    /// The history the store would load: settled invoices in the window,
    /// broken promises, disputes, steps reached.
    fn refresh_history(&mut self, as_of: Date) {
        for c in &mut self.customers {
            let invoices = self
                .book
                .invoices
                .values()
                .filter(|i| i.customer_id == c.run.id);
            let mut h = History::from_invoices(invoices, as_of, self.policy.tiers.history_days);
            // What the run itself recorded counts from the next day, so a
            // second run of the same day sees the same history.
            h.broken_promises = c.broken_promises.iter().filter(|d| **d < as_of).count() as u32;
            h.disputes = c.disputes;
            for inv in self
                .book
                .invoices
                .values()
                .filter(|i| i.customer_id == c.run.id)
            {
                if let Some(marks) = self.done.get(&Subject::Invoice { id: inv.id }) {
                    // As the store: steps, not charges (':'), and not a
                    // step sent on a balance below the minimum.
                    let below =
                        |k: &str| marks.iter().any(|m| m.key == format!("below_minimum:{k}"));
                    h.steps_reached.extend(
                        marks
                            .iter()
                            .filter(|m| !m.skipped && m.on < as_of)
                            .filter(|m| !m.key.contains(':') && !below(&m.key))
                            .map(|m| m.key.split('@').next().unwrap_or(&m.key).to_string()),
                    );
                }
            }
            c.run.history = h;
        }
    }

    /// Decides a run on the book as it stands, its history refreshed.
    fn decide(&mut self, as_of: Date) -> RunPlan {
        self.refresh_history(as_of);
        let customers: Vec<RunCustomer> = self.customers.iter().map(|c| c.run.clone()).collect();
        let invoices: Vec<_> = self.book.invoices.values().cloned().collect();
        let receipts: Vec<Receipt> = self
            .book
            .payments
            .values()
            .filter(|p| !p.reversed)
            .map(|p| Receipt {
                customer_id: p.customer_id,
                currency: p.currency,
                received_date: p.received_date,
                amount_minor: p.amount_minor,
                recorded_at_s: self.payments_recorded.get(&p.id).copied().unwrap_or(0),
            })
            .collect();
        let credits = self.credits(as_of);
        decide(&RunInput {
            as_of,
            policy: &self.policy,
            home_currency: Currency::parse("USD").expect("USD"),
            policy_version: 1,
            customers: &customers,
            invoices: &invoices,
            settled_charged: &[],
            done: &self.done,
            promises: &self.promises,
            receipts: &receipts,
            disputes: &self.disputes,
            plans: &self.plans,
            collateral: &self.collateral,
            open_tasks: &self.tasks,
            credits: &credits,
            reference_rates: &self.rates,
        })
    }

    fn run(&mut self, as_of: Date) -> Result<String, String> {
        // As in the store: runs go forward.
        if self.last_run.is_some_and(|last| as_of < last) {
            return Err(format!("runs go forward: {as_of} is before the last run"));
        }
        self.last_run = Some(as_of);
        let plan = self.decide(as_of);
        // The same input decides the same actions.
        assert_eq!(plan, self.decide(as_of), "the run is not deterministic");
        let text = self.render(&plan);
        self.apply(&plan)?;
        // Charges the run posted are netted from credit, as the store does.
        let charged: std::collections::BTreeSet<i64> = plan
            .actions
            .iter()
            .filter(|a| {
                matches!(
                    a.kind,
                    ActionKind::Fee { .. }
                        | ActionKind::Interest { .. }
                        | ActionKind::Compensation { .. }
                        | ActionKind::ChargeReversed { .. }
                )
            })
            .map(|a| a.customer_id)
            .collect();
        for customer_id in charged {
            self.apply_credit(customer_id, as_of)?;
        }
        // Idempotent: run again on the same day, after applying, and
        // nothing is left to do.
        let second = self.decide(as_of);
        assert!(
            second.actions.is_empty(),
            "a second run on {as_of} decided more:\n{}",
            self.render(&second)
        );
        Ok(text)
    }

    fn apply(&mut self, plan: &RunPlan) -> Result<(), String> {
        let as_of = plan.as_of;
        for action in &plan.actions {
            let skipped = matches!(action.kind, ActionKind::Skip { .. });
            for mark in &action.marks {
                let list = self.done.entry(mark.subject).or_default();
                assert!(
                    !list.iter().any(|m| m.key == mark.key),
                    "the run decided {mark:?} twice"
                );
                list.push(DoneMark {
                    key: mark.key.clone(),
                    on: as_of,
                    skipped,
                });
            }
            let cid = action.customer_id;
            match &action.kind {
                ActionKind::Fee {
                    invoice_id,
                    amount_minor,
                    ..
                } => self
                    .book
                    .charge(*invoice_id, EntryKind::Fee, *amount_minor, as_of)
                    .map_err(|e| e.to_string())?,
                ActionKind::Interest {
                    invoice_id,
                    amount_minor,
                    ..
                } => self
                    .book
                    .charge(*invoice_id, EntryKind::Interest, *amount_minor, as_of)
                    .map_err(|e| e.to_string())?,
                ActionKind::Compensation {
                    invoice_id,
                    amount_minor,
                    ..
                } => self
                    .book
                    .charge(*invoice_id, EntryKind::Compensation, *amount_minor, as_of)
                    .map_err(|e| e.to_string())?,
                ActionKind::ChargeReversed {
                    invoice_id,
                    charge,
                    amount_minor,
                    ..
                } => self
                    .book
                    .reverse_charge(*invoice_id, *charge, *amount_minor, as_of)
                    .map_err(|e| e.to_string())?,
                ActionKind::SetStatus { to, .. } => {
                    let c = &mut self.customers[cid as usize - 1].run;
                    c.status = *to;
                    c.status_by_policy = true;
                }
                ActionKind::SetTier { to, .. } => self.customers[cid as usize - 1].run.tier = *to,
                ActionKind::PromiseSettled {
                    promise_id, kept, ..
                } => {
                    self.promises.retain(|p| p.id != *promise_id);
                    if !kept {
                        self.customers[cid as usize - 1].broken_promises.push(as_of);
                    }
                }
                ActionKind::PlanSettled {
                    plan_id, outcome, ..
                } => {
                    let plan = self
                        .plans
                        .iter_mut()
                        .find(|p| p.id == *plan_id)
                        .expect("plan");
                    match outcome {
                        PlanOutcome::Completed => plan.status = PlanStatus::Completed,
                        PlanOutcome::Defaulted => {
                            plan.status = PlanStatus::Defaulted;
                            plan.defaulted_on = Some(as_of);
                        }
                    }
                }
                ActionKind::Task(t) => {
                    self.task_ids += 1;
                    self.tasks.push(OpenTask {
                        id: self.task_ids,
                        customer_id: cid,
                        kind: t.kind,
                        title: t.title.clone(),
                        invoice_ids: t.invoice_ids.clone(),
                    });
                }
                ActionKind::CloseTask { task_id, .. } => {
                    assert!(
                        self.tasks.iter().any(|t| t.id == *task_id),
                        "the run closed task #{task_id}, which is not open"
                    );
                    self.tasks.retain(|t| t.id != *task_id);
                }
                ActionKind::Message(_)
                | ActionKind::Skip { .. }
                | ActionKind::NotCharged { .. } => {}
            }
        }
        Ok(())
    }

    fn render(&self, plan: &RunPlan) -> String {
        let mut out = String::new();
        if plan.actions.is_empty() {
            out.push_str("(nothing)\n");
        }
        for a in &plan.actions {
            let who = self.label(a.customer_id);
            let line = match &a.kind {
                ActionKind::Message(m) => {
                    let channels: Vec<&str> = m.channels.iter().map(|c| c.as_str()).collect();
                    let items: Vec<String> = m
                        .items
                        .iter()
                        .map(|i| {
                            let name = match (i.installment, i.part) {
                                (Some(inst), _) => {
                                    format!("plan{}/{}", inst.plan_id, inst.number)
                                }
                                (None, Some(part)) => format!(
                                    "{}#{}/{}",
                                    self.invoice_label(i.invoice_id),
                                    part.number,
                                    part.of
                                ),
                                (None, None) => self.invoice_label(i.invoice_id),
                            };
                            let mut s = format!(
                                "{name} {}:{}d {} {}",
                                i.step,
                                i.days_past_due,
                                format_minor(i.open_minor, i.currency),
                                i.currency
                            );
                            if i.resend_invoice {
                                s.push_str(" +invoice");
                            }
                            if let Some(d) = i.interest_from {
                                write!(s, " interest-from {d}").unwrap();
                            }
                            s
                        })
                        .collect();
                    format!(
                        "message {who} [{}] {}: {}",
                        channels.join("+"),
                        m.template,
                        items.join("; ")
                    )
                }
                ActionKind::Task(t) => {
                    let invoices: Vec<String> = t
                        .invoice_ids
                        .iter()
                        .map(|i| self.invoice_label(*i))
                        .collect();
                    let mut s = format!("task {who} {} [{}]", t.kind.as_str(), invoices.join(" "));
                    if !t.proposals.is_empty() {
                        write!(s, " proposes {}", t.proposals.join(", ")).unwrap();
                    }
                    write!(s, ": {}", t.title).unwrap();
                    s
                }
                ActionKind::Fee {
                    invoice_id,
                    currency,
                    amount_minor,
                    step,
                    ..
                } => format!(
                    "fee {who} {} {} {currency} ({step})",
                    self.invoice_label(*invoice_id),
                    format_minor(*amount_minor, *currency)
                ),
                ActionKind::Compensation {
                    invoice_id,
                    currency,
                    amount_minor,
                    law,
                    ..
                } => format!(
                    "compensation {who} {} {} {currency} ({law})",
                    self.invoice_label(*invoice_id),
                    format_minor(*amount_minor, *currency)
                ),
                ActionKind::Interest {
                    invoice_id,
                    currency,
                    amount_minor,
                    from,
                    through,
                    uncapped_minor,
                    ..
                } => {
                    let mut s = format!(
                        "interest {who} {} {} {currency} {from}..{through}",
                        self.invoice_label(*invoice_id),
                        format_minor(*amount_minor, *currency)
                    );
                    if let Some(u) = uncapped_minor {
                        write!(s, " (capped from {})", format_minor(*u, *currency)).unwrap();
                    }
                    s
                }
                ActionKind::ChargeReversed {
                    invoice_id,
                    currency,
                    charge,
                    amount_minor,
                    reason,
                    ..
                } => format!(
                    "reversed {who} {} {} {} {currency}: {reason}",
                    charge.as_str(),
                    self.invoice_label(*invoice_id),
                    format_minor(*amount_minor, *currency)
                ),
                ActionKind::Skip { steps, invoice_id } => {
                    format!(
                        "skip {who} {} {}",
                        self.invoice_label(*invoice_id),
                        steps.join(", ")
                    )
                }
                ActionKind::NotCharged {
                    invoice_id, reason, ..
                } => format!(
                    "not-charged {who} {}: {reason}",
                    self.invoice_label(*invoice_id)
                ),
                ActionKind::SetStatus { from, to, reason } => {
                    format!("status {who} {from} -> {to}: {reason}")
                }
                ActionKind::SetTier { from, to, reasons } => {
                    format!("tier {who} {from} -> {to}: {}", reasons.join("; "))
                }
                ActionKind::PromiseSettled {
                    promise_id,
                    kept,
                    currency,
                    amount_minor,
                    received_minor,
                } => format!(
                    "promise {who} #{promise_id} {} (received {} of {} {currency})",
                    if *kept { "kept" } else { "broken" },
                    format_minor(*received_minor, *currency),
                    format_minor(*amount_minor, *currency)
                ),
                ActionKind::PlanSettled {
                    plan_id,
                    outcome,
                    installment,
                } => {
                    let outcome = match outcome {
                        PlanOutcome::Completed => "completed",
                        PlanOutcome::Defaulted => "defaulted",
                    };
                    let mut s = format!("plan {who} #{plan_id} {outcome}");
                    if let Some(n) = installment {
                        write!(s, " at installment {n}").unwrap();
                    }
                    s
                }
                ActionKind::CloseTask {
                    task_id,
                    title,
                    reason,
                } => format!("close-task {who} #{task_id} \"{title}\": {reason}"),
            };
            writeln!(out, "{line}    <{}>", a.rule).unwrap();
        }
        out
    }

    /// What each customer owes and holds as credit, per currency, apart.
    fn balance(&self, as_of: Date) -> String {
        let mut rows: BTreeMap<(i64, Currency), (i64, i64)> = BTreeMap::new();
        for i in self.book.invoices.values() {
            rows.entry((i.customer_id, i.currency)).or_default().0 += i.open_as_of(as_of);
        }
        for c in self.credits(as_of) {
            rows.entry((c.customer_id, c.currency)).or_default().1 += c.unapplied_minor;
        }
        let mut out = String::new();
        for ((customer, currency), (owed, credit)) in rows {
            writeln!(
                out,
                "{} {currency} owes {} credit {}",
                self.label(customer),
                format_minor(owed, currency),
                format_minor(credit, currency)
            )
            .unwrap();
        }
        out
    }

    fn aging(&self, as_of: Date) -> String {
        let report = aging_of(
            as_of,
            &AgingEdges::standard(),
            self.book.invoices.values(),
            &self.plans,
            false,
        );
        let mut out = String::new();
        for ((customer, currency), row) in &report.rows {
            let amounts: Vec<String> = row
                .amounts_minor
                .iter()
                .map(|a| format_minor(*a, *currency))
                .collect();
            writeln!(
                out,
                "{} {currency} {}",
                self.label(*customer),
                amounts.join(" ")
            )
            .unwrap();
        }
        out
    }
}

/// Runs one scenario file; returns it with the snapshots as decided.
fn play(text: &str) -> Result<String, String> {
    let mut scenario = Scenario::new();
    let mut out = String::new();
    let mut lines = text.lines().peekable();
    let mut number = 0;
    while let Some(line) = lines.next() {
        number += 1;
        let line_number = number;
        let at = move |e: String| format!("line {line_number}: {e}");
        let body = line.split(" ;").next().unwrap_or("").trim_end();
        if line.starts_with(' ') || line.trim().is_empty() || line.starts_with(';') {
            if !line.starts_with(' ') {
                out.push_str(line);
                out.push('\n');
            }
            continue;
        }
        out.push_str(line);
        out.push('\n');
        let words: Vec<&str> = body.split_whitespace().collect();
        match words.as_slice() {
            ["policy"] => {
                let mut fragment = String::new();
                while let Some(next) = lines.peek() {
                    if !next.starts_with(' ') {
                        break;
                    }
                    fragment.push_str(next.trim());
                    fragment.push('\n');
                    out.push_str(next);
                    out.push('\n');
                    lines.next();
                    number += 1;
                }
                scenario.set_policy(&fragment).map_err(at)?;
            }
            ["runs", from, to] => {
                // A run every day from `from` through `to`; only the days
                // the run did something are shown, each line with its day.
                while lines.peek().is_some_and(|l| l.starts_with(' ')) {
                    lines.next();
                    number += 1;
                }
                let (from, to) = (date_of(from).map_err(at)?, date_of(to).map_err(at)?);
                let mut day = from;
                while day <= to {
                    let result = scenario.run(day).map_err(at)?;
                    if result.trim() != "(nothing)" {
                        for l in result.lines() {
                            out.push_str(&format!("    {day} {l}\n"));
                        }
                    }
                    day = day.add_days(1);
                }
            }
            ["run", date] | ["aging", date] | ["balance", date] => {
                while lines.peek().is_some_and(|l| l.starts_with(' ')) {
                    lines.next();
                    number += 1;
                }
                let date = date_of(date).map_err(at)?;
                let result = match words[0] {
                    "run" => scenario.run(date).map_err(at)?,
                    "balance" => scenario.balance(date),
                    _ => scenario.aging(date),
                };
                for l in result.lines() {
                    out.push_str("    ");
                    out.push_str(l);
                    out.push('\n');
                }
            }
            [date, verb, args @ ..] => {
                let date = date_of(date).map_err(at)?;
                let args: Vec<&str> = args.iter().map(|a| a.trim_matches('"')).collect();
                scenario.fact(date, verb, &args).map_err(at)?;
            }
            _ => return Err(at(format!("cannot read '{line}'"))),
        }
    }
    Ok(out)
}

#[test]
fn every_scenario_decides_what_its_snapshot_says() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/collections");
    let update = std::env::var("DUN_UPDATE_SCENARIOS").is_ok_and(|v| v == "1");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/collections exists")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "scn"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 10,
        "expected the scenario files in {}",
        dir.display()
    );
    let mut failures = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path).expect("read scenario");
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        match play(&text) {
            Err(e) => failures.push(format!("{name}: {e}")),
            Ok(actual) if actual != text => {
                if update {
                    std::fs::write(&path, &actual).expect("write scenario");
                } else {
                    let diff: Vec<String> = text
                        .lines()
                        .zip(actual.lines().chain(std::iter::repeat("<missing>")))
                        .enumerate()
                        .filter(|(_, (a, b))| a != b)
                        .take(8)
                        .map(|(i, (a, b))| {
                            format!("  line {}:\n    expected: {a}\n    decided:  {b}", i + 1)
                        })
                        .collect();
                    failures.push(format!(
                        "{name}: the run decided otherwise\n{}",
                        diff.join("\n")
                    ));
                }
            }
            Ok(_) => {}
        }
    }
    assert!(
        failures.is_empty(),
        "{}\n(DUN_UPDATE_SCENARIOS=1 rewrites the snapshots)",
        failures.join("\n\n")
    );
}

mod random_books {
    //! Random books, run on random days: whatever the book, every run is
    //! deterministic, a second run of the same day decides nothing, no mark
    //! is decided twice (all asserted inside `play`), and fees and interest
    //! keep the ledger's open-balance identity.
    use super::*;
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    enum Fact {
        Invoice {
            customer: u8,
            day: u16,
            cents: u32,
            terms: u8,
        },
        Payment {
            customer: u8,
            day: u16,
            cents: u32,
        },
        Promise {
            customer: u8,
            day: u16,
            cents: u32,
            wait: u8,
        },
        Dispute {
            invoice: u8,
        },
        Run {
            day: u16,
        },
    }

    fn fact() -> impl Strategy<Value = Fact> {
        prop_oneof![
            4 => (0u8..4, 0u16..200, 1u32..500_000, 0u8..4)
                .prop_map(|(customer, day, cents, terms)| Fact::Invoice { customer, day, cents, terms }),
            2 => (0u8..4, 0u16..300, 1u32..300_000)
                .prop_map(|(customer, day, cents)| Fact::Payment { customer, day, cents }),
            1 => (0u8..4, 0u16..300, 1u32..100_000, 1u8..30)
                .prop_map(|(customer, day, cents, wait)| Fact::Promise { customer, day, cents, wait }),
            1 => (0u8..20).prop_map(|invoice| Fact::Dispute { invoice }),
            3 => (0u16..400).prop_map(|day| Fact::Run { day }),
        ]
    }

    fn text_of(facts: &[Fact]) -> String {
        let base = Date::parse("2026-01-01").unwrap();
        let day = |d: u16| base.add_days(i32::from(d));
        let mut out = String::new();
        let mut invoices = 0u8;
        let mut last_run = 0u16;
        for f in facts {
            match f {
                Fact::Invoice {
                    customer,
                    day: d,
                    cents,
                    terms,
                } => {
                    invoices += 1;
                    let terms =
                        ["net30", "due_on_receipt", "eom15", "installments:30/60"][*terms as usize];
                    let amount = format!("{}.{:02}", cents / 100, cents % 100);
                    writeln!(
                        out,
                        "{} invoice I{invoices} C{customer} {amount} USD {terms}",
                        day(*d)
                    )
                    .unwrap();
                }
                Fact::Payment {
                    customer,
                    day: d,
                    cents,
                } => {
                    writeln!(
                        out,
                        "{} payment C{customer} {}.{:02} USD oldest",
                        day(*d),
                        cents / 100,
                        cents % 100
                    )
                    .unwrap();
                }
                Fact::Promise {
                    customer,
                    day: d,
                    cents,
                    wait,
                } => {
                    writeln!(
                        out,
                        "{} promise C{customer} {}.{:02} USD by {}",
                        day(*d),
                        cents / 100,
                        cents % 100,
                        day(*d + u16::from(*wait))
                    )
                    .unwrap();
                }
                Fact::Dispute { invoice } if *invoice < invoices => {
                    writeln!(out, "{} dispute I{}", day(0), invoice + 1).unwrap();
                }
                Fact::Dispute { .. } => {}
                Fact::Run { day: d } => {
                    // Runs go forward.
                    let d = (*d).max(last_run);
                    last_run = d;
                    writeln!(out, "run {}", day(d)).unwrap();
                }
            }
        }
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn any_book_any_days(facts in prop::collection::vec(fact(), 1..40)) {
            let text = text_of(&facts);
            // A payment dated before every invoice of its customer is
            // credit; every fact here is one the book accepts.
            let played = play(&text);
            prop_assert!(played.is_ok(), "{}\n{:?}", text, played);
        }
    }
}
