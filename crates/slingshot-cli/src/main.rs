//! Entry point of the `slingshot` binary: parse the command line, run the subcommand with
//! standard output as its report, and turn an error into a message and exit status 1.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = slingshot_cli::Cli::parse();
    let mut stdout = std::io::stdout().lock();
    match cli.command.run(&mut stdout) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
