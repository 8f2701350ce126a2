//! The frame every page shares: the header with the organisation, the
//! navigation, the signed-in user and sign-out; and small helpers.

use dun_core::collections::credit::CustomerStatus;
use dun_core::{money, Currency, Date};
use dun_server::problem::ApiError;
use dun_server::wire;
use dun_store::accounts::{Credential, Principal};
use maud::{html, Markup, DOCTYPE};

use crate::assets;

/// Who is looking, in which organisation, and the token their forms carry.
#[derive(Clone, Debug)]
pub struct Ctx {
    pub org_id: i64,
    pub org_name: String,
    pub currency: Currency,
    pub timezone: String,
    pub edges: dun_core::aging::AgingEdges,
    pub email: String,
    pub role: dun_store::accounts::Role,
    /// Empty for a token (its requests need none).
    pub csrf: String,
    pub today: Date,
}

impl Ctx {
    pub fn load(p: &Principal) -> Result<Ctx, ApiError> {
        let org = p.org.clone();
        let today = wire::today_in(&org.timezone)?;
        let csrf = match &p.credential {
            Credential::Session { csrf_token, .. } => csrf_token.clone(),
            Credential::Token { .. } => String::new(),
        };
        Ok(Ctx {
            org_id: org.id,
            edges: org.edges(),
            org_name: org.name,
            currency: org.currency,
            timezone: org.timezone,
            email: p.email.clone(),
            role: p.role,
            csrf,
            today,
        })
    }

    /// The hidden field every writing form carries.
    pub fn csrf_field(&self) -> Markup {
        html! { input type="hidden" name="csrf_token" value=(self.csrf); }
    }
}

/// The navigation: (label, address).
const NAV: [(&str, &str); 12] = [
    ("Dashboard", "/dashboard"),
    ("Today", "/today"),
    ("Customers", "/customers"),
    ("Invoices", "/invoices"),
    ("Recurring", "/recurring"),
    ("Payments", "/payments"),
    ("Bank", "/bank"),
    ("Worklist", "/worklist"),
    ("Outbox", "/outbox"),
    ("Policy", "/policy"),
    ("Reports", "/reports"),
    ("Imports", "/imports"),
];

fn head(title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            title { (title) " · Dun" }
            link rel="stylesheet" href=(assets::css_href());
        }
    }
}

/// A signed-in page: `current` is the navigation entry it belongs to.
pub fn page(ctx: &Ctx, current: &str, title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(title))
            body {
                a.skip href="#main" { "Skip to content" }
                header.top {
                    div.brand {
                        a href="/dashboard" { span.logo aria-hidden="true" { "D" } (ctx.org_name) }
                    }
                    nav aria-label="Main" {
                        ul {
                            @for (label, href) in NAV {
                                li {
                                    @if label == current {
                                        a href=(href) aria-current="page" { (label) }
                                    } @else {
                                        a href=(href) { (label) }
                                    }
                                }
                            }
                        }
                    }
                    div.user {
                        span { (ctx.email) " · " (ctx.role.as_str()) }
                        @if current == "Settings" {
                            a href="/settings" aria-current="page" { "Settings" }
                        } @else {
                            a href="/settings" { "Settings" }
                        }
                        form method="post" action="/sign-out" {
                            (ctx.csrf_field())
                            button.link type="submit" { "Sign out" }
                        }
                    }
                }
                main #main {
                    (body)
                }
            }
        }
    }
}

/// A page outside the signed-in frame (sign-in, set-up, errors).
/// A new password's label and field: the rule's hint and the browser's own
/// check of its minimum both read the one rule
/// ([`dun_store::passwords::PASSWORD_CHARS_MIN`]).
pub fn new_password_field(id: &str, name: &str, label: &str) -> Markup {
    let min = dun_store::passwords::PASSWORD_CHARS_MIN;
    html! {
        label for=(id) { (label) " " span.hint { "(" (min) " characters or more, not a common password)" } }
        input id=(id) type="password" name=(name) required minlength=(min) autocomplete="new-password";
    }
}

pub fn bare(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(title))
            body.bare {
                main #main.narrow {
                    p.brand { span.logo aria-hidden="true" { "D" } "Dun" }
                    (body)
                }
            }
        }
    }
}

/// `12345` USD as "12,345.00"-style text with the code: "USD 123.45".
pub fn money(amount_minor: i64, currency: Currency) -> String {
    format!(
        "{} {}",
        currency.code(),
        grouped(&money::format_minor(amount_minor, currency))
    )
}

/// A unit price with the decimals it has: "EUR 13.333", "EUR 1,200.00".
pub fn unit_price(price: money::UnitPrice, currency: Currency) -> String {
    format!("{} {}", currency.code(), grouped(&price.format(currency)))
}

/// Thousands separators on a decimal string.
pub fn grouped(text: &str) -> String {
    let (sign, digits) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text),
    };
    let (whole, fraction) = match digits.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (digits, None),
    };
    let mut out = String::with_capacity(text.len() + whole.len() / 3);
    out.push_str(sign);
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if let Some(f) = fraction {
        out.push('.');
        out.push_str(f);
    }
    out
}

/// A path segment or query value, percent-encoded.
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The CSS class of a customer status, risk tier or task state.
pub fn status_class(status: &str) -> &'static str {
    match status {
        "active" | "low" | "kept" | "paid" | "credited" | "settled" => "ok",
        "on_hold" | "do_not_serve" | "with_agency" | "legal" | "critical" | "high" | "broken"
        | "overdue" | "written_off" => "bad",
        "cod_required" | "medium" | "new" | "paused" | "open" | "partially_paid" | "held"
        | "partially_credited" | "draft" => "warn",
        _ => "neutral",
    }
}

/// The status values a customer may have (the domain's), for the filter.
pub const STATUSES: [&str; CustomerStatus::ALL.len()] = {
    let mut out = [""; CustomerStatus::ALL.len()];
    let mut i = 0;
    while i < out.len() {
        out[i] = CustomerStatus::ALL[i].as_str();
        i += 1;
    }
    out
};
/// The risk tiers, for the filter.
pub const TIERS: [&str; 5] = ["new", "low", "medium", "high", "critical"];

/// "on_hold" → "on hold".
pub fn words(code: &str) -> String {
    code.replace('_', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_thousands_and_keeps_the_sign() {
        assert_eq!(grouped("1234567.89"), "1,234,567.89");
        assert_eq!(grouped("-1000"), "-1,000");
        assert_eq!(grouped("999.00"), "999.00");
        assert_eq!(grouped("0"), "0");
    }

    #[test]
    fn encodes_what_a_path_cannot_hold() {
        assert_eq!(encode("ACME/ü 1"), "ACME%2F%C3%BC%201");
        assert_eq!(encode("BOLT-1.x"), "BOLT-1.x");
    }
}
