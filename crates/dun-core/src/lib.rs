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

pub use currency::Currency;
pub use date::Date;
pub use money::Money;
