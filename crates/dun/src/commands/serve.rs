//! `dun serve`: the HTTP API and the daily scheduler, in one process.

use std::path::PathBuf;

use anyhow::{anyhow, Context as _, Result};
use clap::Args;
use dun_server::config::Config;

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// A TOML file of settings (see README: Serving); DUN_* variables override it.
    #[arg(long, env = "DUN_CONFIG")]
    pub config: Option<PathBuf>,
    /// Address and port to listen on (overrides the file and DUN_LISTEN).
    #[arg(long)]
    pub listen: Option<String>,
    /// Do not run the daily collections from this process.
    #[arg(long)]
    pub no_scheduler: bool,
}

/// The CLI's default database, which `dun serve` leaves to the config file.
const CLI_DEFAULT_DB: &str = "./dun.db";

pub fn run(db: &str, args: &ServeArgs) -> Result<()> {
    let env = std::env::vars().filter(|(k, _)| k.starts_with("DUN_"));
    let mut config = Config::load(args.config.as_deref(), env).map_err(|e| anyhow!("{e}"))?;
    if db != CLI_DEFAULT_DB || config.database_url == Config::default().database_url {
        config.database_url = db.to_string();
    }
    if let Some(listen) = &args.listen {
        config.listen = listen.parse().map_err(|_| {
            anyhow!("--listen: '{listen}' is not an address and port such as 127.0.0.1:8080")
        })?;
    }
    if args.no_scheduler {
        config.scheduler = false;
    }
    dun_server::logging::init(config.log_format);
    let listen = config.listen;
    let database = dun_store::db::redact(&config.database_url);
    let scheduler = config.scheduler;
    // Opened (and migrated) before the runtime starts: the PostgreSQL
    // client blocks on a runtime of its own.
    let mut state = dun_server::state(config)
        .with_context(|| format!("cannot open the database '{database}'"))?;
    // E-mail: DUN_SMTP_* as for `dun outbox send`; without a host the
    // messages wait in the outbox.
    state.smtp = dun_mail::SmtpConfig::from_env()
        .map_err(|e| anyhow!("{e}"))?
        .map(std::sync::Arc::new);
    let mailing = state.smtp.is_some();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("cannot listen on {listen}"))?;
        let local = listener.local_addr()?;
        eprintln!(
            "Dun is serving http://{local} (database {database}; web UI at /; API under /api/v1, described at /openapi.json; daily runs {}; e-mail {})",
            if scheduler { "on" } else { "off" },
            if !scheduler { "off" } else if mailing { "through SMTP" } else { "off: no DUN_SMTP_HOST, messages wait in the outbox" }
        );
        tracing::info!(listen = %local, database = %database, scheduler, "serving");
        dun_web::warm(state.clone());
        dun_server::serve_with(
            listener,
            state,
            dun_web::router(),
            dun_server::shutdown_signal(),
        )
            .await
            .context("the server stopped with an error")?;
        eprintln!("Dun stopped.");
        Ok(())
    })
}
