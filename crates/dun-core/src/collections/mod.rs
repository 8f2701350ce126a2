//! Collections: the written credit policy and the daily run that executes it.
//!
//! Everything here is a pure decision over data the shell loads: no I/O,
//! no clock. The store applies what the run decides.

pub mod action;
pub mod charges;
pub mod chase;
pub mod credit;
pub mod document;
pub mod escalation;
pub mod law;
pub mod law_example;
pub mod plan;
pub mod policy;
pub mod recheck;
pub mod risk;
pub mod run;
pub mod worklist;
