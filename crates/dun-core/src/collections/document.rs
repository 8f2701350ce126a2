//! The policy as a TOML document (to be written).
