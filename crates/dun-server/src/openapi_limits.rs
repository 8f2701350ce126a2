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

/// Aging bucket edges as `AgingEdges::parse` reads them: 1 to
/// `EDGES_MAX` whole numbers of days, the first not 0, separated by
/// commas (that they increase, no pattern says).
static AGING_EDGES_PATTERN: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "^ *0*[1-9][0-9]{{0,8}} *(, *[0-9]{{1,9}} *){{0,{}}}$",
        dun_core::aging::EDGES_MAX - 1
    )
});

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

/// A positive amount as `money::parse_amount_minor` reads it, in at most
/// 13 whole digits and 2 decimals (a currency without minor units takes
/// none: the document cannot tie the two fields).
fn amount() -> Value {
    json!({"pattern": "^(0{0,10}[1-9][0-9]{0,12}(\\.[0-9]{1,2})?|0{0,10}\\.([1-9][0-9]?|0[1-9]))$"})
}

/// An amount that may be zero (a credit limit).
fn amount_or_zero() -> Value {
    json!({"pattern": "^[0-9]{1,13}(\\.[0-9]{1,2})?$"})
}

/// A Stripe key with one of `prefixes`, or empty (no key).
fn stripe_key(prefixes: &str) -> Value {
    json!({
        "maxLength": dun_store::stripe::KEY_BYTES_MAX,
        "pattern": format!("^\\s*(({prefixes})_\\S*)?\\s*$")
    })
}

/// Payment terms as `Terms::parse` reads them (installment terms, whose
/// days must increase, are left to the API's description).
fn terms() -> Value {
    // 0 to TERM_DAYS_MAX (3650) days.
    debug_assert_eq!(dun_core::terms::TERM_DAYS_MAX, 3650);
    let days = "([0-9]{1,3}|[0-2][0-9]{3}|3[0-5][0-9]{2}|36[0-4][0-9]|3650)";
    json!({"pattern": format!("^(due_on_receipt|due on receipt|cod|net *{days}|eom[+ ]*{days})$")})
}

/// A party's fields as `Party::normalized` reads them: each is trimmed
/// first, and empty means none.
fn party_field(name: &str) -> Option<Value> {
    use dun_core::party::{
        EAS_SCHEMES, ENDPOINT_ID_CHARS_MAX, IDENTIFIER_CHARS_MAX, POSTCODE_BYTES_MAX,
    };
    let c = "\\u0000-\\u001f\\u007f-\\u009f";
    let pattern = match name {
        "postcode" => format!("^\\s*[A-Za-z0-9 -]{{0,{POSTCODE_BYTES_MAX}}}\\s*$"),
        "country_code" => "^\\s*([A-Z]{2})?\\s*$".to_string(),
        "vat_id" => format!(
            "^\\s*(([A-Za-z]\\s*){{2}}([A-Za-z0-9]\\s*){{2,{}}})?$",
            IDENTIFIER_CHARS_MAX - 2
        ),
        "company_id" | "tax_id" => {
            format!(
                "^\\s*([^{c}]{{0,{}}}[^\\s{c}])?\\s*$",
                IDENTIFIER_CHARS_MAX - 1
            )
        }
        "endpoint" => format!(
            "^\\s*(({})\\s*:\\s*[^\\s{c}]{{1,{ENDPOINT_ID_CHARS_MAX}}})?\\s*$",
            EAS_SCHEMES.join("|")
        ),
        _ => return None,
    };
    Some(json!({ "pattern": pattern }))
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
        "edges" => json!({"pattern": AGING_EDGES_PATTERN.as_str()}),
        "name" if path == "/api/v1/templates/{name}" => json!({
            "minLength": 1,
            "maxLength": crate::routes::documents::TEMPLATE_NAME_BYTES_MAX,
            "pattern": "^[a-z0-9_]+$"
        }),
        "show" if path == "/api/v1/bank/transactions" => {
            json!({"enum": ["queue", "matched", "all"]})
        }
        "status" if path == "/api/v1/tasks" => json!({"enum": ["open", "done", "all"]}),
        "status" if path == "/api/v1/disputes" => json!({"enum": ["open", "all"]}),
        "status" if path == "/api/v1/invoices" => {
            let mut words = dun_store::invoice_list::StatusFilter::words();
            words.push("");
            json!({"enum": words})
        }
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
        ("SetupIn" | "SignIn" | "InvitationIn" | "NewCustomerIn", "email") => email(false),
        (_, "email") => email(true),
        ("OrganisationPatch", "run_at") => json!({"pattern": dun_store::orgs::RUN_AT_PATTERN}),
        (
            "NewPaymentIn" | "NewCollateralIn" | "PromiseIn" | "NewPromiseIn" | "RefundIn"
            | "ReductionIn" | "ResolveDisputeIn" | "WaiverIn" | "AllocationLineIn"
            | "ConfirmInvoiceIn" | "InstallmentIn" | "PlanInstallmentIn",
            "amount",
        ) => amount(),
        ("NewCustomerIn" | "CustomerEditIn", "credit_limit") => amount_or_zero(),
        (_, "lines") => json!({"minItems": 1}),
        ("NewPlanIn", "installments") => json!({"minItems": 1}),
        ("PartyIo" | "AddressIn", "address_lines") => {
            json!({"maxItems": dun_core::party::ADDRESS_LINES_MAX})
        }
        ("PaymentIo", "bic") => json!({
            "pattern": "^ *([A-Za-z] *){6}([A-Za-z0-9] *){2}(([A-Za-z0-9] *){3})?$|^\\s*$"
        }),
        ("LineIn", "tax_rate") => json!({
            "pattern": "^(100(\\.0{1,4})?|[0-9]{1,2}(\\.[0-9]{1,4})?)%?$"
        }),
        ("LineIn", "unit_price") => json!({"pattern": "^[0-9]{1,13}(\\.[0-9]{1,2})?$"}),
        ("LineIn", "quantity") => json!({
            "pattern": "^(0{0,10}[1-9][0-9]{0,10}(\\.[0-9]{1,4})?|0{0,10}\\.[0-9]{0,3}[1-9])$"
        }),
        ("NewRateIn", "rate") => json!({
            "pattern": "^(0{0,10}[1-9][0-9]{0,11}(\\.[0-9]{1,6})?|0{0,10}\\.[0-9]{0,5}[1-9])$"
        }),
        (_, "phone") => json!({"pattern": format!(
            "^[0-9 +().-]{{0,{}}}$",
            dun_core::party::PHONE_BYTES_MAX
        )}),
        ("WaiverIn", "charge") => json!({"enum": ["fee", "interest", "compensation"]}),
        ("NewContactIn", "role") => json!({
            "enum": dun_core::customer::ContactRole::ALL.map(|r| r.as_str())
        }),
        ("NewDisputeIn", "line") => json!({"minimum": 1}),
        ("ContactIn", "summary") => required_note(NOTE_CHARS_MAX),
        ("StripeIn", "secret_key") => stripe_key("sk|rk"),
        ("StripeIn", "publishable_key") => stripe_key("pk"),
        ("StripeIn", "webhook_secret") => stripe_key("whsec"),
        ("ContactIn", "kind") => json!({"enum": ["call", "note", "reply"]}),
        ("ResolveDisputeIn", "resolution") => json!({"enum": ["credit_note", "rejected"]}),
        ("DecisionIn", "decision") => json!({"enum": ["agency", "legal", "write_off", "reject"]}),
        ("StatusIn", "status") => {
            use dun_core::collections::credit::CustomerStatus;
            let mut words: Vec<&str> = CustomerStatus::ALL.iter().map(|s| s.as_str()).collect();
            words.extend(["hold", "cod"]);
            json!({"enum": words})
        }
        ("PartyIo" | "AddressIn", field) if party_field(field).is_some() => party_field(field)?,
        (_, "terms") => terms(),
        ("NewPlanIn", "invoices") => json!({"minItems": 1}),
        ("TemplateIn", "subject") => identifier(dun_mail::template::SUBJECT_CHARS_MAX),
        ("TemplateIn", "text" | "html") => required_note(dun_mail::template::BODY_CHARS_MAX),
        ("SetupIn", "timezone") => json!({
            "enum": jiff::tz::db().available().map(|name| name.as_str().to_string()).collect::<Vec<_>>()
        }),
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
        ("ContactIn", "outcome") => required_note(NOTE_CHARS_MAX),
        ("TaskDoneIn", "outcome") => required_note(NOTE_CHARS_MAX),
        ("NewTaskIn", "title") => required_note(dun_store::worklist::TASK_TITLE_CHARS_MAX),
        ("OutboxReasonIn", "reason") => note(dun_store::outbox_actions::OUTBOX_REASON_CHARS_MAX),
        ("OutboxCancelIn", "reason") => {
            required_note(dun_store::outbox_actions::OUTBOX_REASON_CHARS_MAX)
        }
        ("PauseIn" | "StatusIn" | "DecisionIn" | "TaskReopenIn", "reason") => {
            required_note(NOTE_CHARS_MAX)
        }
        ("PeriodIn", "reason") => note(dun_core::REASON_CHARS_MAX),
        ("ResolveDisputeIn" | "VoidIn", "reason") => note(REASON_CHARS_MAX),
        (_, "override_reason") => required_note(REASON_CHARS_MAX),
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
        (_, "payment_methods") => json!({
            "enum": dun_core::customer::PaymentMethod::ALL.map(|m| m.as_str())
        }),
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

/// Any write may meet a book that refuses it as it stands (a void
/// invoice, a reversed payment, a closed period, a draft…): 409, which
/// every write operation declares.
fn declare_conflicts(doc: &mut Value) {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for item in paths.values_mut().filter_map(Value::as_object_mut) {
        for (method, operation) in item.iter_mut() {
            if !matches!(method.as_str(), "post" | "put" | "patch" | "delete") {
                continue;
            }
            let Some(responses) = operation
                .get_mut("responses")
                .and_then(Value::as_object_mut)
            else {
                continue;
            };
            if let Some(invalid) = responses.get("422").cloned() {
                responses.entry("409").or_insert_with(|| {
                    let mut conflict = invalid;
                    conflict["description"] =
                        json!("The book as it stands refuses it (e.g. a void invoice, a reversed payment)");
                    conflict
                });
            }
        }
    }
}

/// A draft is changed with what it is made with, less what only issuing
/// takes (`issue`, `override_reason`): `DraftIn`.
fn declare_draft_schema(doc: &mut Value) {
    let Some(mut draft) = doc.pointer("/components/schemas/NewInvoiceIn").cloned() else {
        return;
    };
    if let Some(properties) = draft.get_mut("properties").and_then(Value::as_object_mut) {
        properties.remove("issue");
        properties.remove("override_reason");
    }
    if let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        schemas.insert("DraftIn".into(), draft);
    }
    if let Some(body) = doc.pointer_mut(
        "/paths/~1api~1v1~1invoices~1{invoice}/put/requestBody/content/application~1json/schema",
    ) {
        *body = json!({"$ref": "#/components/schemas/DraftIn"});
    }
}

/// Writes the limits onto `doc` (the OpenAPI document as JSON).
pub fn declare(doc: &mut Value) {
    if let Some(variants) = doc
        .pointer_mut("/components/schemas/AllocationIn/oneOf")
        .and_then(Value::as_array_mut)
    {
        for variant in variants.iter_mut().filter(|v| v.get("items").is_some()) {
            merge(
                variant,
                json!({"minItems": 1, "maxItems": crate::routes::payments::ALLOCATIONS_MAX}),
            );
        }
    }
    declare_conflicts(doc);
    declare_draft_schema(doc);
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
                    let Some(schema) = p.get_mut("schema") else {
                        continue;
                    };
                    match parameter(path, &name) {
                        Some(limits) => merge(schema, limits),
                        // Any other text: no NUL, which no store keeps.
                        None if schema.get("type") == Some(&json!("string")) => {
                            merge(schema, json!({"pattern": "^[^\\u0000]*$"}))
                        }
                        None => {}
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
                let of_objects = prop.pointer("/items/$ref").is_some();
                let item = prop.as_object_mut().filter(|_| !of_objects).map(|p| {
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
