//! The API's routes, one file per part of the product. Each handler
//! carries its OpenAPI annotation; [`crate::openapi::api_router`] gathers
//! them.

pub mod accounts;
pub mod bank;
pub mod collections;
pub mod customers;
pub mod documents;
pub mod escalations;
pub mod invoices;
pub mod online_payment;
pub mod ops;
pub mod outbox;
pub mod payments;
pub mod period;
pub mod portal_links;
pub mod rates;
pub mod reports;
