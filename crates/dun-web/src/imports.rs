//! Imports in the browser: a CSV of customers, invoices or payments is
//! uploaded and checked first (a dry run: every problem with its row, the
//! column as the file names it, the value as written and what is
//! accepted; nothing written), then imported by a confirm step that
//! carries the checked file and its digest — a file that is not the one
//! checked is refused. Both steps take the path `dun import` takes
//! (`Store::import_file`: dun-csv's reading, the store's all-or-nothing
//! import, the same digest and key, so importing a file twice writes it
//! once). Bank statements are imported on the Bank page. The exports of
//! `dun export` are offered for download.

use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use dun_core::import::{ImportErrors, ImportWarning};
use dun_csv::{ColumnMap, FileKind};
use dun_server::app::{AppState, Caller, Need};
use dun_server::problem::ApiError;
use dun_store::import::{file_digest, file_key, ImportRequest, ImportSummary};
use dun_store::StoreError;
use maud::{html, Markup};
use serde::Deserialize;

use crate::layout::{page, Ctx};
use crate::{error_page, html as html_response, read_page, see_other};

/// Largest file an import from the browser takes, in bytes (the page
/// carries the checked file to its confirm step; larger files go through
/// `dun import`).
pub const IMPORT_UPLOAD_BYTES_MAX: usize = 2 * 1024 * 1024;
/// Largest body the import routes read: the file twice over (the confirm
/// step carries it as hex) and room for the form's other fields.
const UPLOAD_BODY_BYTES_MAX: usize = 2 * IMPORT_UPLOAD_BYTES_MAX + 64 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/imports", get(show))
        .route(
            "/imports/check",
            post(check).layer(DefaultBodyLimit::max(UPLOAD_BODY_BYTES_MAX)),
        )
        .route(
            "/imports/confirm",
            post(confirm).layer(DefaultBodyLimit::max(UPLOAD_BODY_BYTES_MAX)),
        )
        .route("/imports/export/{file}", get(export))
}

#[derive(Deserialize, Default)]
pub struct ShowQuery {
    /// After an import: what it was (`customers`, …).
    done: Option<String>,
    written: Option<usize>,
    rows: Option<usize>,
    /// The same file was imported before; nothing new was written.
    repeated: Option<String>,
}

fn kind_hint(kind: FileKind) -> Markup {
    html! {
        (kind.as_str()) ": "
        @for (i, c) in kind.columns().iter().enumerate() {
            @if i > 0 { ", " }
            @if kind.required().contains(c) { strong { (c) } } @else { (c) }
        }
    }
}

fn upload_form(ctx: &Ctx, kind: Option<FileKind>) -> Markup {
    html! {
        form.stack method="post" action="/imports/check" enctype="multipart/form-data" {
            (ctx.csrf_field())
            label for="kind" { "What the file holds" }
            select #kind name="kind" {
                @for k in FileKind::ALL {
                    option value=(k.as_str()) selected[kind == Some(k)] { (k.as_str()) }
                }
            }
            label for="file" { "CSV file " span.hint { "(at most " (IMPORT_UPLOAD_BYTES_MAX / (1024 * 1024)) " MB; a header row naming the columns)" } }
            input #file type="file" name="file" accept=".csv,text/csv" required;
            button #check type="submit" { "Check the file (nothing is written)" }
        }
        details {
            summary { "The columns of each file (required in bold)" }
            ul {
                @for k in FileKind::ALL { li.small { (kind_hint(k)) } }
            }
            p.small { "Other systems' usual column names are read too, each with a warning." }
        }
    }
}

fn done_notice(query: &ShowQuery) -> Option<String> {
    let kind = FileKind::parse(query.done.as_deref()?)?;
    if query.repeated.is_some() {
        return Some(format!(
            "This file of {} was imported before; nothing new was written.",
            kind.as_str()
        ));
    }
    Some(format!(
        "Imported {} {} from {} rows.",
        query.written.unwrap_or(0),
        kind.as_str(),
        query.rows.unwrap_or(0)
    ))
}

fn imports_page(
    ctx: &Ctx,
    notice: Option<&str>,
    body_top: Markup,
    kind: Option<FileKind>,
) -> Markup {
    let writer = ctx.role >= dun_store::accounts::Role::Collector;
    let body = html! {
        h1 { "Imports" }
        @if let Some(message) = notice { p.notice.ok role="status" #done { (message) } }
        (body_top)
        @if writer {
            h2 { "Import a file" }
            p { "The file is checked first: every problem is listed with its row, and nothing is written until you confirm. A file with any bad row is refused whole." }
            (upload_form(ctx, kind))
            p { "Bank statements (camt or a bank's CSV) are imported on the " a href="/bank" { "Bank page" } "." }
        } @else {
            p.notice { "You may read the book but not write to it: a collector or an owner imports files." }
        }
        h2 { "Export" }
        p { "The book's customers, invoices and payments in the same columns an import reads: "
            a #export-customers href="/imports/export/customers.csv" download { "customers.csv" } ", "
            a #export-invoices href="/imports/export/invoices.csv" download { "invoices.csv" } ", "
            a #export-payments href="/imports/export/payments.csv" download { "payments.csv" } "." }
    };
    page(ctx, "Imports", "Imports", body)
}

pub async fn show(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Query(query): Query<ShowQuery>,
) -> Response {
    read_page(&state, caller, move |_, _, ctx| {
        let notice = done_notice(&query);
        Ok((
            StatusCode::OK,
            imports_page(ctx, notice.as_deref(), html! {}, None),
        ))
    })
    .await
}

/// The problems of a file, one row each, in the order of the file.
fn problems_table(errors: &ImportErrors) -> Markup {
    let mut sorted: Vec<_> = errors.errors.iter().collect();
    sorted.sort_by_key(|e| e.row);
    html! {
        div.scroll tabindex="0" { table.data #problems {
            caption { (sorted.len()) " problem" @if sorted.len() != 1 { "s" } }
            thead { tr {
                th.num scope="col" { "Row" } th scope="col" { "Column" }
                th scope="col" { "Value as written" } th scope="col" { "What is accepted" }
            } }
            tbody { @for e in sorted {
                tr {
                    td.num { (e.row) }
                    td { @if e.column.is_empty() { "—" } @else { (e.column) } }
                    td.code { @if e.value.is_empty() { "—" } @else { (e.value) } }
                    td { (e.reason) }
                }
            } }
        } }
    }
}

fn warnings_list(warnings: &[ImportWarning]) -> Markup {
    html! {
        @if !warnings.is_empty() {
            h3 { "Warnings (imported as they are)" }
            ul #warnings { @for w in warnings {
                li { "Rows " (w.rows.iter().take(20).map(ToString::to_string).collect::<Vec<_>>().join(", "))
                    @if w.rows.len() > 20 { " and " (w.rows.len() - 20) " more" }
                    ": " (w.message) }
            } }
        }
    }
}

/// The multipart fields of an upload.
#[derive(Default)]
struct Upload {
    csrf: Option<String>,
    kind: String,
    name: String,
    digest: String,
    file: Vec<u8>,
    /// The confirm step's file, as hex.
    file_hex: String,
}

async fn read_upload(mut multipart: Multipart) -> Result<Upload, ApiError> {
    let too_big = || {
        ApiError::invalid(
            "file",
            format!(
                "The file is larger than an import from the browser takes (at most {} MB); import it with `dun import`, or split it.",
                IMPORT_UPLOAD_BYTES_MAX / (1024 * 1024)
            ),
        )
    };
    let mut upload = Upload::default();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(too_big()),
            Err(e) => {
                return Err(ApiError::invalid(
                    "file",
                    format!("The upload could not be read: {e}"),
                ))
            }
        };
        let field_name = field.name().unwrap_or("").to_string();
        if field_name == "file" {
            upload.name = field.file_name().unwrap_or("").to_string();
        }
        let bytes = match field.bytes().await {
            Ok(b) => b,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(too_big()),
            Err(_) => {
                return Err(ApiError::invalid(
                    "file",
                    "The upload was cut short; try again.",
                ))
            }
        };
        let text = || String::from_utf8_lossy(&bytes).into_owned();
        match field_name.as_str() {
            "csrf_token" => upload.csrf = Some(text()),
            "kind" => upload.kind = text(),
            "name" => upload.name = text(),
            "digest" => upload.digest = text(),
            "file" => upload.file = bytes.to_vec(),
            "file_hex" => upload.file_hex = text(),
            _ => {}
        }
    }
    if upload.file.len() > IMPORT_UPLOAD_BYTES_MAX
        || upload.file_hex.len() > 2 * IMPORT_UPLOAD_BYTES_MAX
    {
        return Err(too_big());
    }
    Ok(upload)
}

fn file_kind(text: &str) -> Result<FileKind, ApiError> {
    FileKind::parse(text.trim()).ok_or_else(|| {
        ApiError::invalid(
            "kind",
            format!("What the file holds: '{text}' is not one of customers, invoices, payments."),
        )
    })
}

/// What a check or an import of a file came to.
enum Outcome {
    /// A dry run found nothing wrong.
    Checked(ImportSummary),
    /// Written (or, repeated, written before).
    Imported(ImportSummary),
    /// Refused whole: every problem.
    Refused(ImportErrors),
}

/// Runs the import of `bytes` (a dry run, or the import under the file's
/// key), for the signed-in caller with the form's CSRF token.
async fn run_import(
    state: &AppState,
    caller: Caller,
    csrf: Option<String>,
    kind: FileKind,
    bytes: Vec<u8>,
    dry_run: bool,
) -> Result<(Ctx, Outcome), ApiError> {
    let caller = caller.with_form_csrf(csrf);
    state
        .as_caller(caller, Need::Write, move |store, p| {
            let ctx = Ctx::load(p)?;
            let map = ColumnMap::default();
            let digest = file_digest(&bytes, &map);
            let key = file_key(kind, false, &digest);
            let author = p.author();
            let request = ImportRequest {
                key: (!dry_run).then_some(key.as_str()),
                fingerprint: &digest,
                dry_run,
                // `dun import`'s default: imported invoices enter the
                // collections ladder today — steps they reached before were
                // the old system's, so no fee, interest or message for them.
                ladder_from: Some(ctx.today),
                author: &author,
            };
            let outcome = match store.import_file(
                p.org_id,
                kind,
                &bytes,
                &map,
                ctx.currency,
                &request,
                &mut |_| {},
            ) {
                Ok(summary) if dry_run => Outcome::Checked(summary),
                Ok(summary) => Outcome::Imported(summary),
                Err(StoreError::Import(errors)) => Outcome::Refused(errors),
                Err(e) => return Err(e.into()),
            };
            Ok((ctx, outcome))
        })
        .await
}

/// The page after a refused file: its problems, and the form again.
fn refused_page(
    ctx: &Ctx,
    kind: FileKind,
    name: &str,
    errors: &ImportErrors,
    when: &str,
) -> Response {
    let top = html! {
        div.notice.bad role="alert" {
            p { strong { (name) } " (" (kind.as_str()) ") " (when) " refused: nothing was written. Fix these rows and check the file again." }
        }
        (problems_table(errors))
    };
    html_response(
        StatusCode::UNPROCESSABLE_ENTITY,
        imports_page(ctx, None, top, Some(kind)),
    )
}

/// Step 1: the uploaded file checked, nothing written.
pub async fn check(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    multipart: Multipart,
) -> Response {
    let Ok(caller) = caller else {
        return see_other("/sign-in");
    };
    let upload = match read_upload(multipart).await {
        Ok(u) => u,
        Err(e) => return error_page(e),
    };
    let kind = match file_kind(&upload.kind) {
        Ok(k) => k,
        Err(e) => return error_page(e),
    };
    if upload.file.is_empty() {
        return error_page(ApiError::invalid(
            "file",
            "Choose a CSV file to check; the one sent was empty.",
        ));
    }
    let name = if upload.name.is_empty() {
        format!("{}.csv", kind.as_str())
    } else {
        upload.name.clone()
    };
    let digest = file_digest(&upload.file, &ColumnMap::default());
    let file_hex = hex::encode(&upload.file);
    match run_import(&state, caller, upload.csrf, kind, upload.file, true).await {
        Ok((ctx, Outcome::Refused(errors))) => refused_page(&ctx, kind, &name, &errors, "is"),
        Ok((ctx, Outcome::Checked(summary) | Outcome::Imported(summary))) => {
            let top = html! {
                section #preview aria-labelledby="preview-title" {
                    h2 #preview-title { "Checked: " (name) }
                    p.notice.ok role="status" {
                        (summary.rows) " " (kind.as_str()) " checked, all good. Nothing has been written yet."
                    }
                    (warnings_list(&summary.warnings))
                    form.stack method="post" action="/imports/confirm" enctype="multipart/form-data" {
                        (ctx.csrf_field())
                        input type="hidden" name="kind" value=(kind.as_str());
                        input type="hidden" name="name" value=(name);
                        input type="hidden" name="digest" value=(digest);
                        input type="hidden" name="file_hex" value=(file_hex);
                        p.small { "File digest (SHA-256): " span.code { (digest) } }
                        button #confirm.primary type="submit" { "Import these " (summary.rows) " " (kind.as_str()) }
                    }
                }
            };
            html_response(StatusCode::OK, imports_page(&ctx, None, top, Some(kind)))
        }
        Err(e) => error_page(e),
    }
}

/// Step 2: the checked file imported, if it is the file checked.
pub async fn confirm(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    multipart: Multipart,
) -> Response {
    let Ok(caller) = caller else {
        return see_other("/sign-in");
    };
    let upload = match read_upload(multipart).await {
        Ok(u) => u,
        Err(e) => return error_page(e),
    };
    let kind = match file_kind(&upload.kind) {
        Ok(k) => k,
        Err(e) => return error_page(e),
    };
    let changed = || {
        ApiError::conflict(
            "The file is not the one that was checked (its digest differs), so nothing was imported. Check the file again, then import it.",
        )
    };
    let Ok(bytes) = hex::decode(upload.file_hex.trim()) else {
        return error_page(changed());
    };
    if bytes.is_empty() || file_digest(&bytes, &ColumnMap::default()) != upload.digest.trim() {
        return error_page(changed());
    }
    let name = upload.name.clone();
    match run_import(&state, caller, upload.csrf, kind, bytes, false).await {
        Ok((ctx, Outcome::Refused(errors))) => refused_page(
            &ctx,
            kind,
            &name,
            &errors,
            "was checked, but the book has changed since: it is",
        ),
        Ok((_, Outcome::Imported(s) | Outcome::Checked(s))) if s.repeated => {
            see_other(&format!("/imports?done={}&repeated=1", kind.as_str()))
        }
        Ok((_, Outcome::Imported(s) | Outcome::Checked(s))) => see_other(&format!(
            "/imports?done={}&written={}&rows={}",
            kind.as_str(),
            s.written,
            s.rows
        )),
        Err(e) => error_page(e),
    }
}

/// `customers.csv`, `invoices.csv`, `payments.csv`: what `dun export` writes.
pub async fn export(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Path(file): Path<String>,
) -> Response {
    let Ok(caller) = caller else {
        return see_other("/sign-in");
    };
    let Some(kind) = file.strip_suffix(".csv").and_then(FileKind::parse) else {
        return error_page(ApiError::not_found(format!(
            "No export named '{file}': customers.csv, invoices.csv or payments.csv."
        )));
    };
    let made = state
        .as_caller(caller, Need::Read, move |store, p| {
            let mut out = Vec::new();
            let written = match kind {
                FileKind::Customers => dun_csv::write_customers(
                    &mut out,
                    &store.customer_rows(p.org_id)?,
                    p.org.currency,
                ),
                FileKind::Invoices => {
                    dun_csv::write_invoices(&mut out, &store.invoice_rows(p.org_id)?)
                }
                FileKind::Payments => {
                    dun_csv::write_payments(&mut out, &store.payment_rows(p.org_id)?)
                }
            };
            written
                .map_err(|e| ApiError::internal(format!("the export could not be written: {e}")))?;
            Ok(out)
        })
        .await;
    match made {
        Ok(bytes) => {
            let mut response = (StatusCode::OK, bytes).into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            );
            if let Ok(v) =
                HeaderValue::from_str(&format!("attachment; filename={}.csv", kind.as_str()))
            {
                headers.insert(header::CONTENT_DISPOSITION, v);
            }
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(e) => error_page(e),
    }
}
