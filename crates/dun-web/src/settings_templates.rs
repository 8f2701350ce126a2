//! The e-mail templates: every template, Dun's wording or the
//! organisation's; one template's editor with the placeholders it may use
//! listed beside it, a preview written with sample values (the book's
//! first customer, two made-up invoices) before anything is saved, and a
//! reset to Dun's wording. Checked as `PUT /api/v1/templates/{name}` and
//! `dun template set` check it (`documents::checked_template`): an
//! unknown placeholder is refused naming it and its line, nothing saved.
//! Everyone reads the templates; only an owner changes them.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use dun_mail::template::{Rendered, PLACEHOLDERS};
use dun_mail::worker::{sample_vars, Sample};
use dun_server::app::{AppState, Caller, Need};
use dun_server::problem::ApiError;
use dun_server::routes::documents::{all_templates, checked_template, TemplateOut};
use dun_store::accounts::{Principal, Role};
use dun_store::customer_list::CustomerFilter;
use dun_store::Store;
use maud::{html, Markup};
use serde::Deserialize;

use crate::layout::{encode, page, Ctx};
use crate::{error_page, html as html_page, read_page, see_other, submit};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/settings/templates", get(list))
        .route("/settings/templates/{name}", get(show).post(edit))
        .route("/settings/templates/{name}/reset", post(reset))
}

/// The editor's form: the wording typed, and which button was pressed
/// (`preview` or `save`).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct TemplateForm {
    csrf_token: Option<String>,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    action: String,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct ButtonForm {
    csrf_token: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct ShowQuery {
    /// `saved` or `reset`: what was just done.
    done: Option<String>,
}

fn whose(t: &TemplateOut) -> String {
    match (t.version, &t.updated_by, &t.updated_at) {
        (Some(v), Some(by), Some(at)) => {
            format!("yours, version {v} ({by}, {})", at.get(..10).unwrap_or(at))
        }
        _ => "Dun's".into(),
    }
}

fn one(store: &mut Store, org_id: i64, name: &str) -> Result<TemplateOut, ApiError> {
    all_templates(store.message_templates(org_id)?)
        .into_iter()
        .find(|t| t.name == name)
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "template '{name}' is neither built in nor written by your organisation"
            ))
        })
}

pub async fn list(State(state): State<AppState>, caller: Result<Caller, ApiError>) -> Response {
    read_page(&state, caller, |store, p, ctx| {
        let all = all_templates(store.message_templates(p.org_id)?);
        let body = html! {
            p.crumbs { a href="/settings" { "Settings" } }
            h1 { "E-mail templates" }
            p.muted {
                "The wording of every e-mail Dun sends: one template for each step of the policy and each document. "
                "Whether e-mail leaves at all: " a href="/settings/email" { "sending" } "."
            }
            div.scroll tabindex="0" { table.data #templates {
                thead { tr {
                    th scope="col" { "Template" } th scope="col" { "Wording" } th scope="col" { "Subject" }
                } }
                tbody { @for t in &all {
                    tr {
                        td { a href=(format!("/settings/templates/{}", encode(&t.name))) { (t.name) } }
                        td { (whose(t)) }
                        td { (t.subject) }
                    }
                } }
            } }
        };
        Ok((StatusCode::OK, page(ctx, "Settings", "E-mail templates", body)))
    })
    .await
}

/// The message the wording writes for the sample customer.
fn preview(
    store: &mut Store,
    p: &Principal,
    ctx: &Ctx,
    name: &str,
    wording: &dun_mail::template::Template,
    public_url: &str,
) -> Result<(Rendered, String), ApiError> {
    let filter = CustomerFilter {
        after_ref: None,
        reference: None,
        status: None,
        tier: None,
        overdue: false,
        search: None,
        as_of: ctx.today,
        limit: 1,
    };
    let first = store.customer_page(p.org_id, &filter)?.into_iter().next();
    let (customer_name, customer_ref, customer_id) = match &first {
        Some(c) => (c.name.as_str(), c.reference.as_str(), c.id),
        None => ("Sample Customer Ltd", "SAMPLE", 1),
    };
    let vars = sample_vars(&Sample {
        org_name: &ctx.org_name,
        customer_name,
        customer_ref,
        customer_id,
        currency: ctx.currency.code(),
        today: ctx.today,
        public_url,
    });
    let written = wording
        .render(name, &vars)
        .map_err(|e| ApiError::invalid("text", e.to_string()))?;
    let to = match &first {
        Some(c) => format!(
            "Written to {} ({}), the book's first customer, about two made-up invoices.",
            c.name, c.reference
        ),
        None => "Written to a made-up customer about two made-up invoices.".into(),
    };
    Ok((written, to))
}

/// What the editor shows besides the template: a refusal, or a preview.
enum Shown<'a> {
    Stored,
    Refused(&'a str),
    Preview(Rendered, String),
}

fn editor_page(
    ctx: &Ctx,
    p: &Principal,
    t: &TemplateOut,
    form: &TemplateForm,
    shown: Shown<'_>,
    done: Option<&str>,
) -> Markup {
    let owner = p.role == Role::Owner;
    let action = format!("/settings/templates/{}", encode(&t.name));
    let body = html! {
        p.crumbs { a href="/settings" { "Settings" } " › " a href="/settings/templates" { "E-mail templates" } }
        h1 { "Template " (t.name) }
        p #template-whose { "Wording: " (whose(t)) "." }
        @match done {
            Some("saved") => { p.notice.ok #template-done role="status" { "The template is saved; the next messages use it." } }
            Some("reset") => { p.notice.ok #template-done role="status" { "The template is Dun's wording again." } }
            _ => {}
        }
        @if let Shown::Refused(message) = &shown {
            p.notice.bad #template-refused role="alert" { "Nothing was saved. " (message) }
        }
        @if let Shown::Preview(written, to) = &shown {
            section.preview aria-labelledby="preview" {
                p.notice.ok role="status" { "The wording is valid. Nothing is saved yet." }
                h2 #preview { "Preview" }
                p.muted #preview-to { (to) }
                dl.facts { dt { "Subject" } dd #preview-subject { (written.subject) } }
                pre.document #preview-text { (written.text) }
            }
        }
        div.columns {
            div {
                @if owner {
                    form.stack method="post" action=(action) {
                        (ctx.csrf_field())
                        label for="template-subject" { "Subject " span.hint { "(one line)" } }
                        input #template-subject type="text" name="subject" value=(form.subject) required;
                        label for="template-text" { "Text " span.hint { "(the HTML version is written from its paragraphs)" } }
                        textarea #template-text name="text" rows="18" spellcheck="true" aria-describedby="placeholders-title" { (form.text) }
                        div.buttons {
                            button #preview-template type="submit" name="action" value="preview" { "Preview" }
                            button.primary #save-template type="submit" name="action" value="save" { "Save" }
                        }
                    }
                    @if t.edited && t.built_in {
                        form.inline method="post" action=(format!("{action}/reset")) {
                            (ctx.csrf_field())
                            button #reset-template type="submit" { "Back to Dun's wording" }
                        }
                    }
                } @else {
                    p.muted { "Only an owner changes the templates." }
                    dl.facts { dt { "Subject" } dd { (t.subject) } }
                    pre.document { (t.text) }
                }
            }
            aside aria-labelledby="placeholders-title" {
                h2 #placeholders-title { "Placeholders" }
                p.muted { "Written as " code { "{{name}}" } "; no other is accepted." }
                dl #placeholders {
                    @for (name, what) in PLACEHOLDERS {
                        dt { code { "{{" (name) "}}" } }
                        dd { (what) }
                    }
                }
            }
        }
    };
    page(ctx, "Settings", &format!("Template {}", t.name), body)
}

pub async fn show(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Path(name): Path<String>,
    Query(query): Query<ShowQuery>,
) -> Response {
    read_page(&state, caller, move |store, p, ctx| {
        let t = one(store, p.org_id, &name)?;
        let form = TemplateForm {
            subject: t.subject.clone(),
            text: t.text.clone(),
            ..TemplateForm::default()
        };
        let page = editor_page(ctx, p, &t, &form, Shown::Stored, query.done.as_deref());
        Ok((StatusCode::OK, page))
    })
    .await
}

/// Preview (nothing written) or save the typed wording; either refuses a
/// wording that does not pass the check, with what was typed.
pub async fn edit(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Path(name): Path<String>,
    Form(mut form): Form<TemplateForm>,
) -> Response {
    // A browser sends a textarea's lines ending CR LF; the wording is kept
    // with LF, as the API and the CLI keep it (paragraphs are blank lines).
    form.text = form.text.replace("\r\n", "\n");
    let public_url = state.config.site_url();
    if form.action == "preview" {
        let Ok(caller) = caller else {
            return see_other("/sign-in");
        };
        let caller = caller.with_form_csrf(form.csrf_token.clone());
        let done = state
            .as_caller(caller, Need::Own, move |store, p| {
                let ctx = Ctx::load(p)?;
                let t = one(store, p.org_id, &name)?;
                let checked =
                    checked_template(&name, form.subject.clone(), form.text.clone(), None);
                let (status, shown) = match checked {
                    Ok(wording) => {
                        let (written, to) = preview(store, p, &ctx, &name, &wording, &public_url)?;
                        (StatusCode::OK, Shown::Preview(written, to))
                    }
                    Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => {
                        let page = editor_page(&ctx, p, &t, &form, Shown::Refused(&e.detail), None);
                        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page));
                    }
                    Err(e) => return Err(e),
                };
                Ok((status, editor_page(&ctx, p, &t, &form, shown, None)))
            })
            .await;
        return match done {
            Ok((status, markup)) => html_page(status, markup),
            Err(e) => error_page(e),
        };
    }
    let (submitted, again, name_again) = (form.clone(), form, name.clone());
    submit(
        &state,
        caller,
        submitted.csrf_token.clone(),
        Need::Own,
        move |store, p, _| {
            let wording = checked_template(&name, submitted.subject, submitted.text, None)?;
            store.set_message_template(
                p.org_id,
                &name,
                &wording.subject,
                &wording.text,
                &wording.html,
                &p.author(),
                &store.now_utc(),
            )?;
            Ok(format!("/settings/templates/{}?done=saved", encode(&name)))
        },
        move |store, p, ctx, message| {
            let t = one(store, p.org_id, &name_again)?;
            Ok(editor_page(
                ctx,
                p,
                &t,
                &again,
                Shown::Refused(message),
                None,
            ))
        },
    )
    .await
}

/// Back to Dun's wording: the organisation's own is dropped.
pub async fn reset(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Path(name): Path<String>,
    Form(form): Form<ButtonForm>,
) -> Response {
    let name_again = name.clone();
    submit(
        &state,
        caller,
        form.csrf_token,
        Need::Own,
        move |store, p, _| {
            store.reset_message_template(p.org_id, &name)?;
            Ok(format!("/settings/templates/{}?done=reset", encode(&name)))
        },
        move |store, p, ctx, message| {
            let t = one(store, p.org_id, &name_again)?;
            let form = TemplateForm {
                subject: t.subject.clone(),
                text: t.text.clone(),
                ..TemplateForm::default()
            };
            Ok(editor_page(
                ctx,
                p,
                &t,
                &form,
                Shown::Refused(message),
                None,
            ))
        },
    )
    .await
}
