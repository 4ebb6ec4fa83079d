//! `lxns limits [KIND[=N]]…`: read or set `/proc/sys/user/max_<kind>_namespaces`.

use std::io::{self, Write};
use std::process::ExitCode;

use anyhow::{Context, Result};
use lxns::Kind;

use crate::output;

/// Show or set the per-kind namespace limits of the current user namespace.
///
/// Without arguments, lists every kind. `KIND` shows one; `KIND=N` sets it (needs
/// CAP_SYS_RESOURCE in the user namespace).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// KIND to show, or KIND=N to set.
    #[arg(value_name = "KIND[=N]")]
    items: Vec<String>,
}

pub fn run(args: &Args) -> Result<ExitCode> {
    let mut show: Vec<Kind> = Vec::new();
    let mut set: Vec<(Kind, u64)> = Vec::new();
    // Parse everything before changing anything.
    for item in &args.items {
        match item.split_once('=') {
            Some((k, v)) => {
                let kind: Kind = k.parse()?;
                let value = lxns::parse_limit(v.trim())
                    .map_err(anyhow::Error::msg)
                    .with_context(|| format!("{item}: bad limit for {kind}"))?;
                set.push((kind, value));
            }
            None => show.push(item.parse()?),
        }
    }
    for (kind, value) in &set {
        lxns::set_limit(*kind, *value)?;
    }
    if args.items.is_empty() {
        show = Kind::ALL.to_vec();
    } else {
        show.extend(set.iter().map(|(k, _)| *k));
    }
    let mut rows = Vec::new();
    for kind in show {
        let value = lxns::limit(kind)?;
        rows.push(vec![kind.to_string(), value.to_string(), kind.limit_path()]);
    }
    let stdout = io::stdout();
    let mut out = stdout.lock();
    output::table(&mut out, &["TYPE", "LIMIT", "SYSCTL"], &rows)?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
