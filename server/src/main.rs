//! The `tessera` command.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tessera_server::listing::{format_rows, render_table};

/// Serve and export scientific data in any format (Tiled-compatible HTTP API).
#[derive(Debug, Parser)]
#[command(name = "tessera", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// List every format compiled into this binary.
    Formats {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Formats { json } => {
            let registry = match tessera_core::Registry::global() {
                Ok(r) => r,
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::FAILURE;
                }
            };
            let rows = format_rows(registry);
            if json {
                match serde_json::to_string_pretty(&rows) {
                    Ok(s) => println!("{s}"),
                    Err(e) => {
                        eprintln!("error: {e}");
                        return ExitCode::FAILURE;
                    }
                }
            } else {
                print!("{}", render_table(&rows));
            }
            ExitCode::SUCCESS
        }
    }
}
