//! `dun`: the command line over the book.
//!
//! This is the imperative shell: it reads the clock (to know today in the
//! organisation's time zone), the files and the terminal, and hands plain
//! data to the store and the domain.

mod cli;
mod commands;
mod context;
mod output;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
