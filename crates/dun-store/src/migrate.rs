//! Embedded migrations, one list per engine, applied in order at start.

use crate::db::{Backend, Conn};
use crate::error::StoreError;
use crate::params;

struct Migration {
    version: i64,
    name: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "ledger",
        sqlite: include_str!("migrations/sqlite/0001_ledger.sql"),
        postgres: include_str!("migrations/postgres/0001_ledger.sql"),
    },
    Migration {
        version: 2,
        name: "policy",
        sqlite: include_str!("migrations/sqlite/0002_policy.sql"),
        postgres: include_str!("migrations/postgres/0002_policy.sql"),
    },
    Migration {
        version: 3,
        name: "collections",
        sqlite: include_str!("migrations/sqlite/0003_collections.sql"),
        postgres: include_str!("migrations/postgres/0003_collections.sql"),
    },
    Migration {
        version: 4,
        name: "run",
        sqlite: include_str!("migrations/sqlite/0004_run.sql"),
        postgres: include_str!("migrations/postgres/0004_run.sql"),
    },
    Migration {
        version: 5,
        name: "accounts",
        sqlite: include_str!("migrations/sqlite/0005_accounts.sql"),
        postgres: include_str!("migrations/postgres/0005_accounts.sql"),
    },
    Migration {
        version: 6,
        name: "parties",
        sqlite: include_str!("migrations/sqlite/0006_parties.sql"),
        postgres: include_str!("migrations/postgres/0006_parties.sql"),
    },
    Migration {
        version: 7,
        name: "delivery",
        sqlite: include_str!("migrations/sqlite/0007_delivery.sql"),
        postgres: include_str!("migrations/postgres/0007_delivery.sql"),
    },
    Migration {
        version: 8,
        name: "schedules",
        sqlite: include_str!("migrations/sqlite/0008_schedules.sql"),
        postgres: include_str!("migrations/postgres/0008_schedules.sql"),
    },
    Migration {
        version: 9,
        name: "http_idempotency",
        sqlite: include_str!("migrations/sqlite/0009_http_idempotency.sql"),
        postgres: include_str!("migrations/postgres/0009_http_idempotency.sql"),
    },
    Migration {
        version: 10,
        name: "invoice_lists",
        sqlite: include_str!("migrations/sqlite/0010_invoice_lists.sql"),
        postgres: include_str!("migrations/postgres/0010_invoice_lists.sql"),
    },
    Migration {
        version: 11,
        name: "portal_withdrawal",
        sqlite: include_str!("migrations/sqlite/0011_portal_withdrawal.sql"),
        postgres: include_str!("migrations/postgres/0011_portal_withdrawal.sql"),
    },
    Migration {
        version: 12,
        name: "invoice_policy_version",
        sqlite: include_str!("migrations/sqlite/0012_invoice_policy_version.sql"),
        postgres: include_str!("migrations/postgres/0012_invoice_policy_version.sql"),
    },
    Migration {
        version: 13,
        name: "letters",
        sqlite: include_str!("migrations/sqlite/0013_letters.sql"),
        postgres: include_str!("migrations/postgres/0013_letters.sql"),
    },
    Migration {
        version: 14,
        name: "status_decisions",
        sqlite: include_str!("migrations/sqlite/0014_status_decisions.sql"),
        postgres: include_str!("migrations/postgres/0014_status_decisions.sql"),
    },
    Migration {
        version: 15,
        name: "exchange_rates",
        sqlite: include_str!("migrations/sqlite/0015_exchange_rates.sql"),
        postgres: include_str!("migrations/postgres/0015_exchange_rates.sql"),
    },
    Migration {
        version: 16,
        name: "bank",
        sqlite: include_str!("migrations/sqlite/0016_bank.sql"),
        postgres: include_str!("migrations/postgres/0016_bank.sql"),
    },
    Migration {
        version: 17,
        name: "late_payment_law",
        sqlite: include_str!("migrations/sqlite/0017_late_payment_law.sql"),
        postgres: include_str!("migrations/postgres/0017_late_payment_law.sql"),
    },
    Migration {
        version: 18,
        name: "seller_tax_id",
        sqlite: include_str!("migrations/sqlite/0018_seller_tax_id.sql"),
        postgres: include_str!("migrations/postgres/0018_seller_tax_id.sql"),
    },
    Migration {
        version: 19,
        name: "ladder_from",
        sqlite: include_str!("migrations/sqlite/0019_ladder_from.sql"),
        postgres: include_str!("migrations/postgres/0019_ladder_from.sql"),
    },
    Migration {
        version: 20,
        name: "invoice_zero_rate",
        sqlite: include_str!("migrations/sqlite/0020_invoice_zero_rate.sql"),
        postgres: include_str!("migrations/postgres/0020_invoice_zero_rate.sql"),
    },
    Migration {
        version: 21,
        name: "escalations",
        sqlite: include_str!("migrations/sqlite/0021_escalations.sql"),
        postgres: include_str!("migrations/postgres/0021_escalations.sql"),
    },
    Migration {
        version: 22,
        name: "stripe",
        sqlite: include_str!("migrations/sqlite/0022_stripe.sql"),
        postgres: include_str!("migrations/postgres/0022_stripe.sql"),
    },
    Migration {
        version: 23,
        name: "write_off_reversal",
        sqlite: include_str!("migrations/sqlite/0023_write_off_reversal.sql"),
        postgres: include_str!("migrations/postgres/0023_write_off_reversal.sql"),
    },
    Migration {
        version: 24,
        name: "endpoints",
        sqlite: include_str!("migrations/sqlite/0024_endpoints.sql"),
        postgres: include_str!("migrations/postgres/0024_endpoints.sql"),
    },
    Migration {
        version: 25,
        name: "unit_price_decimals",
        sqlite: include_str!("migrations/sqlite/0025_unit_price_decimals.sql"),
        postgres: include_str!("migrations/postgres/0025_unit_price_decimals.sql"),
    },
    Migration {
        version: 26,
        name: "contacts",
        sqlite: include_str!("migrations/sqlite/0026_contacts.sql"),
        postgres: include_str!("migrations/postgres/0026_contacts.sql"),
    },
    Migration {
        version: 27,
        name: "stripe_card_form",
        sqlite: include_str!("migrations/sqlite/0027_stripe_card_form.sql"),
        postgres: include_str!("migrations/postgres/0027_stripe_card_form.sql"),
    },
    Migration {
        version: 28,
        name: "payments_unallocated",
        sqlite: include_str!("migrations/sqlite/0028_payments_unallocated.sql"),
        postgres: include_str!("migrations/postgres/0028_payments_unallocated.sql"),
    },
    Migration {
        version: 29,
        name: "documents",
        sqlite: include_str!("migrations/sqlite/0029_documents.sql"),
        postgres: include_str!("migrations/postgres/0029_documents.sql"),
    },
    Migration {
        version: 30,
        name: "invitations",
        sqlite: include_str!("migrations/sqlite/0030_invitations.sql"),
        postgres: include_str!("migrations/postgres/0030_invitations.sql"),
    },
    Migration {
        version: 31,
        name: "daily_totals",
        sqlite: include_str!("migrations/sqlite/0031_daily_totals.sql"),
        postgres: include_str!("migrations/postgres/0031_daily_totals.sql"),
    },
];

/// What fills, in the same transaction, the rows a migration's new table
/// derives from rows already there (a migration's SQL only creates and
/// adds): by version.
type Backfill = fn(&mut crate::db::Tx<'_>) -> Result<(), StoreError>;
const BACKFILLS: &[(i64, Backfill)] = &[(31, crate::daily_totals::backfill)];

const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)";

/// The PostgreSQL advisory lock ("dunmigr") held while the migrations
/// table is created.
const PG_MIGRATIONS_LOCK_KEY: i64 = 0x64_75_6e_6d_69_67_72;

/// Brings the schema up to date. Safe to run from several processes at
/// once: the migrations table is created under a lock, each migration runs
/// in a transaction that holds that table locked, and a version already
/// applied is skipped.
pub fn migrate(conn: &mut Conn, now: &str) -> Result<(), StoreError> {
    // On PostgreSQL two sessions running CREATE TABLE IF NOT EXISTS at once
    // can both find no table, and the second then fails on the catalog's
    // unique index; an advisory lock makes the second wait and find it.
    // (SQLite's writer transaction queues them already.)
    let mut tx = conn.transaction()?;
    if tx.backend() == Backend::Postgres {
        tx.execute(
            "SELECT pg_advisory_xact_lock($1)",
            params![PG_MIGRATIONS_LOCK_KEY],
        )?;
    }
    tx.execute(CREATE_TABLE, &[])?;
    tx.commit()?;
    let latest = MIGRATIONS.last().map_or(0, |m| m.version);
    for migration in MIGRATIONS {
        let mut tx = conn.transaction()?;
        if tx.backend() == Backend::Postgres {
            tx.execute("LOCK TABLE schema_migrations IN EXCLUSIVE MODE", &[])?;
        }
        let newest: Option<i64> = tx
            .query_opt("SELECT MAX(version) FROM schema_migrations", &[], |r| {
                r.opt_i64(0)
            })?
            .flatten();
        if newest.unwrap_or(0) > latest {
            return Err(StoreError::Corrupt(format!(
                "its schema is version {}, newer than this build's {latest}; upgrade dun",
                newest.unwrap_or(0)
            )));
        }
        // Each version is looked up, not compared with the newest: a
        // migration registered out of order must still run.
        let applied = tx
            .query_opt(
                "SELECT version FROM schema_migrations WHERE version = $1",
                params![migration.version],
                |r| r.i64(0),
            )?
            .is_some();
        if applied {
            continue;
        }
        let sql = match tx.backend() {
            Backend::Sqlite => migration.sqlite,
            Backend::Postgres => migration.postgres,
        };
        for statement in statements(sql) {
            tx.execute(&statement, &[])?;
        }
        for (_, backfill) in BACKFILLS.iter().filter(|(v, _)| *v == migration.version) {
            backfill(&mut tx)?;
        }
        tx.execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
            params![migration.version, migration.name, now],
        )?;
        tx.commit()?;
    }
    Ok(())
}

/// Splits a migration into its statements. Comment lines go first: a
/// comment may hold a `;` (the schema's header does), which must not end a
/// statement.
fn statements(sql: &str) -> Vec<String> {
    let code: String = sql
        .lines()
        .filter(|l| !l.trim_start().starts_with("--"))
        .collect::<Vec<_>>()
        .join("\n");
    code.split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_semicolon_in_a_comment_does_not_split_a_statement() {
        let sql = "-- dates are days; money is minor units\nCREATE TABLE a (x BIGINT);\n-- done;\nCREATE TABLE b (y TEXT);\n";
        assert_eq!(
            statements(sql),
            ["CREATE TABLE a (x BIGINT)", "CREATE TABLE b (y TEXT)"]
        );
    }

    #[test]
    fn every_migration_splits_into_create_alter_or_analyze_statements() {
        for m in MIGRATIONS {
            for sql in [m.sqlite, m.postgres] {
                for statement in statements(sql) {
                    assert!(
                        statement.starts_with("CREATE ")
                            || statement.starts_with("ALTER TABLE ")
                            || statement.starts_with("ANALYZE "),
                        "migration {} holds '{statement}'",
                        m.version
                    );
                }
            }
        }
    }
}
