//! The limits and formats the server enforces, declared in the OpenAPI
//! document (issue 18 item 9) from the constants the rules themselves use
//! — `dun_core::text`, the store's and the server's `*_MAX` — so that a
//! client (or schemathesis) generating from the document sends what the
//! server accepts, and what the document calls invalid is refused.
//!
//! The derive cannot take a constant in `#[schema(max_length = …)]`, so
//! the limits are written here, by parameter and by property, onto the
//! gathered document.

use dun_core::text::{
    CUSTOMER_REFERENCE_CHARS_MAX, EMAIL_CHARS_MAX, IDENTIFIER_PATTERN, INVOICE_NUMBER_CHARS_MAX,
    LINE_PATTERN, NAME_CHARS_MAX, NOTE_CHARS_MAX, NOTE_PATTERN, PAYMENT_REFERENCE_CHARS_MAX,
    REQUIRED_NOTE_PATTERN,
};
use serde_json::{json, Map, Value};

/// A string of 1 to `max` characters, one line, not only spaces.
fn identifier(max: usize) -> Value {
    json!({"minLength": 1, "maxLength": max, "pattern": IDENTIFIER_PATTERN})
}

/// One line of at most `max` characters.
fn line(max: usize) -> Value {
    json!({"maxLength": max, "pattern": LINE_PATTERN})
}

/// A note: line breaks and tabs allowed.
fn note(max: usize) -> Value {
    json!({"maxLength": max, "pattern": NOTE_PATTERN})
}

/// A note that must say something.
fn required_note(max: usize) -> Value {
    json!({"minLength": 1, "maxLength": max, "pattern": REQUIRED_NOTE_PATTERN})
}

/// An ISO 8601 date in the years `Date::parse` accepts.
fn date() -> Value {
    let years: Vec<String> = (dun_core::date::YEAR_MIN..=dun_core::date::YEAR_MAX)
        .map(|y| format!("{y:04}"))
        .collect();
    json!({"format": "date", "pattern": format!("^({})-[0-9]{{2}}-[0-9]{{2}}$", years.join("|"))})
}

/// An e-mail address as `dun_core::text::email_problem` accepts one; an
/// optional one may be sent empty (no address).
fn email(optional: bool) -> Value {
    // No space, `@` or control character in a part; the domain holds a
    // dot, not first nor last.
    let c = "\\s@\\u0000-\\u001f\\u007f-\\u009f";
    let address = format!("[^{c}]+@[^{c}.][^{c}]*\\.[^{c}]*[^{c}.]");
    let pattern = if optional {
        format!("^(|{address})$")
    } else {
        format!("^{address}$")
    };
    json!({"maxLength": EMAIL_CHARS_MAX, "pattern": pattern})
}

fn currency() -> Value {
    json!({"enum": dun_core::Currency::codes().collect::<Vec<_>>()})
}

fn integer(min: i64, max: i64) -> Value {
    json!({"minimum": min, "maximum": max})
}

/// The limits of a parameter of the operation at `path`, by name.
fn parameter(path: &str, name: &str) -> Option<Value> {
    Some(match name {
        "Idempotency-Key" => json!({
            "type": "string",
            "minLength": 1,
            "maxLength": crate::extract::IDEMPOTENCY_KEY_BYTES_MAX,
            "pattern": "^[!-~]+$"
        }),
        "limit" => integer(
            1,
            match path {
                "/api/v1/runs" => dun_store::collections::RUNS_LIMIT_MAX,
                "/api/v1/worklist" => dun_store::worklist::WORKLIST_LIMIT_MAX,
                "/api/v1/outbox" => crate::routes::outbox::OUTBOX_PAGE_MAX,
                _ => crate::extract::PAGE_LIMIT_MAX,
            },
        ),
        "days" => integer(1, i64::from(dun_core::figures::PERIOD_DAYS_MAX)),
        "points" => integer(1, i64::from(dun_core::figures::TREND_POINTS_MAX)),
        "step" => integer(1, i64::from(dun_core::figures::TREND_STEP_DAYS_MAX)),
        "as_of" | "from" | "to" => date(),
        "currency" => currency(),
        "status" if path == "/api/v1/outbox" => json!({"enum": dun_store::outbox::STATUSES}),
        "status" if path == "/api/v1/recurring" => {
            use dun_store::recurring::ScheduleStatus;
            let all = [
                ScheduleStatus::Active,
                ScheduleStatus::Paused,
                ScheduleStatus::Ended,
            ];
            json!({"enum": all.map(|s| s.as_str())})
        }
        // In a path: not found unless it is one; a filter (`?customer=`)
        // takes any text and finds nothing.
        "reference" if path.contains("{reference}") => identifier(CUSTOMER_REFERENCE_CHARS_MAX),
        "invoice" | "credit_note" if path.contains(&format!("{{{name}}}")) => {
            identifier(INVOICE_NUMBER_CHARS_MAX)
        }
        _ => return None,
    })
}

/// The limits of property `name` of request schema `schema`.
fn property(schema: &str, name: &str) -> Option<Value> {
    use dun_store::invoices::REASON_CHARS_MAX;
    Some(match (schema, name) {
        ("NewRateIn", "from" | "to") => currency(),
        (_, "currency") => currency(),
        (
            _,
            "date" | "on" | "as_of" | "until" | "closed_through" | "due" | "filed" | "expires"
            | "issue_date" | "due_date" | "received_date" | "starts" | "ends" | "effective_from"
            | "first",
        ) => date(),
        ("SetupIn" | "SignIn" | "InvitationIn", "email") => email(false),
        (_, "email") => email(true),
        ("OrganisationPatch", "run_at") => json!({"pattern": dun_store::orgs::RUN_AT_PATTERN}),
        ("NewCollateralIn", "kind") => json!({
            "enum": dun_store::collateral::CollateralKind::ALL.map(|k| k.as_str())
        }),
        ("NewCustomerIn", "reference") => identifier(CUSTOMER_REFERENCE_CHARS_MAX),
        (_, "customer") => identifier(CUSTOMER_REFERENCE_CHARS_MAX),
        ("AllocationLineIn" | "ConfirmInvoiceIn" | "NewDisputeIn", "invoice" | "number") => {
            identifier(INVOICE_NUMBER_CHARS_MAX)
        }
        ("NewPaymentIn", "method" | "reference") => line(PAYMENT_REFERENCE_CHARS_MAX),
        ("NewPaymentIn", "note") => note(PAYMENT_REFERENCE_CHARS_MAX),
        ("NewCollateralIn", "reference") => {
            line(dun_store::collateral::COLLATERAL_REFERENCE_CHARS_MAX)
        }
        ("NewCollateralIn", "note") => note(NOTE_CHARS_MAX),
        (
            "NewCustomerIn" | "CustomerEditIn" | "PartyIo" | "SetupIn" | "AcceptIn"
            | "NewContactIn" | "NewTokenIn",
            "name",
        ) => identifier(NAME_CHARS_MAX),
        ("SetupIn", "organisation") => identifier(NAME_CHARS_MAX),
        ("SetupIn", "invoice_prefix") => json!({
            "maxLength": dun_store::orgs::INVOICE_PREFIX_CHARS_MAX,
            "pattern": dun_store::orgs::INVOICE_PREFIX_PATTERN
        }),
        (_, "notes") => note(dun_core::customer::NOTES_CHARS_MAX),
        ("LineIn", "description") => note(dun_core::invoice::LINE_DESCRIPTION_CHARS_MAX),
        (_, "description") => note(dun_core::invoice::DESCRIPTION_CHARS_MAX),
        ("ContactIn", "summary") => note(NOTE_CHARS_MAX),
        ("ContactIn", "outcome") => note(NOTE_CHARS_MAX),
        ("TaskDoneIn", "outcome") => required_note(NOTE_CHARS_MAX),
        ("NewTaskIn", "title") => required_note(dun_store::worklist::TASK_TITLE_CHARS_MAX),
        ("OutboxReasonIn", "reason") => {
            required_note(dun_store::outbox_actions::OUTBOX_REASON_CHARS_MAX)
        }
        ("PauseIn" | "StatusIn" | "DecisionIn" | "TaskReopenIn", "reason") => {
            required_note(NOTE_CHARS_MAX)
        }
        ("PeriodIn", "reason") => note(dun_core::REASON_CHARS_MAX),
        ("ResolveDisputeIn" | "VoidIn", "reason") | (_, "override_reason") => {
            note(REASON_CHARS_MAX)
        }
        (_, "reason") => required_note(REASON_CHARS_MAX),
        // A logo's size, read back from a profile sent whole: a u32.
        ("LogoOut", "width_px" | "height_px") => {
            json!({"format": "int64", "minimum": 0, "maximum": u32::MAX})
        }
        ("PaymentIo", "account_name" | "note") => note(dun_core::party::PAYMENT_TEXT_CHARS_MAX),
        ("PartyIo" | "AddressIn", "city" | "region") => {
            line(dun_core::party::ADDRESS_FIELD_CHARS_MAX)
        }
        _ => return None,
    })
}

/// Array properties whose items have limits.
fn items(schema: &str, name: &str) -> Option<Value> {
    Some(match (schema, name) {
        ("PartyIo" | "AddressIn", "address_lines") => {
            line(dun_core::party::ADDRESS_FIELD_CHARS_MAX)
        }
        (_, "invoices") => identifier(INVOICE_NUMBER_CHARS_MAX),
        _ => return None,
    })
}

fn merge(target: &mut Value, limits: Value) {
    if let (Some(target), Value::Object(limits)) = (target.as_object_mut(), limits) {
        for (k, v) in limits {
            target.insert(k, v);
        }
    }
}

/// Writes the limits onto `doc` (the OpenAPI document as JSON).
pub fn declare(doc: &mut Value) {
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        for (path, item) in paths.iter_mut() {
            let Some(item) = item.as_object_mut() else {
                continue;
            };
            for operation in item.values_mut() {
                let Some(parameters) = operation
                    .get_mut("parameters")
                    .and_then(Value::as_array_mut)
                else {
                    continue;
                };
                for p in parameters {
                    let name = p
                        .get("name")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string();
                    if let Some(limits) = parameter(path, &name) {
                        if let Some(schema) = p.get_mut("schema") {
                            merge(schema, limits);
                        }
                    }
                }
            }
        }
    }
    let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    for (schema_name, schema) in schemas.iter_mut() {
        // Only what clients send: the request schemas.
        if !(schema_name.ends_with("In")
            || schema_name.ends_with("Io")
            || matches!(
                schema_name.as_str(),
                "OrganisationPatch" | "PasswordChange" | "SignIn" | "LogoOut"
            ))
        {
            continue;
        }
        let Some(properties) = schema.get_mut("properties").and_then(Value::as_object_mut) else {
            continue;
        };
        for (name, prop) in properties.iter_mut() {
            if let Some(limits) = property(schema_name, name) {
                merge(prop, limits);
            }
            if let Some(limits) = items(schema_name, name) {
                let item = prop.as_object_mut().map(|p| {
                    p.entry("items")
                        .or_insert_with(|| Value::Object(Map::new()))
                });
                if let Some(item) = item {
                    merge(item, limits);
                }
            }
        }
    }
}
