//! `dun user` and `dun token`: the accounts `dun serve` signs people and
//! programs in with, managed from the machine itself (first owner,
//! recovery, tokens for scripts).

use std::io::Read;

use anyhow::{anyhow, Context as _, Result};
use clap::{Args, Subcommand};
use dun_store::accounts::Role;
use serde_json::json;

use crate::cli::FormatArg;
use crate::context::Context;
use crate::output::{emit, Table};

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Add a user to the organisation at once (the password is read from
    /// DUN_PASSWORD or standard input). Only the operator adds directly —
    /// whoever runs this has the database itself; an owner over the web or
    /// the API invites, and the person accepts through a one-time link.
    Add(UserAddArgs),
    /// The organisation's users and their roles.
    List(FormatArg),
    /// Set a user's password (read from DUN_PASSWORD or standard input);
    /// every session of theirs ends.
    Password {
        /// The user's e-mail address.
        email: String,
    },
}

#[derive(Args, Debug)]
pub struct UserAddArgs {
    pub email: String,
    #[arg(long)]
    pub name: String,
    /// owner, collector or viewer.
    #[arg(long, default_value = "collector")]
    pub role: String,
}

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Make an API token for a user; its secret is printed once.
    Create(TokenCreateArgs),
    /// The organisation's tokens (never their secrets).
    List(FormatArg),
    /// Revoke a token at once.
    Revoke { id: i64 },
}

#[derive(Args, Debug)]
pub struct TokenCreateArgs {
    /// The user the token acts as (their e-mail address).
    #[arg(long)]
    pub user: String,
    /// What the token is for.
    #[arg(long)]
    pub name: String,
    /// owner, collector or viewer (at most the user's own role).
    #[arg(long, default_value = "collector")]
    pub role: String,
}

fn password() -> Result<String> {
    if let Ok(p) = std::env::var("DUN_PASSWORD") {
        return Ok(p);
    }
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .context("cannot read the password from standard input")?;
    Ok(text.trim_end_matches(['\n', '\r']).to_string())
}

fn role(text: &str) -> Result<Role> {
    Role::parse(text).map_err(|e| anyhow!("--role: {e}"))
}

pub fn user(ctx: &mut Context, command: UserCommand) -> Result<()> {
    match command {
        UserCommand::Add(args) => {
            let role = role(&args.role)?;
            let password = password()?;
            let member =
                ctx.store
                    .add_user(ctx.org.id, &args.email, &args.name, Some(&password), role)?;
            println!(
                "Added {} as {} of {}.",
                member.user.email,
                member.role.as_str(),
                ctx.org.name
            );
            Ok(())
        }
        UserCommand::Password { email } => {
            let password = password()?;
            ctx.store.set_password(&email, &password)?;
            println!("Changed the password of {email}; their sessions have ended.");
            Ok(())
        }
        UserCommand::List(format) => {
            let members = ctx.store.members(ctx.org.id)?;
            let mut table = Table::new(&["Email", "Name", "Role", "Since"]);
            for m in &members {
                table.push(vec![
                    m.user.email.clone(),
                    m.user.name.clone(),
                    m.role.as_str().to_string(),
                    m.user.created_at.clone(),
                ]);
            }
            emit(format.format, &table, &json!(members))
        }
    }
}

pub fn token(ctx: &mut Context, command: TokenCommand) -> Result<()> {
    match command {
        TokenCommand::Create(args) => {
            let role = role(&args.role)?;
            let email = dun_store::accounts::normalize_email(&args.user)?;
            let user = ctx
                .store
                .members(ctx.org.id)?
                .into_iter()
                .find(|m| m.user.email == email)
                .ok_or_else(|| {
                    anyhow!(
                        "--user: '{email}' is not a user of {}; add them with `dun user add`",
                        ctx.org.name
                    )
                })?;
            let made = ctx
                .store
                .create_token(ctx.org.id, user.user.id, &args.name, role)?;
            eprintln!(
                "Token {} ({}) for {} made; this is the only time its secret is shown:",
                made.info.id,
                made.info.role.as_str(),
                made.info.user_email
            );
            println!("{}", made.secret);
            Ok(())
        }
        TokenCommand::List(format) => {
            let tokens = ctx.store.tokens(ctx.org.id, None)?;
            let mut table =
                Table::new(&["Id", "Name", "Role", "Prefix", "User", "Created", "Revoked"]);
            for t in &tokens {
                table.push(vec![
                    t.id.to_string(),
                    t.name.clone(),
                    t.role.as_str().to_string(),
                    t.prefix.clone(),
                    t.user_email.clone(),
                    t.created_at.clone(),
                    t.revoked_at.clone().unwrap_or_default(),
                ]);
            }
            emit(format.format, &table, &json!(tokens))
        }
        TokenCommand::Revoke { id } => {
            ctx.store.revoke_token(ctx.org.id, id, None)?;
            println!("Token {id} revoked.");
            Ok(())
        }
    }
}
