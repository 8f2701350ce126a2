//! What every command needs: the store, the organisation, and today.

use anyhow::{anyhow, Context as _, Result};
use dun_core::{Currency, Date};
use dun_store::{Org, Store};

pub struct Context {
    pub store: Store,
    pub org: Org,
}

impl Context {
    pub fn open(db: &str, org: Option<&str>) -> Result<Context> {
        let mut store = open_store(db)?;
        let org = store.org(org)?;
        Ok(Context { store, org })
    }

    /// Today in the organisation's time zone.
    pub fn today(&self) -> Result<Date> {
        self.store
            .clock()
            .today_in(&self.org.timezone)
            .map_err(|e| anyhow!("--timezone: {e}"))
    }

    /// `text` as a date, or today when absent.
    pub fn date_or_today(&self, text: Option<&str>, field: &str) -> Result<Date> {
        match text {
            Some(t) => parse_date(t, field),
            None => self.today(),
        }
    }

    pub fn currency_or_home(&self, text: Option<&str>) -> Result<Currency> {
        match text {
            Some(t) => Currency::parse(t).map_err(|e| anyhow!("--currency: {e}")),
            None => Ok(self.org.currency),
        }
    }
}

/// Opens the book, acting for the person at the terminal (`$USER`): the
/// author of the money they move, on the customer's timeline.
pub fn open_store(db: &str) -> Result<Store> {
    let mut store = Store::open(db)
        .with_context(|| format!("cannot open the database '{}'", dun_store::db::redact(db)))?;
    let user = std::env::var("USER").ok().filter(|u| !u.trim().is_empty());
    store.set_acting(user.as_deref());
    Ok(store)
}

pub fn parse_date(text: &str, field: &str) -> Result<Date> {
    Date::parse(text).map_err(|e| anyhow!("--{field}: {e}"))
}

/// Checks an IANA zone name and returns it.
pub fn check_timezone(name: &str) -> Result<jiff::tz::TimeZone> {
    jiff::tz::TimeZone::get(name).map_err(|_| {
        anyhow!("--timezone: '{name}' is not a time zone; use an IANA name such as Europe/London or America/New_York")
    })
}

/// Today in `timezone` by the machine's clock (before a store is open).
pub fn today_in(timezone: &str) -> Result<Date> {
    dun_store::clock::Clock::System
        .today_in(timezone)
        .map_err(|e| anyhow!("--timezone: {e}"))
}
