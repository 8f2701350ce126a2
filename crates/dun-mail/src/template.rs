//! Message templates: a subject, a plain-text body and an HTML body with
//! `{{placeholder}}`s, the built-in wording for every template the policy
//! and the documents name, and the check that refuses an unknown
//! placeholder before an organisation saves its own wording.
//!
//! Values are escaped for HTML in the HTML body, except the two that are
//! built as HTML (`{{invoices_table}}`, `{{portal_link}}` render as a table
//! and a link there, and as aligned text in the plain body).

use std::collections::BTreeMap;

/// Longest subject, in characters.
pub const SUBJECT_CHARS_MAX: usize = 300;
/// Longest body (text or HTML), in characters.
pub const BODY_CHARS_MAX: usize = 100_000;

/// Every placeholder a template may use, with what it becomes.
pub const PLACEHOLDERS: [(&str, &str); 20] = [
    ("org_name", "your organisation's name"),
    ("customer_name", "the customer's name"),
    ("customer_ref", "the customer's reference"),
    ("as_of", "the date the message speaks for"),
    (
        "invoices_table",
        "the invoices concerned: number, due date, amount open, days overdue and each one's payment reference",
    ),
    (
        "other_invoices",
        "the customer's other invoices in the message, not yet at its step, under their own heading (empty when none); a template that places it gets only the step's invoices in {{invoices_table}}, {{invoice_count}} and {{total}}",
    ),
    (
        "reminders_sent",
        "the reminders sent before about the invoices, with their dates, as a sentence (\"We wrote to you about these on 2026-03-09 (first notice) and 2026-04-08 (second notice). \"); empty when none was sent",
    ),
    ("invoice_count", "how many invoices are concerned"),
    ("total", "what is open on them, per currency"),
    ("portal_link", "the link to the customer's portal"),
    (
        "pay_link",
        "where the customer pays by card what the message asks (the portal's page of its one invoice, else the portal's Pay form); empty when the organisation takes no card payment (no Stripe key) or in a credit note message",
    ),
    (
        "pay_online",
        "that link as a line (\"Pay by card: https://…\", on a line of its own); empty when there is no pay link",
    ),
    (
        "payment_reference",
        "the reference to quote when paying (ISO 11649, RF…, in groups of four): the invoice's own in an invoice message or a reminder about one invoice, the customer's in a statement or a reminder about several (each invoice's own is beside it in {{invoices_table}}); empty in a credit note message",
    ),
    (
        "invoice_number",
        "the document's number (invoice and credit note messages)",
    ),
    ("invoice_total", "the document's total"),
    ("due_date", "the document's due date"),
    ("period_start", "the statement's first day"),
    ("period_end", "the statement's last day"),
    (
        "interest_from",
        "the date interest starts on what stays unpaid, when the step announces it (dates differing by invoice are named: 2026-04-04 (A-1), …); empty otherwise",
    ),
    (
        "interest_notice",
        "that date as a sentence (\"Interest on what remains unpaid runs from 2026-04-04.\"); empty when the step announces no interest",
    ),
];

/// Placeholders whose HTML value is already HTML.
const HTML_VALUES: [&str; 5] = [
    "invoices_table",
    "other_invoices",
    "portal_link",
    "pay_link",
    "pay_online",
];

/// The wording of one message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// A message written from a template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// A template that cannot be used, with where and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("template '{name}', {part}, line {line}: {reason}")]
pub struct TemplateError {
    pub name: String,
    /// `subject`, `text body` or `html body`.
    pub part: &'static str,
    pub line: usize,
    pub reason: String,
}

/// The value of each placeholder: plain text, and HTML where it differs.
#[derive(Clone, Debug, Default)]
pub struct Vars {
    text: BTreeMap<&'static str, String>,
    html: BTreeMap<&'static str, String>,
}

impl Vars {
    /// Sets a plain value (escaped in the HTML body).
    pub fn set(&mut self, name: &'static str, value: impl Into<String>) {
        debug_assert!(PLACEHOLDERS.iter().any(|(p, _)| *p == name), "{name}");
        self.text.insert(name, value.into());
    }

    /// Sets a value that is written as `html` in the HTML body.
    pub fn set_with_html(
        &mut self,
        name: &'static str,
        text: impl Into<String>,
        html: impl Into<String>,
    ) {
        debug_assert!(HTML_VALUES.contains(&name), "{name}");
        self.text.insert(name, text.into());
        self.html.insert(name, html.into());
    }

    fn value(&self, name: &str, html: bool) -> String {
        if html {
            if let Some(v) = self.html.get(name) {
                return v.clone();
            }
            return escape_html(self.text.get(name).map_or("", String::as_str));
        }
        self.text.get(name).cloned().unwrap_or_default()
    }
}

pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

enum Piece<'a> {
    Text(&'a str),
    Placeholder(&'a str),
}

/// Splits `source` into text and placeholders, refusing an unclosed `{{`
/// and an unknown name.
fn pieces<'a>(
    name: &str,
    part: &'static str,
    source: &'a str,
) -> Result<Vec<Piece<'a>>, TemplateError> {
    let mut out = Vec::new();
    let mut rest = source;
    let line_of = |rest: &str| source[..source.len() - rest.len()].matches('\n').count() + 1;
    while let Some(open) = rest.find("{{") {
        out.push(Piece::Text(&rest[..open]));
        let after = &rest[open + 2..];
        let Some(close) = after.find("}}") else {
            return Err(TemplateError {
                name: name.to_string(),
                part,
                line: line_of(&rest[open..]),
                reason: "'{{' is not closed by '}}'".into(),
            });
        };
        let placeholder = after[..close].trim();
        if !PLACEHOLDERS.iter().any(|(p, _)| *p == placeholder) {
            return Err(TemplateError {
                name: name.to_string(),
                part,
                line: line_of(&rest[open..]),
                reason: format!(
                    "unknown placeholder {{{{{placeholder}}}}}; the known ones are {}",
                    PLACEHOLDERS
                        .iter()
                        .map(|(p, _)| format!("{{{{{p}}}}}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            });
        }
        out.push(Piece::Placeholder(placeholder));
        rest = &after[close + 2..];
    }
    out.push(Piece::Text(rest));
    Ok(out)
}

impl Template {
    /// Whether any part places `placeholder`.
    pub fn uses(&self, placeholder: &str) -> bool {
        let tag = format!("{{{{{placeholder}}}}}");
        [&self.subject, &self.text, &self.html]
            .iter()
            .any(|part| part.contains(&tag))
    }

    /// Checks every part: sizes, a one-line subject, known placeholders.
    pub fn check(&self, name: &str) -> Result<(), TemplateError> {
        let fail = |part, reason: String| TemplateError {
            name: name.to_string(),
            part,
            line: 1,
            reason,
        };
        if self.subject.trim().is_empty() {
            return Err(fail(
                "subject",
                format!("must be 1 to {SUBJECT_CHARS_MAX} characters"),
            ));
        }
        if self.subject.contains(['\n', '\r']) {
            return Err(fail("subject", "must be one line".into()));
        }
        if let Some(why) = dun_core::text::line_problem(&self.subject, SUBJECT_CHARS_MAX) {
            return Err(fail("subject", why));
        }
        for (part, body) in [("text body", &self.text), ("html body", &self.html)] {
            if body.trim().is_empty() {
                return Err(fail(
                    part,
                    format!("must be 1 to {BODY_CHARS_MAX} characters"),
                ));
            }
            if let Some(why) = dun_core::text::note_problem(body, BODY_CHARS_MAX) {
                return Err(fail(part, why));
            }
        }
        pieces(name, "subject", &self.subject)?;
        pieces(name, "text body", &self.text)?;
        pieces(name, "html body", &self.html)?;
        Ok(())
    }

    /// Writes the message. The template must have passed [`Template::check`].
    pub fn render(&self, name: &str, vars: &Vars) -> Result<Rendered, TemplateError> {
        let fill = |part, source: &str, html: bool| -> Result<String, TemplateError> {
            let mut out = String::with_capacity(source.len() + 256);
            for piece in pieces(name, part, source)? {
                match piece {
                    Piece::Text(t) => out.push_str(t),
                    Piece::Placeholder(p) => out.push_str(&vars.value(p, html)),
                }
            }
            Ok(out)
        };
        Ok(Rendered {
            // The subject is one line whatever a value holds.
            subject: fill("subject", &self.subject, false)?.replace(['\r', '\n'], " "),
            text: without_empty_paragraphs(&fill("text body", &self.text, false)?),
            html: fill("html body", &self.html, true)?,
        })
    }
}

/// The plain body without the blank paragraphs an empty value leaves.
fn without_empty_paragraphs(text: &str) -> String {
    let mut out = text.to_string();
    while out.contains("\n\n\n") {
        out = out.replace("\n\n\n", "\n\n");
    }
    out
}

/// Wraps paragraphs of a plain-text body as the HTML body: every blank-line
/// separated paragraph becomes a `<p>`, keeping placeholders.
pub fn html_from_text(text: &str) -> String {
    let paragraphs: Vec<String> = text
        .split("\n\n")
        .map(|p| {
            let p = p.trim();
            if p == "{{invoices_table}}" || p == "{{other_invoices}}" {
                p.to_string()
            } else {
                format!("<p>{}</p>", p.replace('\n', "<br>\n"))
            }
        })
        .collect();
    format!(
        "<!DOCTYPE html>\n<html><body style=\"font-family: sans-serif; font-size: 14px; color: #222\">\n{}\n</body></html>\n",
        paragraphs.join("\n")
    )
}

fn built_in(subject: &str, text: &str) -> Template {
    Template {
        subject: subject.to_string(),
        text: text.to_string(),
        html: html_from_text(text),
    }
}

const SIGN_OFF: &str = "Kind regards,\n{{org_name}}";

/// The built-in wording of template `name`; a name Dun does not know gets
/// a neutral account reminder.
pub fn default_template(name: &str) -> Template {
    let body = |opening: &str, closing: &str| {
        format!(
            "Dear {{{{customer_name}}}},\n\n{opening}\n\n{{{{invoices_table}}}}\n\nTotal: {{{{total}}}}\nPayment reference: {{{{payment_reference}}}}\n\n{closing} {{{{interest_notice}}}}\n\n{{{{other_invoices}}}}\n\nYou can see your account and pay online: {{{{portal_link}}}}{{{{pay_online}}}}\n\n{SIGN_OFF}"
        )
    };
    match name {
        "courtesy_reminder" => built_in(
            "Upcoming payment to {{org_name}}",
            &body(
                "A friendly reminder that the following invoices fall due soon:",
                "If you have already arranged payment, thank you, and please ignore this message.",
            ),
        ),
        "due_today_reminder" => built_in(
            "Payment due today: {{org_name}}",
            &body(
                "The following invoices are due today:",
                "If you have already paid, thank you, and please ignore this message.",
            ),
        ),
        "first_notice" | "dunning_level_1" => built_in(
            "Overdue invoices: {{org_name}}",
            &body(
                "According to our records, the following invoices are now overdue:",
                "Perhaps this has been overlooked. Please arrange payment at your earliest convenience, or reply to this message if something is wrong with an invoice.",
            ),
        ),
        "second_notice" | "dunning_level_2" => built_in(
            "Second notice: overdue invoices from {{org_name}}",
            &body(
                "{{reminders_sent}}The following invoices remain unpaid:",
                "Please pay them now, or reply to this message within seven days to tell us when you will. Late-payment charges may apply under our terms.",
            ),
        ),
        "final_demand" | "dunning_level_3" => built_in(
            "FINAL DEMAND: overdue invoices from {{org_name}}",
            &body(
                "{{reminders_sent}}The following invoices are still unpaid. This is our final demand for payment:",
                "Unless the full amount is paid within seven days, we may suspend your account and pass the debt to a collection agency or take legal action without further notice. Fees and interest apply as stated in our terms.",
            ),
        ),
        "plan_installment_reminder" => built_in(
            "Payment plan installment due soon: {{org_name}}",
            &body(
                "A reminder that the next installment of your payment plan falls due soon:",
                "Thank you for keeping to the plan.",
            ),
        ),
        "plan_installment_notice" => built_in(
            "Missed payment plan installment: {{org_name}}",
            &body(
                "The following installment of your payment plan is overdue:",
                "Please pay it now so that the plan stays in force.",
            ),
        ),
        "invoice" => built_in(
            "Invoice {{invoice_number}} from {{org_name}}",
            &format!(
                "Dear {{{{customer_name}}}},\n\nPlease find attached invoice {{{{invoice_number}}}} for {{{{invoice_total}}}}, due on {{{{due_date}}}}. Please quote the payment reference {{{{payment_reference}}}} when you pay. The PDF is for reading; the XML is the same invoice for your accounting software.\n\nYou can see your account and pay online: {{{{portal_link}}}}{{{{pay_online}}}}\n\nThank you for your business.\n\n{SIGN_OFF}"
            ),
        ),
        "credit_note" => built_in(
            "Credit note {{invoice_number}} from {{org_name}}",
            &format!(
                "Dear {{{{customer_name}}}},\n\nPlease find attached credit note {{{{invoice_number}}}} for {{{{invoice_total}}}}.\n\nYou can see your account online: {{{{portal_link}}}}\n\n{SIGN_OFF}"
            ),
        ),
        "statement" => built_in(
            "Statement of account {{period_start}} to {{period_end}}: {{org_name}}",
            &format!(
                "Dear {{{{customer_name}}}},\n\nPlease find attached your statement of account from {{{{period_start}}}} to {{{{period_end}}}}. These invoices are open:\n\n{{{{invoices_table}}}}\n\nTotal open: {{{{total}}}}\nPayment reference: {{{{payment_reference}}}}\n\nYou can see your account and pay online: {{{{portal_link}}}}{{{{pay_online}}}}\n\n{SIGN_OFF}"
            ),
        ),
        _ => built_in(
            "Your account with {{org_name}}",
            &body(
                "We are writing about the following invoices on your account:",
                "Please arrange payment, or reply to this message if you have any question.",
            ),
        ),
    }
}

/// The template names Dun has its own wording for.
pub const BUILT_IN_NAMES: [&str; 10] = [
    "courtesy_reminder",
    "due_today_reminder",
    "first_notice",
    "second_notice",
    "final_demand",
    "plan_installment_reminder",
    "plan_installment_notice",
    "invoice",
    "credit_note",
    "statement",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_template_passes_its_own_check() {
        for name in BUILT_IN_NAMES.iter().chain(&["anything_else"]) {
            default_template(name).check(name).unwrap();
        }
    }

    #[test]
    fn an_unknown_placeholder_is_refused_with_its_line_and_the_known_ones() {
        let t = Template {
            subject: "Hello {{customer_name}}".into(),
            text: "line one\n{{totl}}".into(),
            html: "<p>x</p>".into(),
        };
        let e = t.check("first_notice").unwrap_err();
        assert_eq!((e.part, e.line), ("text body", 2));
        assert!(e.reason.contains("unknown placeholder {{totl}}"), "{e}");
        assert!(e.reason.contains("{{total}}"), "{e}");
        assert!(e
            .to_string()
            .starts_with("template 'first_notice', text body, line 2"));
        let unclosed = Template {
            html: "<p>{{total</p>".into(),
            ..t.clone()
        };
        let unclosed = Template {
            text: "ok".into(),
            ..unclosed
        };
        let e = unclosed.check("x").unwrap_err();
        assert_eq!(e.part, "html body");
        assert!(e.reason.contains("not closed"));
        let two_lines = Template {
            subject: "a\nb".into(),
            text: "ok".into(),
            html: "ok".into(),
        };
        assert_eq!(two_lines.check("x").unwrap_err().part, "subject");
        // Issue 18 item 7: no NUL or other control character in any part;
        // a body keeps its line breaks and tabs.
        for (part, bad) in [
            (
                "subject",
                Template {
                    subject: "a\u{0}b".into(),
                    text: "ok".into(),
                    html: "ok".into(),
                },
            ),
            (
                "subject",
                Template {
                    subject: "a\tb".into(),
                    text: "ok".into(),
                    html: "ok".into(),
                },
            ),
            (
                "text body",
                Template {
                    subject: "s".into(),
                    text: "a\u{0}b".into(),
                    html: "ok".into(),
                },
            ),
            (
                "html body",
                Template {
                    subject: "s".into(),
                    text: "ok".into(),
                    html: "a\u{1b}b".into(),
                },
            ),
        ] {
            let e = bad.check("x").unwrap_err();
            assert_eq!(e.part, part, "{e}");
            assert!(e.reason.contains("control character"), "{e}");
        }
        let lines = Template {
            subject: "s".into(),
            text: "Dear you,\r\n\tthanks".into(),
            html: "ok".into(),
        };
        lines.check("x").unwrap();
    }

    #[test]
    fn values_are_escaped_in_html_except_the_built_html() {
        let t = Template {
            subject: "To {{customer_name}}".into(),
            text: "{{customer_name}}\n{{invoices_table}}".into(),
            html: "<p>{{customer_name}}</p>{{invoices_table}}{{ portal_link }}".into(),
        };
        let mut vars = Vars::default();
        vars.set("customer_name", "Smith & <Sons>\nLtd");
        vars.set_with_html(
            "invoices_table",
            "INV-1  10.00",
            "<table><tr><td>INV-1</td></tr></table>",
        );
        vars.set_with_html(
            "portal_link",
            "https://x/p/1",
            "<a href=\"https://x/p/1\">https://x/p/1</a>",
        );
        let r = t.render("t", &vars).unwrap();
        assert_eq!(r.subject, "To Smith & <Sons> Ltd");
        assert_eq!(r.text, "Smith & <Sons>\nLtd\nINV-1  10.00");
        assert_eq!(
            r.html,
            "<p>Smith &amp; &lt;Sons&gt;\nLtd</p><table><tr><td>INV-1</td></tr></table><a href=\"https://x/p/1\">https://x/p/1</a>"
        );
    }
}
