//! Which open invoices an incoming credit pays.
