//! `dun`: the command line over the book.
//!
//! This is the imperative shell: it reads the clock (to know today in the
//! organisation's time zone), the files and the terminal, and hands plain
//! data to the store and the domain.

mod cli;
mod commands;
mod context;
mod hint;
mod output;

use std::process::ExitCode;

use clap::Parser;

/// Output that ends early (`dun customer show C1 | head -1`) is a normal
/// end: `println!` panics when the reader has gone, and that panic, alone
/// of all panics, ends the process quietly with success (as does an
/// output error that says so: [`reader_went`]).
fn end_quietly_when_the_reader_goes() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if message.starts_with("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(0);
        }
        default(info);
    }));
}

/// The error is the reader of our output having gone (a closed pipe).
fn reader_went(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

fn main() -> ExitCode {
    end_quietly_when_the_reader_goes();
    let cli = cli::Cli::parse();
    match commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) if reader_went(&error) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            if let Some(hint) = hint::for_error(&error) {
                eprintln!("hint: {hint}");
            }
            ExitCode::FAILURE
        }
    }
}
