use anyhow::{anyhow, Result};
use dun_core::Currency;
use dun_store::orgs::NewOrg;

use crate::cli::InitArgs;
use crate::context::{check_timezone, open_store};

pub fn run(db: &str, name: Option<&str>, args: &InitArgs) -> Result<()> {
    let name = name.ok_or_else(|| anyhow!("--org: name the organisation, e.g. dun init --org \"Acme Supplies\" --currency USD --timezone America/Chicago"))?;
    let currency = Currency::parse(&args.currency).map_err(|e| anyhow!("--currency: {e}"))?;
    check_timezone(&args.timezone)?;
    let mut store = open_store(db)?;
    let org = store.create_org(&NewOrg {
        name: name.to_string(),
        currency,
        timezone: args.timezone.clone(),
        invoice_prefix: args.invoice_prefix.clone(),
    })?;
    println!(
        "Created organisation '{}' ({}, {}) in {}",
        org.name,
        org.currency,
        org.timezone,
        dun_store::db::redact(db)
    );
    Ok(())
}
