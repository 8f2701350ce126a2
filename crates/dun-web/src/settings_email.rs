//! Sending e-mail: whether the server has an SMTP server to send through
//! (its host, port, protection, sender and user — never the password,
//! only whether one is set), whether the public address customers' links
//! start with is set (`DUN_PUBLIC_URL`), and the outbox at a glance: how
//! many messages are in each state and the last send error, linking to
//! the outbox. Both settings come from the server's environment, not from
//! the book, so the page says which variable to set.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use dun_mail::TlsMode;
use dun_server::app::{AppState, Caller};
use dun_server::problem::ApiError;
use maud::html;

use crate::layout::{page, words};
use crate::read_page;

pub fn routes() -> Router<AppState> {
    Router::new().route("/settings/email", get(show))
}

fn tls_words(tls: TlsMode) -> &'static str {
    match tls {
        TlsMode::None => "none (plain text)",
        TlsMode::Starttls => "STARTTLS",
        TlsMode::Tls => "TLS from the first byte",
    }
}

pub async fn show(State(state): State<AppState>, caller: Result<Caller, ApiError>) -> Response {
    let smtp = state.smtp.clone();
    let public_url = state.config.customer_link_base().map(str::to_string);
    read_page(&state, caller, move |store, p, ctx| {
        let counts = store.outbox_counts(p.org_id)?;
        let last_failed = store
            .outbox_recent(p.org_id, Some("failed"), 1)?
            .into_iter()
            .next();
        let body = html! {
            p.crumbs { a href="/settings" { "Settings" } }
            h1 { "Sending e-mail" }
            section aria-labelledby="smtp" {
                h2 #smtp { "SMTP server" }
                @match &smtp {
                    Some(c) => {
                        p.notice.ok #smtp-state role="status" { "An SMTP server is configured: the outbox's messages are sent." }
                        dl.facts #smtp-config {
                            dt { "Server" } dd { (c.host) ":" (c.port) }
                            dt { "Protection" } dd { (tls_words(c.tls)) }
                            dt { "From" } dd { (c.from) }
                            dt { "Replies to" } dd { (c.reply_to.as_deref().unwrap_or("—")) }
                            dt { "User" } dd { (c.username.as_deref().unwrap_or("—")) }
                            dt { "Password" } dd #smtp-password { @if c.password.is_some() { "set" } @else { "not set" } }
                        }
                    }
                    None => {
                        p.notice.bad #smtp-state role="status" {
                            "No SMTP server is configured, so messages stay in the outbox and nothing is e-mailed. "
                            "Set " code { "DUN_SMTP_HOST" } " and " code { "DUN_SMTP_FROM" } " (and "
                            code { "DUN_SMTP_USERNAME" } ", " code { "DUN_SMTP_PASSWORD" } " when the server asks) for "
                            code { "dun serve" } " and restart it."
                        }
                    }
                }
            }
            section aria-labelledby="public-url" {
                h2 #public-url { "Public address" }
                @match &public_url {
                    Some(url) => p.notice.ok #public-url-state role="status" { "Customers' links start with " code { (url) } "." },
                    None => p.notice.bad #public-url-state role="status" {
                        "No public address is set, so messages stay in the outbox: every customer e-mail carries a link to the customer's portal, "
                        "and a link to this machine would reach nobody. Set " code { "DUN_PUBLIC_URL" }
                        " to the address customers reach " code { "dun serve" } " at (https://ar.example.com)."
                    },
                }
            }
            section aria-labelledby="outbox-glance" {
                h2 #outbox-glance { "The outbox" }
                @if counts.is_empty() {
                    p.empty { "No message has been queued yet." }
                } @else {
                    dl.facts #outbox-counts {
                        @for (status, n) in &counts {
                            dt { a href=(format!("/outbox?status={status}")) { (words(status)) } }
                            dd { (n) }
                        }
                    }
                }
                @if let Some(m) = &last_failed {
                    p #last-error {
                        "Last send error (" a href=(format!("/outbox/{}", m.id)) { "message " (m.id) } ", to " (m.customer_name) "): "
                        (m.last_error.as_deref().unwrap_or("—"))
                    }
                }
                p { a href="/outbox" { "Open the outbox" } " · " a href="/settings/templates" { "E-mail templates" } }
            }
        };
        Ok((StatusCode::OK, page(ctx, "Settings", "Sending e-mail", body)))
    })
    .await
}
