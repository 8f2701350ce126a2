//! What the web UI's reports and worklist pages cache on: a cheap mark of
//! the book that moves whenever a row is added to the tables their figures
//! come from. Each part is the top of a primary key (or of one org's
//! policy versions), so reading it costs a few index pages however big
//! the book is. Rows edited in place without a new row elsewhere (a
//! customer renamed) do not move it: a cache keyed on it also expires
//! with time.

use crate::error::StoreError;
use crate::{params, Store};

/// The newest row of each table the pages read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct PageMark {
    pub ledger_entry: i64,
    pub timeline_entry: i64,
    pub task: i64,
    pub run: i64,
    pub customer: i64,
    pub policy_version: i64,
}

impl Store {
    /// The book's mark for `org_id`'s pages; see the module's comment.
    pub fn page_mark(&mut self, org_id: i64) -> Result<PageMark, StoreError> {
        let mut tx = self.conn().read_transaction()?;
        let mark = tx
            .query_opt(
                "SELECT (SELECT COALESCE(MAX(id), 0) FROM ledger_entries),
                        (SELECT COALESCE(MAX(id), 0) FROM timeline),
                        (SELECT COALESCE(MAX(id), 0) FROM tasks),
                        (SELECT COALESCE(MAX(id), 0) FROM runs),
                        (SELECT COALESCE(MAX(id), 0) FROM customers),
                        (SELECT COALESCE(MAX(version), 0) FROM policy_versions WHERE org_id = $1)",
                params![org_id],
                |r| {
                    Ok(PageMark {
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
        Ok(mark)
    }
}
