//! Dun's domain core: money, invoices, the ledger, and the reports derived
//! from it.
//!
//! *Architecture invariant:* this crate does no I/O, reads no clock and is
//! not async. Every function takes data (and a date, where the answer
//! depends on one) and returns data, so every figure is reproducible.

pub mod aging;
pub mod bank;
pub mod book;
pub mod collections;
pub mod currency;
pub mod customer;
pub mod date;
pub mod document;
pub mod epc_qr;
pub mod figures;
pub mod import;
pub mod invoice;
pub mod ledger;
pub mod money;
pub mod online;
pub mod party;
pub mod posting;
pub mod reference;
pub mod schedule;
pub mod state;
pub mod statement;
pub mod terms;
pub mod text;

/// Longest reason a person gives for a change to the book — a void, credit
/// note, write-off, waiver, dispute (opened or resolved), a payment's refund
/// or reversal, a bank line's dismissal, an override of the credit policy —
/// in characters (what a person counts, and what a browser's `maxlength`
/// counts), not bytes.
pub const REASON_CHARS_MAX: usize = 1000;

pub use currency::Currency;
pub use date::Date;
pub use money::Money;
