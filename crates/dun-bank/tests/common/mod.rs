//! Writes camt files the way banks do, for every message and version.
#![allow(dead_code)] // each test file uses its part

pub mod camt;
