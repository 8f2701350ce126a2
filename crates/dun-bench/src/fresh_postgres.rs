//! A fresh PostgreSQL database for one run, dropped when the run ends
//! (also when it fails).

use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, Result};
use postgres::{Client, NoTls};

pub struct FreshDatabase {
    admin_url: String,
    name: String,
    /// The URL of the fresh database.
    pub url: String,
}

impl FreshDatabase {
    /// Creates `dun_bench_<pid>_<time>` through `admin_url` (any database
    /// the role may connect to and create databases from).
    pub fn create(admin_url: &str) -> Result<FreshDatabase> {
        let stamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        let name = format!("dun_bench_{}_{stamp}", std::process::id());
        let mut admin = Client::connect(admin_url, NoTls).with_context(|| {
            format!(
                "cannot connect to PostgreSQL at {}",
                dun_store::db::redact(admin_url)
            )
        })?;
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .with_context(|| format!("cannot create the database {name}"))?;
        Ok(FreshDatabase {
            url: with_database(admin_url, &name),
            admin_url: admin_url.to_string(),
            name,
        })
    }
}

impl Drop for FreshDatabase {
    fn drop(&mut self) {
        let dropped = Client::connect(&self.admin_url, NoTls).and_then(|mut admin| {
            admin.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
        });
        if let Err(e) = dropped {
            eprintln!("dun-bench: could not drop the database {}: {e}", self.name);
        }
    }
}

/// `url` with its database name replaced by `name` (query kept).
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let authority_end = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    let mut out = format!("{}/{name}", &base[..authority_end]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn the_database_name_is_replaced_and_the_rest_kept() {
        assert_eq!(
            with_database("postgres://u@h:5432/test", "b"),
            "postgres://u@h:5432/b"
        );
        assert_eq!(with_database("postgres://u@h", "b"), "postgres://u@h/b");
        assert_eq!(
            with_database("postgresql://u:p@h/x?sslmode=disable", "b"),
            "postgresql://u:p@h/b?sslmode=disable"
        );
    }
}
