//! `dun template`: the wording of the e-mails Dun sends (one template per
//! ladder step and document), Dun's own or the organisation's: list them,
//! show one, set one from files, reset one to Dun's wording. An unknown
//! placeholder is refused with where it is, before anything is saved.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context as _, Result};
use clap::Subcommand;
use dun_mail::template::{self, Template, PLACEHOLDERS};
use dun_store::delivery::StoredTemplate;
use serde::Serialize;

use super::log::AuthorArg;
use crate::cli::FormatArg;
use crate::context::Context;
use crate::output::{emit, Table};

/// Longest template name, in bytes.
const NAME_BYTES_MAX: usize = 64;

#[derive(Subcommand, Debug)]
pub enum TemplateCommand {
    /// Every template: Dun's built-in wording, or yours where you changed it.
    List {
        #[command(flatten)]
        format: FormatArg,
    },
    /// One template's subject, text body and HTML body.
    Show {
        /// The template's name, e.g. first_notice.
        name: String,
    },
    /// Save your wording of a template (a new version).
    Set {
        /// The template's name, e.g. first_notice.
        name: String,
        /// One line; may use placeholders such as {{customer_name}}.
        #[arg(long)]
        subject: String,
        /// The plain-text body.
        #[arg(long, value_name = "FILE")]
        text_file: PathBuf,
        /// The HTML body (default: the text's paragraphs as HTML).
        #[arg(long, value_name = "FILE")]
        html_file: Option<PathBuf>,
        #[command(flatten)]
        author: AuthorArg,
    },
    /// Back to Dun's wording: drop yours of a template (the next messages
    /// use the built-in one; a later `set` starts again at version 1).
    Reset {
        /// The template's name, e.g. first_notice.
        name: String,
    },
}

/// A template as listed: Dun's or the organisation's.
#[derive(Serialize)]
struct Listed {
    name: String,
    subject: String,
    text: String,
    html: String,
    built_in: bool,
    edited: bool,
    version: Option<i64>,
    updated_by: Option<String>,
    updated_at: Option<String>,
}

fn listed(stored: Vec<StoredTemplate>) -> Vec<Listed> {
    let mut out: Vec<Listed> = template::BUILT_IN_NAMES
        .iter()
        .filter(|n| !stored.iter().any(|t| t.name == **n))
        .map(|n| {
            let t = template::default_template(n);
            Listed {
                name: n.to_string(),
                subject: t.subject,
                text: t.text,
                html: t.html,
                built_in: true,
                edited: false,
                version: None,
                updated_by: None,
                updated_at: None,
            }
        })
        .collect();
    out.extend(stored.into_iter().map(|t| Listed {
        built_in: template::BUILT_IN_NAMES.contains(&t.name.as_str()),
        name: t.name,
        subject: t.subject,
        text: t.text_body,
        html: t.html_body,
        edited: true,
        version: Some(t.version),
        updated_by: Some(t.updated_by),
        updated_at: Some(t.updated_at),
    }));
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

fn read(path: &Path, what: &str) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("{what}: cannot read {}", path.display()))
}

fn check_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= NAME_BYTES_MAX
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !ok {
        bail!("template name '{name}': use 1 to {NAME_BYTES_MAX} lower-case letters, digits or underscores (e.g. first_notice)");
    }
    Ok(())
}

pub fn run(ctx: &mut Context, command: TemplateCommand) -> Result<()> {
    let org_id = ctx.org.id;
    match command {
        TemplateCommand::List { format } => {
            let all = listed(ctx.store.message_templates(org_id)?);
            let mut table = Table::new(&["name", "wording", "version", "subject"]).numeric([2]);
            for t in &all {
                table.push(vec![
                    t.name.clone(),
                    if t.edited { "yours" } else { "built in" }.to_string(),
                    t.version.map_or_else(String::new, |v| v.to_string()),
                    t.subject.clone(),
                ]);
            }
            emit(format.format, &table, &all)
        }
        TemplateCommand::Show { name } => {
            let t = listed(ctx.store.message_templates(org_id)?)
                .into_iter()
                .find(|t| t.name == name)
                .ok_or_else(|| {
                    anyhow!(
                        "template '{name}' is neither built in nor yours; see `dun template list`"
                    )
                })?;
            let whose = match (&t.version, &t.updated_by, &t.updated_at) {
                (Some(v), Some(by), Some(at)) => format!("yours, version {v} by {by} at {at}"),
                _ => "built in".to_string(),
            };
            println!("Template {} ({whose})", t.name);
            println!("Subject: {}\n", t.subject);
            println!("--- text ---\n{}\n", t.text.trim_end());
            println!("--- html ---\n{}", t.html.trim_end());
            Ok(())
        }
        TemplateCommand::Set {
            name,
            subject,
            text_file,
            html_file,
            author,
        } => {
            check_name(&name)?;
            let text = read(&text_file, "--text-file")?;
            let html = match &html_file {
                Some(path) => read(path, "--html-file")?,
                None => template::html_from_text(&text),
            };
            let wording = Template {
                subject,
                text,
                html,
            };
            wording.check(&name).map_err(|e| {
                let known: Vec<&str> = PLACEHOLDERS.iter().map(|(p, _)| *p).collect();
                anyhow!("{e}\nnothing was saved; placeholders: {}", known.join(", "))
            })?;
            let saved = ctx.store.set_message_template(
                org_id,
                &name,
                &wording.subject,
                &wording.text,
                &wording.html,
                &author.name(),
                &ctx.store.now_utc(),
            )?;
            println!(
                "Template {} saved (version {}); the next messages use it",
                saved.name, saved.version
            );
            Ok(())
        }
        TemplateCommand::Reset { name } => {
            check_name(&name)?;
            let dropped = ctx.store.reset_message_template(org_id, &name)?;
            let built_in = template::BUILT_IN_NAMES.contains(&name.as_str());
            match (dropped, built_in) {
                (true, true) => {
                    println!("Template {name} is Dun's wording again; the next messages use it")
                }
                (true, false) => println!(
                    "Template {name} is dropped; it is not built in, so nothing uses it now"
                ),
                (false, true) => println!("Template {name} is Dun's wording already"),
                (false, false) => bail!(
                    "template '{name}' is neither built in nor yours; see `dun template list`"
                ),
            }
            Ok(())
        }
    }
}
