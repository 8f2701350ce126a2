//! The policy as a TOML document: what the owner reads and edits, and what
//! each version stores.
//!
//! [`parse`] turns text into a checked [`Policy`] or into every problem it
//! can name, each with the document's line; [`render`] writes a policy back
//! as TOML (when no text was kept); [`summarize_changes`] says in sentences
//! what a new version changes. The text is only read, never touched: no I/O.

use std::fmt;
use std::ops::Range;

use serde::Serialize;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::policy::{CustomerOverride, Policy, PolicyProblem, OVERRIDES_MAX, STEPS_MAX};

/// Largest policy document accepted, in bytes.
pub const DOCUMENT_BYTES_MAX: usize = 256 * 1024;

/// Dun's default policy: PRODUCT.md's ladder, commented for the owner.
pub const DEFAULT_POLICY: &str = include_str!("default_policy.toml");

/// One thing wrong with a policy document: the line (1-based, when one can
/// be named), the place in the policy, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DocumentError {
    pub line: Option<usize>,
    pub place: String,
    pub reason: String,
}

impl fmt::Display for DocumentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(line) = self.line {
            write!(f, "line {line}: ")?;
        }
        write!(f, "{}: {}", self.place, self.reason)
    }
}

impl std::error::Error for DocumentError {}

/// Reads a policy document and checks it. On failure, every problem found:
/// a document that is not TOML or does not fit the policy's shape stops at
/// its first problem; one that fits gets all of [`Policy::check`]'s.
pub fn parse(text: &str) -> Result<Policy, Vec<DocumentError>> {
    if text.len() > DOCUMENT_BYTES_MAX {
        return Err(vec![DocumentError {
            line: None,
            place: "document".into(),
            reason: format!(
                "it is {} bytes; at most {DOCUMENT_BYTES_MAX} are accepted",
                text.len()
            ),
        }]);
    }
    let policy: Policy = match toml::from_str(text) {
        Ok(policy) => policy,
        Err(e) => return Err(vec![shape_error(text, &e)]),
    };
    // The text parsed once already, so this parse (which keeps every
    // key's position) cannot fail; without it, errors lose their lines.
    let tree = DeTable::parse(text).ok();
    match policy.check() {
        Ok(()) => Ok(policy),
        Err(problems) => Err(problems
            .into_iter()
            .map(|p| {
                let line = tree
                    .as_ref()
                    .and_then(|t| problem_span(t.get_ref(), &p))
                    .map(|span| line_of(text, span.start));
                DocumentError {
                    line,
                    place: p.place,
                    reason: p.reason,
                }
            })
            .collect()),
    }
}

/// The policy as TOML that [`parse`] reads back to an equal policy. Used
/// when no text was kept; the owner's comments live only in kept text.
pub fn render(policy: &Policy) -> String {
    let body = toml::to_string_pretty(policy)
        .expect("a policy is plain tables, strings, integers and booleans");
    format!("# Dun credit policy (written out by Dun; notes are not kept)\n\n{body}")
}

/// `text` (a policy document) with `added` appended as a `[[customer]]`
/// table under the comment `note`, the owner's lines and notes kept as
/// written. Every value is written by TOML's own rules (quotes, escapes),
/// and only what the override sets. Unchecked: the caller [`parse`]s the
/// result, as ever.
pub fn append_override(text: &str, added: &CustomerOverride, note: &str) -> String {
    /// The override as its table is written: what it leaves to the
    /// defaults left out.
    #[derive(Serialize)]
    struct Row<'a> {
        #[serde(rename = "ref")]
        reference: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        terms: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        credit_limit: Option<String>,
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        pause: bool,
        #[serde(skip_serializing_if = "is_zero")]
        ladder_shift_days: i32,
        #[serde(skip_serializing_if = "str::is_empty")]
        reason: &'a str,
    }
    fn is_zero(days: &i32) -> bool {
        *days == 0
    }
    #[derive(Serialize)]
    struct Tables<'a> {
        customer: [Row<'a>; 1],
    }
    let table = toml::to_string(&Tables {
        customer: [Row {
            reference: &added.reference,
            terms: added.terms.as_ref().map(ToString::to_string),
            credit_limit: added.credit_limit.as_ref().map(ToString::to_string),
            pause: added.pause,
            ladder_shift_days: added.ladder_shift_days,
            reason: &added.reason,
        }],
    })
    .expect("an override is strings, an integer and a boolean");
    let mut out = text.to_string();
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    let note: String = note
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    out.push_str(&format!("\n# {note}\n{table}"));
    out
}

/// `text` (a policy document) changed to say `policy`: each value that
/// differs is rewritten where the text writes it, a value the text leaves
/// to its default is added after its table's last line, and one dropped is
/// taken out, so notes and every other line stay as written. When the
/// change is of shape (a step added or removed, a table the text does not
/// have), or the text does not read back as `policy` after the edit, the
/// policy is written out whole ([`render`]). Either way [`parse`] of the
/// result reads `policy` (unchecked: the caller checks it, as ever).
pub fn rewrite(text: &str, policy: &Policy) -> String {
    patch(text, policy).unwrap_or_else(|| render(policy))
}

fn patch(text: &str, new: &Policy) -> Option<String> {
    let old: Policy = toml::from_str(text).ok()?;
    let tree = DeTable::parse(text).ok()?;
    let mut edits: Vec<(Range<usize>, String)> = Vec::new();
    patch_table(
        text,
        tree.get_ref(),
        &as_table(&old),
        &as_table(new),
        &mut edits,
    )?;
    edits.sort_by_key(|(r, _)| std::cmp::Reverse(r.start));
    let mut out = text.to_string();
    for (range, value) in edits {
        out.replace_range(range, &value);
    }
    let back: Policy = toml::from_str(&out).ok()?;
    (&back == new).then_some(out)
}

/// A value as TOML writes it on one line (a table inline).
fn inline(value: &toml::Value) -> String {
    match value {
        toml::Value::Table(t) => {
            let parts: Vec<String> = t
                .iter()
                .map(|(k, v)| format!("{k} = {}", inline(v)))
                .collect();
            format!("{{ {} }}", parts.join(", "))
        }
        toml::Value::Array(items) => {
            let parts: Vec<String> = items.iter().map(inline).collect();
            format!("[{}]", parts.join(", "))
        }
        other => other.to_string(),
    }
}

fn patch_table(
    text: &str,
    doc: &DeTable<'_>,
    old: &toml::Table,
    new: &toml::Table,
    edits: &mut Vec<(Range<usize>, String)>,
) -> Option<()> {
    let keys: std::collections::BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    for key in keys {
        let (a, b) = (old.get(key), new.get(key));
        if a == b {
            continue;
        }
        let written = doc.get_key_value(key.as_str());
        match (a, b, written) {
            // Left to its default in the text: added after the table's last value.
            (_, Some(b), None) if !b.is_table() && !is_table_list(b) => {
                let end = doc.iter().map(|(_, v)| v.span().end).max()?;
                edits.push((end..end, format!("\n{key} = {}", inline(b))));
            }
            // Dropped: its line taken out.
            (Some(_), None, Some((k, v))) => {
                let start = text[..k.span().start].rfind('\n').map_or(0, |at| at + 1);
                let end = text[v.span().end..]
                    .find('\n')
                    .map_or(text.len(), |at| v.span().end + at + 1);
                edits.push((start..end, String::new()));
            }
            (Some(toml::Value::Table(a)), Some(toml::Value::Table(b)), Some((_, v))) => {
                let DeValue::Table(inner) = v.get_ref() else {
                    return None;
                };
                patch_table(text, inner, a, b, edits)?;
            }
            (Some(toml::Value::Array(a)), Some(toml::Value::Array(b)), Some((_, v)))
                if is_table_list(&toml::Value::Array(b.clone()))
                    || a.iter().any(toml::Value::is_table) =>
            {
                let DeValue::Array(items) = v.get_ref() else {
                    return None;
                };
                if items.len() != a.len() {
                    return None;
                }
                // Items taken out (the rest kept in order, by key): each
                // one's `[[…]]` table taken out of the text, its notes with it.
                if a.len() > b.len() {
                    let label = LISTS.iter().find(|(list, _)| list == key)?.1;
                    let mut kept = Vec::with_capacity(b.len());
                    let mut from = 0;
                    for y in b {
                        let j = (from..a.len()).find(|&j| {
                            a[j].get(label).is_some() && a[j].get(label) == y.get(label)
                        })?;
                        kept.push(j);
                        from = j + 1;
                    }
                    for (j, item) in items.iter().enumerate() {
                        if !kept.contains(&j) {
                            edits.push((item_range(text, item.span())?, String::new()));
                        }
                    }
                    for (y, &j) in b.iter().zip(&kept) {
                        match (&a[j], y, items[j].get_ref()) {
                            (
                                toml::Value::Table(x),
                                toml::Value::Table(y),
                                DeValue::Table(inner),
                            ) => patch_table(text, inner, x, y, edits)?,
                            _ => return None,
                        }
                    }
                    continue;
                }
                // Items added at the end: written after the document's end,
                // which in TOML is after the list's last item. The items
                // before must be the same ones (by key), or notes would stay
                // beside another item than theirs.
                if b.len() > a.len() {
                    let label = LISTS.iter().find(|(list, _)| list == key)?.1;
                    let same = a
                        .iter()
                        .zip(b)
                        .all(|(x, y)| x.get(label).is_some() && x.get(label) == y.get(label));
                    if !same {
                        return None;
                    }
                    let mut added = String::new();
                    for item in &b[a.len()..] {
                        added.push_str(&format!("\n[[{key}]]\n{}", toml::to_string(item).ok()?));
                    }
                    if !text.ends_with('\n') {
                        added.insert(0, '\n');
                    }
                    edits.push((text.len()..text.len(), added));
                }
                for ((a, b), item) in a.iter().zip(b).zip(items) {
                    match (a, b, item.get_ref()) {
                        (toml::Value::Table(a), toml::Value::Table(b), DeValue::Table(inner)) => {
                            patch_table(text, inner, a, b, edits)?
                        }
                        _ => return None,
                    }
                }
            }
            (Some(_), Some(b), Some((_, v))) if !is_table_list(b) => {
                edits.push((v.span(), inline(b)));
            }
            _ => return None,
        }
    }
    Some(())
}

/// The text of one `[[…]]` table whose header `span` starts: from its
/// header's line to the next header, less the notes and blank lines just
/// before that (they introduce what follows).
fn item_range(text: &str, span: Range<usize>) -> Option<Range<usize>> {
    let start = text[..span.start].rfind('\n').map_or(0, |at| at + 1);
    if !text[start..].trim_start().starts_with("[[") {
        return None;
    }
    let mut at = text[start..]
        .find('\n')
        .map_or(text.len(), |i| start + i + 1);
    let mut end = at;
    while at < text.len() {
        let line_end = text[at..].find('\n').map_or(text.len(), |i| at + i + 1);
        let line = text[at..line_end].trim();
        if line.starts_with('[') {
            break;
        }
        if !line.is_empty() && !line.starts_with('#') {
            end = line_end;
        }
        at = line_end;
    }
    // And the blank lines after it.
    while let Some(line_end) = text[end..].find('\n').map(|i| end + i + 1) {
        if !text[end..line_end].trim().is_empty() {
            break;
        }
        end = line_end;
    }
    Some(start..end)
}

fn is_table_list(value: &toml::Value) -> bool {
    value
        .as_array()
        .is_some_and(|items| !items.is_empty() && items.iter().all(toml::Value::is_table))
}

/// 1-based line of byte `offset` in `text`.
fn line_of(text: &str, offset: usize) -> usize {
    let offset = offset.min(text.len());
    text.as_bytes()[..offset]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

// ---------------------------------------------------------------------------
// Errors of shape: where toml says, named as the owner reads the document.

/// A step of the path from the document's root to a value.
enum PathPart {
    Key(String),
    /// The `index`th `[[name]]` table, with its `key` (or `ref`) if it has one.
    Item {
        index: usize,
        label: Option<String>,
    },
}

/// The `[[…]]` lists and the field that names their items.
const LISTS: [(&str, &str); 3] = [("reminder", "key"), ("step", "key"), ("customer", "ref")];

fn shape_error(text: &str, error: &toml::de::Error) -> DocumentError {
    let reason = friendly(error.message());
    let span = error.span().filter(|s| !(s.start == 0 && s.end == 0));
    let Some(span) = span else {
        return DocumentError {
            line: None,
            place: "document".into(),
            reason,
        };
    };
    let line = Some(line_of(text, span.start));
    let found = DeTable::parse(text)
        .ok()
        .and_then(|tree| locate(tree.get_ref(), &span, &mut Vec::new()));
    let Some((path, on_key)) = found else {
        return DocumentError {
            line,
            place: "document".into(),
            reason,
        };
    };
    let (place, leaf) = place_of(&path, on_key);
    let reason = match leaf {
        Some(leaf) => format!("{leaf}: {reason}"),
        None => reason,
    };
    DocumentError {
        line,
        place,
        reason,
    }
}

/// The deepest key or value whose span holds `span`'s start, as a path;
/// `true` when it is the key itself (an unknown key), not its value.
fn locate(
    table: &DeTable<'_>,
    span: &Range<usize>,
    path: &mut Vec<PathPart>,
) -> Option<(Vec<PathPart>, bool)> {
    let holds = |s: Range<usize>| s.start <= span.start && span.start < s.end.max(s.start + 1);
    for (key, value) in table.iter() {
        path.push(PathPart::Key(key.get_ref().to_string()));
        if let Some(found) = locate_value(key.get_ref(), value, span, path) {
            return Some(found);
        }
        if holds(key.span()) {
            return Some((std::mem::take(path), true));
        }
        if holds(value.span()) {
            return Some((std::mem::take(path), false));
        }
        path.pop();
    }
    None
}

fn locate_value(
    name: &str,
    value: &Spanned<DeValue<'_>>,
    span: &Range<usize>,
    path: &mut Vec<PathPart>,
) -> Option<(Vec<PathPart>, bool)> {
    match value.get_ref() {
        DeValue::Table(inner) => locate(inner, span, path),
        DeValue::Array(items) => {
            let label_key = LISTS.iter().find(|(list, _)| *list == name)?.1;
            for (index, item) in items.iter().enumerate() {
                let DeValue::Table(inner) = item.get_ref() else {
                    continue;
                };
                let label = inner
                    .get(label_key)
                    .and_then(|v| v.get_ref().as_str())
                    .map(str::to_string);
                path.push(PathPart::Item { index, label });
                if let Some(found) = locate(inner, span, path) {
                    return Some(found);
                }
                let s = item.span();
                if s.start <= span.start && span.start < s.end.max(s.start + 1) {
                    return Some((std::mem::take(path), false));
                }
                path.pop();
            }
            None
        }
        _ => None,
    }
}

/// `("step 3 ('final_demand')", Some("days_past_due"))` or
/// `("late_fee.flat", None)`: the place as [`PolicyProblem`] names places,
/// and the key to name in the reason when the place is a list's item. An
/// unknown key is left out of the place (toml's message names it).
fn place_of(path: &[PathPart], on_key: bool) -> (String, Option<String>) {
    let path = if on_key && path.len() > 1 {
        &path[..path.len() - 1]
    } else {
        path
    };
    let mut place = String::new();
    let mut after_item: Vec<&str> = Vec::new();
    for (i, part) in path.iter().enumerate() {
        match part {
            PathPart::Key(key) => {
                let is_list = matches!(path.get(i + 1), Some(PathPart::Item { .. }));
                if is_list {
                    continue;
                }
                if place.contains('(') {
                    after_item.push(key);
                } else {
                    if !place.is_empty() {
                        place.push('.');
                    }
                    place.push_str(key);
                }
            }
            PathPart::Item { index, label } => {
                let PathPart::Key(list) = &path[i - 1] else {
                    continue;
                };
                place = match label {
                    Some(label) => format!("{list} {} ('{label}')", index + 1),
                    None => format!("{list} {}", index + 1),
                };
            }
        }
    }
    if place.is_empty() {
        place = "document".into();
    }
    let leaf = (!after_item.is_empty()).then(|| after_item.join("."));
    (place, leaf)
}

/// toml's and serde's words, with what the owner would write instead.
fn friendly(message: &str) -> String {
    let mut out = message
        .replace("expected u32", "expected a whole number, 0 or more")
        .replace("expected i32", "expected a whole number")
        .replace("expected a boolean", "expected true or false");
    if out.contains("expected a string")
        && (out.contains("integer") || out.contains("floating point"))
    {
        out.push_str("; write amounts and rates in quotes, e.g. \"40.00\"");
    }
    out
}

// ---------------------------------------------------------------------------
// Problems of sense: find the line a `PolicyProblem` speaks of.

fn problem_span(tree: &DeTable<'_>, problem: &PolicyProblem) -> Option<Range<usize>> {
    let place = problem.place.as_str();
    if place == "reminder/step" {
        // The first step past the limit, in the document's order.
        let mut headers: Vec<Range<usize>> = list_headers(tree, "reminder")
            .into_iter()
            .chain(list_headers(tree, "step"))
            .collect();
        headers.sort_by_key(|s| s.start);
        return headers.get(STEPS_MAX).or(headers.first()).cloned();
    }
    if place == "customer" {
        let headers = list_headers(tree, "customer");
        return headers.get(OVERRIDES_MAX).or(headers.first()).cloned();
    }
    for (list, _) in LISTS {
        let Some(rest) = place.strip_prefix(list).and_then(|r| r.strip_prefix(' ')) else {
            continue;
        };
        let number: usize = rest.split(' ').next()?.parse().ok()?;
        let item = list_items(tree, list)
            .into_iter()
            .nth(number.checked_sub(1)?)?;
        let DeValue::Table(inner) = item.get_ref() else {
            return Some(item.span());
        };
        return Some(named_key(inner, &problem.reason).unwrap_or(item.span()));
    }
    // A dotted place: the deepest key of it the document has.
    let mut table = tree;
    let mut best = None;
    for part in place.split('.') {
        let Some((key, value)) = table.get_key_value(part) else {
            break;
        };
        best = Some(key.span());
        match value.get_ref() {
            DeValue::Table(inner) => table = inner,
            _ => break,
        }
    }
    best
}

fn list_items<'t, 'i>(tree: &'t DeTable<'i>, list: &str) -> Vec<&'t Spanned<DeValue<'i>>> {
    match tree.get(list).map(Spanned::get_ref) {
        Some(DeValue::Array(items)) => items.iter().collect(),
        _ => Vec::new(),
    }
}

fn list_headers(tree: &DeTable<'_>, list: &str) -> Vec<Range<usize>> {
    list_items(tree, list)
        .into_iter()
        .map(Spanned::span)
        .collect()
}

/// The span of the item's key that `reason` names first (as a word, or in
/// the singular: "effect late_fee" names `effects`).
fn named_key(table: &DeTable<'_>, reason: &str) -> Option<Range<usize>> {
    table
        .iter()
        .filter_map(|(key, _)| {
            let name = key.get_ref();
            let singular = name.strip_suffix('s').unwrap_or(name);
            [name.as_ref(), singular]
                .into_iter()
                .filter_map(|n| word_at(reason, n))
                .min()
                .map(|at| (at, key.span()))
        })
        .min_by_key(|(at, _)| *at)
        .map(|(_, span)| span)
}

/// Where `word` first stands alone in `text`.
fn word_at(text: &str, word: &str) -> Option<usize> {
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    text.match_indices(word).map(|(at, _)| at).find(|&at| {
        let before = text[..at].chars().next_back();
        let after = text[at + word.len()..].chars().next();
        !before.is_some_and(is_word) && !after.is_some_and(is_word)
    })
}

// ---------------------------------------------------------------------------
// What changed between two versions, in sentences.

/// The order sections and fields are described in: the document's own.
const ORDER: &[&str] = &[
    // The document's sections.
    "default_terms",
    "law",
    "default_debtor",
    "credit",
    "payments",
    "reminder",
    "step",
    "late_fee",
    "interest",
    "tiers",
    "plans",
    "collateral",
    "invoicing",
    "customer",
    // Their fields, as policy.rs declares them.
    "key",
    "ref",
    "days_before_due",
    "days_past_due",
    "channels",
    "template",
    "effects",
    "default_limit",
    "cod_when_days_past_due",
    "lift_when_nothing_overdue",
    "minimum_overdue_balance",
    "accepted_methods",
    "allocation",
    "unapplied_credit",
    "run_after_bank_import",
    "bank_import_wait_until",
    "flat",
    "percent",
    "per",
    "period_days",
    "annual_rate_percent",
    "start",
    "grace_days",
    "monthly_cap",
    "minimum_charge",
    "compound",
    "day_count",
    "settled_invoices_to_rate",
    "history_days",
    "new",
    "low",
    "medium",
    "high",
    "critical",
    "avg_days_late_at_least",
    "on_time_percent_below",
    "step_reached",
    "broken_promises_at_least",
    "disputes_at_least",
    "tenure_days_below",
    "terms",
    "credit_limit",
    "pause",
    "ladder_shift_days",
    "cod",
    "worklist_weight_percent",
    "cap",
    "send_on_issue",
    "reason",
];

/// Sentences saying what `new` changes from `old`, in the document's order:
/// "step final_demand: days_past_due 60 → 45", "late_fee: flat 40.00 →
/// 25.00", "step added: …", "customer C-1: override added". Empty when
/// the two are equal.
pub fn summarize_changes(old: &Policy, new: &Policy) -> Vec<String> {
    let old = as_table(old);
    let new = as_table(new);
    let mut out = Vec::new();
    diff_tables("", &old, &new, &mut out);
    out
}

fn as_table(policy: &Policy) -> toml::Table {
    toml::Table::try_from(policy).expect("a policy is plain tables, strings, integers and booleans")
}

fn ordered_keys<'a>(old: &'a toml::Table, new: &'a toml::Table) -> Vec<&'a str> {
    let mut keys: Vec<&str> = old.keys().chain(new.keys()).map(String::as_str).collect();
    keys.sort_by_key(|k| (ORDER.iter().position(|o| o == k).unwrap_or(ORDER.len()), *k));
    keys.dedup();
    keys
}

fn diff_tables(place: &str, old: &toml::Table, new: &toml::Table, out: &mut Vec<String>) {
    for key in ordered_keys(old, new) {
        let told = |v: Option<&toml::Value>| v.map_or("none".to_string(), |v| show_field(key, v));
        let (a, b) = (old.get(key), new.get(key));
        if a == b {
            continue;
        }
        let here = if place.is_empty() {
            key.to_string()
        } else {
            format!("{place}.{key}")
        };
        if let (true, Some((_, label))) = (
            place.is_empty(),
            LISTS.iter().find(|(list, _)| *list == key),
        ) {
            diff_lists(key, label, a, b, out);
            continue;
        }
        match (a, b) {
            (Some(toml::Value::Table(a)), Some(toml::Value::Table(b))) => {
                diff_tables(&here, a, b, out)
            }
            (None, Some(toml::Value::Table(b))) => {
                out.push(format!("{here} added: {}", fields(b, &[])))
            }
            (Some(toml::Value::Table(_)), None) => out.push(format!("{here} removed")),
            (a, b) if place.is_empty() => out.push(format!("{key}: {} → {}", told(a), told(b))),
            (a, b) => out.push(format!("{place}: {key} {} → {}", told(a), told(b))),
        }
    }
}

/// `[[step]]`, `[[reminder]]`, `[[customer]]`: items matched by their key.
fn diff_lists(
    list: &str,
    label: &str,
    old: Option<&toml::Value>,
    new: Option<&toml::Value>,
    out: &mut Vec<String>,
) {
    let items = |v: Option<&toml::Value>| -> Vec<(String, toml::Table)> {
        v.and_then(toml::Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(toml::Value::as_table)
                    .map(|t| (t.get(label).map_or(String::new(), show), t.clone()))
                    .collect()
            })
            .unwrap_or_default()
    };
    let (old, new) = (items(old), items(new));
    let find = |list: &[(String, toml::Table)], name: &str| {
        list.iter().find(|(n, _)| n == name).map(|(_, t)| t.clone())
    };
    let is_customer = list == "customer";
    for (name, _) in &old {
        if find(&new, name).is_none() {
            out.push(if is_customer {
                format!("customer {name}: override removed")
            } else {
                format!("{list} removed: {name}")
            });
        }
    }
    for (name, table) in &new {
        match find(&old, name) {
            None => out.push(if is_customer {
                format!(
                    "customer {name}: override added ({})",
                    fields(table, &[label])
                )
            } else {
                format!("{list} added: {name} ({})", fields(table, &[label]))
            }),
            Some(before) => diff_tables(&format!("{list} {name}"), &before, table, out),
        }
    }
    // Same items, another order (reminders listed in a new order).
    let names = |l: &[(String, toml::Table)]| l.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    let (before, after) = (names(&old), names(&new));
    let common = |a: &[String], b: &[String]| {
        a.iter()
            .filter(|n| b.contains(n))
            .cloned()
            .collect::<Vec<_>>()
    };
    let (a, b) = (common(&before, &after), common(&after, &before));
    if a != b {
        out.push(format!("{list}: order {} → {}", a.join(", "), b.join(", ")));
    }
}

/// `days_past_due 60; channels letter + email; …`, leaving out `skip`.
fn fields(table: &toml::Table, skip: &[&str]) -> String {
    let empty = toml::Table::new();
    let parts: Vec<String> = ordered_keys(table, &empty)
        .into_iter()
        .filter(|k| !skip.contains(k))
        .map(|k| format!("{k} {}", show_field(k, &table[k])))
        .collect();
    parts.join("; ")
}

/// Fields that hold money: told as money is written ("40.00", not "40").
const MONEY_FIELDS: [&str; 7] = [
    "minimum_overdue_balance",
    "flat",
    "cap",
    "default_limit",
    "credit_limit",
    "monthly_cap",
    "minimum_charge",
];

fn show_field(key: &str, value: &toml::Value) -> String {
    match value {
        toml::Value::String(s) if MONEY_FIELDS.contains(&key) && !s.contains('.') => {
            format!("{s}.00")
        }
        other => show(other),
    }
}

fn show(value: &toml::Value) -> String {
    match value {
        toml::Value::String(s) => s.clone(),
        toml::Value::Array(items) if items.is_empty() => "none".into(),
        toml::Value::Array(items) => items.iter().map(show).collect::<Vec<_>>().join(" + "),
        toml::Value::Table(t) => format!("({})", fields(t, &[])),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collections::policy::{
        AllocationOrder, Channel, CollateralRules, CreditApplication, CreditRules, DayCount,
        Effect, FeeBasis, InterestRule, InterestStart, InvoicingRules, LadderStep, LateFee,
        PaymentRules, PlanRules, PolicyAmount, PolicyMoney, Reminder, TierRule, TierRules,
    };
    use crate::terms::Terms;

    fn amount(text: &str) -> PolicyAmount {
        PolicyAmount::parse(text).unwrap()
    }

    fn home(text: &str) -> PolicyMoney {
        PolicyMoney::Home(amount(text))
    }

    fn default_policy() -> Policy {
        parse(DEFAULT_POLICY).unwrap_or_else(|e| panic!("the default policy: {e:#?}"))
    }

    #[test]
    fn an_appended_override_reads_back_as_written_whatever_its_text() {
        let reason =
            "Pays \"quarterly\" by cheque\\ \"\"\"\n]] [[customer]]\tref = \"X\" \u{7f}\u{1b} é ☃";
        let added = CustomerOverride {
            reference: "BOLT \"#1\"".into(),
            terms: Some(Terms::parse("net60").unwrap()),
            credit_limit: Some(amount("10000")),
            pause: false,
            ladder_shift_days: 0,
            reason: reason.into(),
        };
        let text = append_override(
            DEFAULT_POLICY.trim_end_matches('\n'),
            &added,
            "Added by Ann\n[[customer]] on 2026-03-01",
        );
        let policy = parse(&text).unwrap_or_else(|e| panic!("{e:#?}\n{text}"));
        assert_eq!(policy.overrides, vec![added.clone()], "{text}");
        // Only what the override sets is written; the owner's text is kept.
        let kept = DEFAULT_POLICY.trim_end_matches('\n');
        assert!(text.starts_with(kept));
        let table = &text[kept.len()..];
        assert!(
            !table.contains("pause") && !table.contains("ladder_shift_days"),
            "{table}"
        );
        // A second override, with the rest of what one may say.
        let other = CustomerOverride {
            reference: "ZED".into(),
            terms: None,
            credit_limit: None,
            pause: true,
            ladder_shift_days: -5,
            reason: String::new(),
        };
        let text = append_override(&text, &other, "another");
        assert_eq!(
            parse(&text).unwrap().overrides,
            vec![added, other],
            "{text}"
        );
    }

    /// The default policy with `from` replaced by `to` (which must occur once).
    fn edited(from: &str, to: &str) -> String {
        assert_eq!(
            DEFAULT_POLICY.matches(from).count(),
            1,
            "'{from}' must occur once in the default policy"
        );
        DEFAULT_POLICY.replacen(from, to, 1)
    }

    /// The first line of the document, not a note, on which `needle` appears.
    fn line_with(text: &str, needle: &str) -> usize {
        text.lines()
            .position(|l| !l.trim_start().starts_with('#') && l.contains(needle))
            .unwrap_or_else(|| panic!("'{needle}' is not in the text"))
            + 1
    }

    /// Parses `text`, insists it fails with exactly one error, returns it.
    fn one_error(text: &str) -> DocumentError {
        let errors = parse(text).expect_err("the document should be refused");
        assert_eq!(errors.len(), 1, "{errors:#?}");
        errors.into_iter().next().unwrap()
    }

    fn step(key: &str, days: u32, channels: &[Channel], effects: &[Effect]) -> LadderStep {
        LadderStep {
            key: key.into(),
            days_past_due: days,
            channels: channels.to_vec(),
            template: key.into(),
            effects: effects.to_vec(),
        }
    }

    fn reminder(key: &str, days: u32) -> Reminder {
        Reminder {
            key: key.into(),
            days_before_due: days,
            channels: vec![Channel::Email],
            template: key.into(),
        }
    }

    /// PRODUCT.md's default ladder, written out field by field.
    fn product_default() -> Policy {
        use Channel::*;
        use Effect::{
            AnnounceInterest, CreditHold, ProposeAgency, ProposeLegal, ProposeWriteOff,
            ResendInvoice,
        };
        let tier = |weight: u32| TierRule {
            worklist_weight_percent: weight,
            ..TierRule::default()
        };
        Policy {
            default_terms: Terms::Net { days: 30 },
            law: crate::collections::law::Law::None,
            default_debtor: crate::collections::law::DebtorKind::Business,
            credit: CreditRules {
                default_limit: None,
                cod_when_days_past_due: Some(60),
                lift_when_nothing_overdue: true,
                minimum_overdue_balance: None,
            },
            payments: PaymentRules {
                accepted_methods: vec!["bank_transfer".into(), "card".into(), "check".into()],
                allocation: AllocationOrder::PrincipalFirst,
                unapplied_credit: CreditApplication::ApplyOldestFirst,
                run_after_bank_import: false,
                bank_import_wait_until: "12:00".into(),
            },
            reminders: vec![
                reminder("courtesy_reminder", 7),
                reminder("due_today_reminder", 0),
            ],
            ladder: vec![
                step("first_notice", 7, &[Email], &[]),
                step(
                    "second_notice",
                    30,
                    &[Email],
                    &[ResendInvoice, AnnounceInterest],
                ),
                step("follow_up_call", 35, &[CallTask], &[]),
                step(
                    "final_demand",
                    60,
                    &[Letter, Email],
                    &[Effect::LateFee, CreditHold],
                ),
                step(
                    "escalation_review",
                    90,
                    &[InternalTask],
                    &[ProposeAgency, ProposeLegal, ProposeWriteOff],
                ),
            ],
            late_fee: Some(LateFee {
                flat: Some(home("40.00")),
                percent: None,
                per: FeeBasis::Invoice,
                period_days: 30,
                cap: Some(home("40.00")),
            }),
            interest: Some(InterestRule {
                annual_rate_percent: amount("8"),
                start: InterestStart::Notice,
                grace_days: 45,
                monthly_cap: None,
                minimum_charge: Some(home("1.00")),
                compound: false,
                day_count: DayCount::Act365,
            }),
            tiers: TierRules {
                settled_invoices_to_rate: 3,
                history_days: 365,
                new: tier(120),
                low: tier(100),
                medium: TierRule {
                    avg_days_late_at_least: Some(10),
                    on_time_percent_below: Some(80),
                    ..tier(150)
                },
                high: TierRule {
                    avg_days_late_at_least: Some(30),
                    broken_promises_at_least: Some(2),
                    step_reached: Some("final_demand".into()),
                    ladder_shift_days: -7,
                    ..tier(200)
                },
                critical: TierRule {
                    avg_days_late_at_least: Some(60),
                    broken_promises_at_least: Some(4),
                    cod: true,
                    ladder_shift_days: -14,
                    ..tier(300)
                },
            },
            plans: PlanRules {
                default_after_days: 15,
                remind_days_before: Some(3),
                notice_days_past_due: 3,
            },
            collateral: CollateralRules {
                warn_days_before_expiry: 30,
            },
            invoicing: InvoicingRules::default(),
            overrides: Vec::new(),
        }
    }

    #[test]
    fn the_default_policy_is_product_mds_ladder_and_passes_its_check() {
        let policy = default_policy();
        assert_eq!(policy, product_default());
        assert_eq!(policy.check(), Ok(()));
        let offsets: Vec<(String, i32)> = policy
            .steps()
            .into_iter()
            .map(|s| (s.key, s.offset_days))
            .collect();
        assert_eq!(
            offsets,
            [
                ("courtesy_reminder".to_string(), -7),
                ("due_today_reminder".to_string(), 0),
                ("first_notice".to_string(), 7),
                ("second_notice".to_string(), 30),
                ("follow_up_call".to_string(), 35),
                ("final_demand".to_string(), 60),
                ("escalation_review".to_string(), 90),
            ]
        );
    }

    #[test]
    fn an_unknown_key_is_named_on_its_line() {
        let text = edited("grace_days = 45", "grace_days = 45\ngrace_dayz = 4");
        let error = one_error(&text);
        assert_eq!(error.line, Some(line_with(&text, "grace_dayz")));
        assert_eq!(error.place, "interest");
        assert!(
            error.reason.contains("unknown field `grace_dayz`"),
            "{error}"
        );
    }

    #[test]
    fn an_unknown_key_in_a_step_names_the_step() {
        let text = edited("days_past_due = 35", "days_past_due = 35\ntone = \"firm\"");
        let error = one_error(&text);
        assert_eq!(error.line, Some(line_with(&text, "tone =")));
        assert_eq!(error.place, "step 3 ('follow_up_call')");
        assert!(error.reason.contains("unknown field `tone`"), "{error}");
    }

    #[test]
    fn a_value_of_the_wrong_type_is_named_on_its_line() {
        let text = edited("\ndays_past_due = 60", "\ndays_past_due = \"sixty\"");
        let error = one_error(&text);
        assert_eq!(error.line, Some(line_with(&text, "\"sixty\"")));
        assert_eq!(error.place, "step 4 ('final_demand')");
        assert!(
            error.reason.starts_with("days_past_due: invalid type")
                && error.reason.contains("whole number"),
            "{error}"
        );
        assert_eq!(
            error.to_string(),
            format!(
                "line {}: step 4 ('final_demand'): {}",
                error.line.unwrap(),
                error.reason
            )
        );
    }

    #[test]
    fn an_amount_written_as_a_number_asks_for_quotes() {
        let text = edited("flat = \"40.00\"", "flat = 40.00");
        let error = one_error(&text);
        assert_eq!(error.line, Some(line_with(&text, "flat = 40.00")));
        assert_eq!(error.place, "late_fee.flat");
        assert!(error.reason.contains("in quotes"), "{error}");
    }

    #[test]
    fn an_amount_with_too_many_places_is_refused_on_its_line() {
        let text = edited("cap = \"40.00\"", "cap = \"12.3456789\"");
        let error = one_error(&text);
        assert_eq!(error.line, Some(line_with(&text, "12.3456789")));
        assert_eq!(error.place, "late_fee.cap");
        assert!(
            error.reason.contains("'12.3456789' has 7 decimal places"),
            "{error}"
        );
    }

    #[test]
    fn a_document_that_is_not_toml_is_refused_on_its_line() {
        let text = edited("history_days = 365", "history_days = = 365");
        let error = one_error(&text);
        assert_eq!(error.line, Some(line_with(&text, "history_days = =")));
    }

    #[test]
    fn a_missing_section_is_named() {
        let text = DEFAULT_POLICY.replace("[collateral]", "[collateralx]");
        let errors = parse(&text).unwrap_err();
        assert!(errors[0].reason.contains("collateral"), "{:#?}", errors);
        let start = DEFAULT_POLICY.find("[plans]").unwrap();
        let end = DEFAULT_POLICY.find("[collateral]").unwrap();
        let text = format!("{}{}", &DEFAULT_POLICY[..start], &DEFAULT_POLICY[end..]);
        let error = one_error(&text);
        assert_eq!((error.line, error.place.as_str()), (None, "document"));
        assert!(error.reason.contains("missing field `plans`"), "{error}");
    }

    #[test]
    fn a_key_used_twice_is_named_on_the_second_steps_key() {
        let text = edited("key = \"follow_up_call\"", "key = \"first_notice\"");
        let error = one_error(&text);
        assert_eq!(error.place, "step 3 ('first_notice')");
        assert_eq!(error.reason, "key is used twice");
        let second = text.rfind("key = \"first_notice\"").unwrap();
        assert_eq!(error.line, Some(line_of(&text, second)));
    }

    #[test]
    fn steps_out_of_order_are_named_on_the_days_line() {
        let text = edited("days_past_due = 35", "days_past_due = 20");
        let error = one_error(&text);
        assert_eq!(error.place, "step 3 ('follow_up_call')");
        assert!(
            error.reason.contains("not after the step before (30)"),
            "{error}"
        );
        assert_eq!(error.line, Some(line_with(&text, "days_past_due = 20")));
    }

    #[test]
    fn a_late_fee_both_flat_and_percent_is_named_on_its_header() {
        let text = edited("flat = \"40.00\"", "flat = \"40.00\"\npercent = \"1.5\"");
        let error = one_error(&text);
        assert_eq!(error.place, "late_fee");
        assert!(error.reason.contains("not both"), "{error}");
        assert_eq!(error.line, Some(line_with(&text, "[late_fee]")));
    }

    #[test]
    fn a_tier_naming_no_step_is_named_on_its_line() {
        let text = edited(
            "step_reached = \"final_demand\"",
            "step_reached = \"last_demand\"",
        );
        let error = one_error(&text);
        assert_eq!(error.place, "tiers.high.step_reached");
        assert_eq!(error.reason, "no step has key 'last_demand'");
        assert_eq!(
            error.line,
            Some(line_with(&text, "step_reached = \"last_demand\""))
        );
    }

    #[test]
    fn a_tier_in_an_inline_table_is_found_too() {
        let text = edited(
            "[tiers.high]\navg_days_late_at_least = 30\nbroken_promises_at_least = 2\nstep_reached = \"final_demand\"\nladder_shift_days = -7\nworklist_weight_percent = 200\n",
            "high = { step_reached = \"nowhere\" }\n",
        )
        .replacen("history_days = 365\n", "history_days = 365\nhigh = { step_reached = \"nowhere\" }\n", 1)
        .replacen("\nhigh = { step_reached = \"nowhere\" }\n\n[tiers.critical]", "\n\n[tiers.critical]", 1);
        let error = one_error(&text);
        assert_eq!(error.place, "tiers.high.step_reached");
        assert_eq!(error.line, Some(line_with(&text, "high = {")));
    }

    #[test]
    fn a_late_fee_effect_without_a_late_fee_is_named_on_the_effects_line() {
        let start = DEFAULT_POLICY.find("\n[late_fee]").unwrap();
        let end = DEFAULT_POLICY.find("cap = \"40.00\"\n").unwrap() + "cap = \"40.00\"\n".len();
        let text = format!("{}{}", &DEFAULT_POLICY[..start], &DEFAULT_POLICY[end..]);
        let error = one_error(&text);
        assert_eq!(error.place, "step 4 ('final_demand')");
        assert_eq!(error.reason, "effect late_fee needs a [late_fee] section");
        assert_eq!(
            error.line,
            Some(line_with(&text, "effects = [\"late_fee\""))
        );
    }

    #[test]
    fn every_problem_is_reported_each_with_its_line() {
        let text = edited("days_past_due = 35", "days_past_due = 20")
            .replacen("key = \"due_today_reminder\"", "key = \"Due Today\"", 1)
            .replacen("percent_below = 80", "percent_below = 180", 1);
        let errors = parse(&text).unwrap_err();
        let found: Vec<(Option<usize>, &str)> =
            errors.iter().map(|e| (e.line, e.place.as_str())).collect();
        assert_eq!(
            found,
            [
                (
                    Some(line_with(&text, "\"Due Today\"")),
                    "reminder 2 ('Due Today')"
                ),
                (
                    Some(line_with(&text, "days_past_due = 20")),
                    "step 3 ('follow_up_call')"
                ),
                (
                    Some(line_with(&text, "percent_below = 180")),
                    "tiers.medium.on_time_percent_below"
                ),
            ]
        );
    }

    #[test]
    fn a_customer_override_problem_is_named_on_its_table() {
        let text = format!(
            "{DEFAULT_POLICY}\n[[customer]]\nref = \"C-1\"\npause = true\n\n[[customer]]\nref = \"C-1\"\nladder_shift_days = 5000\n"
        );
        let errors = parse(&text).unwrap_err();
        let second = text.rfind("[[customer]]").unwrap();
        assert_eq!(errors.len(), 2, "{errors:#?}");
        assert_eq!(errors[0].line, Some(line_of(&text, second)));
        assert_eq!(errors[0].place, "customer 2 ('C-1')");
        assert_eq!(
            errors[1].line,
            Some(line_with(&text, "ladder_shift_days = 5000"))
        );
    }

    #[test]
    fn too_many_steps_are_named_on_the_first_past_the_limit() {
        let mut text = DEFAULT_POLICY.to_string();
        for i in 0..STEPS_MAX {
            text.push_str(&format!(
                "\n[[step]]\nkey = \"extra_{i}\"\ndays_past_due = {}\ntemplate = \"x\"\n",
                100 + i
            ));
        }
        let error = one_error(&text);
        assert_eq!(error.place, "reminder/step");
        // 7 in the default, so the 33rd step is extra_25.
        assert_eq!(error.line, Some(line_with(&text, "\"extra_25\"") - 1));
    }

    #[test]
    fn a_document_over_the_limit_is_refused_whole() {
        let text = format!("{DEFAULT_POLICY}{}", "#".repeat(DOCUMENT_BYTES_MAX));
        let error = one_error(&text);
        assert_eq!((error.line, error.place.as_str()), (None, "document"));
        assert!(error.reason.contains("at most 262144"), "{error}");
    }

    fn currency(code: &str) -> crate::Currency {
        crate::Currency::parse(code).unwrap()
    }

    #[test]
    fn amounts_are_given_per_currency_and_a_plain_one_is_the_home_currency() {
        let text = edited(
            "flat = \"40.00\"",
            "flat = { USD = \"25.00\", JPY = \"3500\", BHD = \"10.000\" }",
        )
        .replacen(
            "lift_when_nothing_overdue = true",
            "lift_when_nothing_overdue = true\nminimum_overdue_balance = { USD = \"10.00\" }",
            1,
        );
        let policy = parse(&text).unwrap_or_else(|e| panic!("{e:#?}"));
        let fee = policy.late_fee.as_ref().unwrap();
        let flat = fee.flat.as_ref().unwrap();
        let (usd, jpy, bhd, eur) = (
            currency("USD"),
            currency("JPY"),
            currency("BHD"),
            currency("EUR"),
        );
        assert_eq!(flat.minor_in("late_fee.flat", jpy, usd), Ok(3500));
        assert_eq!(flat.minor_in("late_fee.flat", bhd, usd), Ok(10_000));
        assert_eq!(flat.minor_in("late_fee.flat", usd, usd), Ok(2500));
        // Never converted: EUR has none, and the refusal says so.
        let missing = flat.minor_in("late_fee.flat", eur, usd).unwrap_err();
        assert_eq!(
            missing.to_string(),
            "the policy has no late fee in EUR (late_fee.flat names none)"
        );
        // A plain amount (the cap, "40.00") is in the home currency only.
        let cap = fee.cap.as_ref().unwrap();
        assert_eq!(cap.minor_in("late_fee.cap", usd, usd), Ok(4000));
        assert!(cap.minor_in("late_fee.cap", jpy, usd).is_err());
        assert_eq!(cap.minor_in("late_fee.cap", jpy, jpy), Ok(40));
        assert_eq!(policy.minimum_overdue_minor(usd, usd), 1000);
        assert_eq!(policy.minimum_overdue_minor(jpy, usd), 0);
        // It renders and reads back the same.
        assert_eq!(parse(&render(&policy)), Ok(policy.clone()));
        // And a new version says what changed.
        let changes = summarize_changes(&default_policy(), &policy);
        assert!(
            changes
                == [
                    "credit.minimum_overdue_balance added: USD 10.00",
                    "late_fee: flat 40.00 → (BHD 10.000; JPY 3500; USD 25.00)"
                ],
            "{changes:?}"
        );
    }

    #[test]
    fn an_amount_finer_than_its_currency_or_an_unknown_currency_is_refused_on_its_line() {
        let text = edited(
            "flat = \"40.00\"",
            "flat = { USD = \"25.00\", JPY = \"3500.5\" }",
        );
        let error = one_error(&text);
        assert_eq!(error.line, Some(line_with(&text, "3500.5")));
        assert_eq!(error.place, "late_fee.flat.JPY");
        assert!(
            error
                .reason
                .contains("more decimal places than JPY has (0)"),
            "{error}"
        );
        let text = edited(
            "minimum_charge = \"1.00\"",
            "minimum_charge = { USD = \"1.00\", BHD = \"0.5001\" }",
        );
        let error = one_error(&text);
        assert_eq!(error.line, Some(line_with(&text, "0.5001")));
        assert_eq!(error.place, "interest.minimum_charge.BHD");
        let text = edited("flat = \"40.00\"", "flat = { XYZ = \"25.00\" }");
        let error = one_error(&text);
        assert_eq!(error.line, Some(line_with(&text, "XYZ")));
        assert_eq!(error.place, "late_fee.flat");
        assert!(error.reason.contains("'XYZ' is not an ISO 4217"), "{error}");
        let text = edited("flat = \"40.00\"", "flat = { JPY = 3500 }");
        let error = one_error(&text);
        assert_eq!(error.line, Some(line_with(&text, "JPY = 3500")));
        assert_eq!(error.place, "late_fee.flat.JPY");
        assert!(error.reason.contains("in quotes"), "{error}");
    }

    #[test]
    fn a_rendered_policy_parses_back_equal() {
        let mut policy = default_policy();
        assert_eq!(parse(&render(&policy)), Ok(policy.clone()));
        // And with every optional part set.
        policy.credit.default_limit = Some(amount("5000.00"));
        policy.interest.as_mut().unwrap().monthly_cap = Some(home("25.5"));
        policy.credit.minimum_overdue_balance = Some(PolicyMoney::PerCurrency(
            [
                (currency("USD"), amount("10")),
                (currency("JPY"), amount("1500")),
            ]
            .into_iter()
            .collect(),
        ));
        policy.late_fee = Some(LateFee {
            flat: None,
            percent: Some(amount("1.5")),
            per: FeeBasis::Period,
            period_days: 14,
            cap: None,
        });
        policy.tiers.low.disputes_at_least = Some(2);
        policy.tiers.new.tenure_days_below = Some(90);
        policy
            .overrides
            .push(crate::collections::policy::CustomerOverride {
                reference: "C-1".into(),
                terms: Some(Terms::Installments {
                    days: vec![30, 60, 90],
                }),
                credit_limit: Some(amount("10000")),
                pause: true,
                ladder_shift_days: -3,
                reason: "pays \"quarterly\"\nsee notes".into(),
            });
        let text = render(&policy);
        assert_eq!(parse(&text), Ok(policy), "{text}");
    }

    #[test]
    fn changes_are_told_in_sentences() {
        let old = default_policy();
        assert_eq!(summarize_changes(&old, &old), Vec::<String>::new());
        let text = edited("\ndays_past_due = 60", "\ndays_past_due = 45")
            .replacen("flat = \"40.00\"", "flat = \"25.00\"", 1)
            .replacen("default_terms = \"net30\"", "default_terms = \"net45\"", 1)
            .replacen("ladder_shift_days = -7", "ladder_shift_days = -10", 1)
            .replacen(
                "channels = [\"call_task\"]",
                "channels = [\"call_task\", \"email\"]",
                1,
            )
            .replacen("# monthly_cap = \"25.00\"", "monthly_cap = \"25.00\"", 1);
        let text = format!(
            "{text}\n[[step]]\nkey = \"last_call\"\ndays_past_due = 120\nchannels = [\"call_task\"]\ntemplate = \"last_call\"\n\n[[customer]]\nref = \"C-1\"\npause = true\nreason = \"moving offices\"\n"
        );
        let new = parse(&text).unwrap();
        assert_eq!(
            summarize_changes(&old, &new),
            [
                "default_terms: net30 → net45",
                "step follow_up_call: channels call_task → call_task + email",
                "step final_demand: days_past_due 60 → 45",
                "step added: last_call (days_past_due 120; channels call_task; template last_call; effects none)",
                "late_fee: flat 40.00 → 25.00",
                "interest: monthly_cap none → 25.00",
                "tiers.high: ladder_shift_days -7 → -10",
                "customer C-1: override added (pause true; ladder_shift_days 0; reason moving offices)",
            ]
        );
        let mut fewer = new.clone();
        fewer.ladder.retain(|s| s.key != "last_call");
        fewer.overrides.clear();
        fewer.late_fee = None;
        fewer.ladder[3].effects.retain(|e| *e != Effect::LateFee);
        assert_eq!(
            summarize_changes(&new, &fewer),
            [
                "step removed: last_call",
                "step final_demand: effects late_fee + credit_hold → credit_hold",
                "late_fee removed",
                "customer C-1: override removed",
            ]
        );
        assert_eq!(
            summarize_changes(&fewer, &new)[2],
            "late_fee added: flat 25.00; per invoice; period_days 30; cap 40.00"
        );
    }

    /// Every policy document in the repository: the default and the bench's.
    fn example_policies() -> Vec<(&'static str, &'static str)> {
        vec![
            ("default_policy.toml", DEFAULT_POLICY),
            (
                "tryton_policy.toml",
                include_str!("../../../dun-bench/tryton_policy.toml"),
            ),
        ]
    }

    #[test]
    fn every_example_policy_round_trips_through_render_and_rewrite() {
        for (name, text) in example_policies() {
            let policy = parse(text).unwrap_or_else(|e| panic!("{name}: {e:#?}"));
            assert_eq!(parse(&render(&policy)), Ok(policy.clone()), "{name}");
            // Unchanged, the text is kept as written, notes and all.
            assert_eq!(rewrite(text, &policy), text, "{name}");
            assert_eq!(
                rewrite(&render(&policy), &policy),
                render(&policy),
                "{name}"
            );
        }
        // The default policy under each late-payment law preset: written
        // into the default's text, and written out whole, it reads back.
        for law in crate::collections::law::Law::ALL {
            let mut policy = default_policy();
            policy.law = law;
            if !law.is_none() {
                policy.late_fee = None;
                policy.interest = None;
                for step in &mut policy.ladder {
                    step.effects
                        .retain(|e| *e != Effect::LateFee && *e != Effect::AnnounceInterest);
                }
                if let Some(order) = law.allocation() {
                    policy.payments.allocation = order;
                }
            }
            assert_eq!(policy.check(), Ok(()), "{law}");
            let text = rewrite(DEFAULT_POLICY, &policy);
            assert_eq!(parse(&text), Ok(policy.clone()), "{law}: {text}");
            assert_eq!(parse(&render(&policy)), Ok(policy.clone()), "{law}");
        }
    }

    /// The lines of `a` and `b` that differ, as (line, before, after).
    fn differing(a: &str, b: &str) -> Vec<(usize, String, String)> {
        assert_eq!(a.lines().count(), b.lines().count(), "{b}");
        a.lines()
            .zip(b.lines())
            .enumerate()
            .filter(|(_, (x, y))| x != y)
            .map(|(i, (x, y))| (i + 1, x.to_string(), y.to_string()))
            .collect()
    }

    #[test]
    fn a_rewrite_changes_only_the_values_that_changed() {
        let mut policy = default_policy();
        policy.ladder[1].days_past_due = 21;
        policy.late_fee.as_mut().unwrap().flat = Some(home("25.00"));
        let text = rewrite(DEFAULT_POLICY, &policy);
        assert_eq!(parse(&text), Ok(policy.clone()));
        assert_eq!(
            differing(DEFAULT_POLICY, &text),
            [
                (
                    line_with(DEFAULT_POLICY, "days_past_due = 30"),
                    "days_past_due = 30".to_string(),
                    "days_past_due = 21".to_string()
                ),
                (
                    line_with(DEFAULT_POLICY, "flat = \"40.00\""),
                    "flat = \"40.00\"".to_string(),
                    "flat = \"25\"".to_string()
                ),
            ]
        );
        // A value left to its default is added; one dropped is taken out.
        let mut policy = default_policy();
        policy.tiers.low.cod = true;
        policy.credit.cod_when_days_past_due = None;
        policy.late_fee.as_mut().unwrap().flat = Some(PolicyMoney::PerCurrency(
            [(currency("USD"), amount("30"))].into(),
        ));
        let text = rewrite(DEFAULT_POLICY, &policy);
        assert_eq!(parse(&text), Ok(policy.clone()));
        assert!(text.contains("# "), "notes are kept: {text}");
        assert!(text.contains("flat = { USD = \"30.00\" }"), "{text}");
        assert!(!text.contains("cod_when_days_past_due = 60"), "{text}");
        // Steps added at the end are written after the document's end.
        let mut policy = default_policy();
        for (key, days) in [("last_word", 120), ("very_last_word", 150)] {
            let mut extra = policy.ladder[4].clone();
            extra.key = key.into();
            extra.days_past_due = days;
            policy.ladder.push(extra);
        }
        let text = rewrite(DEFAULT_POLICY, &policy);
        assert!(text.starts_with(DEFAULT_POLICY), "{text}");
        assert_eq!(parse(&text), Ok(policy.clone()));
        // A step taken out: its table and its note go, nothing else.
        let mut policy = default_policy();
        policy.ladder.remove(2);
        let text = rewrite(DEFAULT_POLICY, &policy);
        assert_eq!(parse(&text), Ok(policy.clone()));
        let call = "[[step]]\n# Pick up the phone.\nkey = \"follow_up_call\"\ndays_past_due = 35\nchannels = [\"call_task\"]\ntemplate = \"follow_up_call\"\n\n";
        assert_eq!(text, DEFAULT_POLICY.replacen(call, "", 1), "{text}");
        // The last one too, keeping the notes that introduce what follows.
        policy.ladder.pop();
        let text = rewrite(DEFAULT_POLICY, &policy);
        assert_eq!(parse(&text), Ok(policy.clone()));
        assert!(text.contains("# The late fee, charged by"), "{text}");
        // Taken out and another renamed: the policy is written out whole.
        policy.ladder[0].key = "first_reminder".into();
        let text = rewrite(DEFAULT_POLICY, &policy);
        assert_eq!(text, render(&policy));
        assert_eq!(parse(&text), Ok(policy));
    }
}
