//! `dun-bench`: see the crate documentation in `lib.rs` and the README's
//! "Performance" section.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    match dun_bench::run(dun_bench::cli::Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => match error.downcast_ref::<dun_bench::compare::GuardFailed>() {
            Some(failed) => {
                eprintln!("dun-bench: {failed}");
                ExitCode::from(dun_bench::compare::GuardFailed::EXIT_CODE)
            }
            None => {
                eprintln!("dun-bench: error: {error:#}");
                ExitCode::FAILURE
            }
        },
    }
}
