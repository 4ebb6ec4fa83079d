//! `lxns`: one command for Linux namespaces. Parses arguments, calls the `lxns` library,
//! prints. Every subcommand lives in `cmd/`.

mod cmd;
mod output;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Linux namespaces: list and inspect them (more subcommands follow the library).
#[derive(Debug, Parser)]
#[command(name = "lxns", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    // Boxed: its many options would make every variant as large.
    Enter(Box<cmd::enter::Args>),
    Info(cmd::info::Args),
    Limits(cmd::limits::Args),
    Ls(cmd::ls::Args),
    Netns(cmd::netns::Args),
    Run(Box<cmd::run::Args>),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Enter(args) => cmd::enter::run(&args),
        Command::Info(args) => cmd::info::run(&args),
        Command::Limits(args) => cmd::limits::run(&args),
        Command::Ls(args) => cmd::ls::run(&args),
        Command::Netns(args) => cmd::netns::run(&args),
        Command::Run(args) => cmd::run::run(&args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            if output::is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            eprintln!("lxns: {err:#}");
            ExitCode::FAILURE
        }
    }
}
