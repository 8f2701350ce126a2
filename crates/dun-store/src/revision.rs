//! A cheap fingerprint of the book: the newest row of each table whose
//! rows change what the dashboard shows (entries, the timeline — every
//! promise, dispute, pause, status and call writes to it —, tasks, runs,
//! customers) and the policy's version. Each is the top of a primary key,
//! so reading it costs a few index pages however big the book is.
//!
//! Equal revisions mean nothing was added; an edit in place that writes no
//! timeline entry (a customer's credit limit, say) does not move it, so a
//! cache keyed on it must also expire with time.

use crate::error::StoreError;
use crate::{params, Store};

/// The book's fingerprint; see the module's comment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct BookRevision {
    pub ledger_entry: i64,
    pub timeline_entry: i64,
    pub task: i64,
    pub run: i64,
    pub customer: i64,
    pub policy_version: i64,
}

impl Store {
    /// The book's revision (rows added anywhere, and `org_id`'s policy
    /// version).
    pub fn book_revision(&mut self, org_id: i64) -> Result<BookRevision, StoreError> {
        let mut tx = self.conn().read_transaction()?;
        let revision = tx
            .query_opt(
                "SELECT (SELECT COALESCE(MAX(id), 0) FROM ledger_entries),
                        (SELECT COALESCE(MAX(id), 0) FROM timeline),
                        (SELECT COALESCE(MAX(id), 0) FROM tasks),
                        (SELECT COALESCE(MAX(id), 0) FROM runs),
                        (SELECT COALESCE(MAX(id), 0) FROM customers),
                        (SELECT COALESCE(MAX(version), 0) FROM policy_versions WHERE org_id = $1)",
                params![org_id],
                |r| {
                    Ok(BookRevision {
                        ledger_entry: r.i64(0)?,
                        timeline_entry: r.i64(1)?,
                        task: r.i64(2)?,
                        run: r.i64(3)?,
                        customer: r.i64(4)?,
                        policy_version: r.i64(5)?,
                    })
                },
            )?
            .unwrap_or_default();
        tx.commit()?;
        Ok(revision)
    }
}
