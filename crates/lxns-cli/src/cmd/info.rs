//! `lxns info PATH|PID[:KIND]…`: what a namespace is and how it relates to others.

use std::io::{self, Write};
use std::process::ExitCode;

use anyhow::Result;
use lxns::{Kind, Namespace, Process};
use serde_json::{Value, json};

use crate::output;

/// Show a namespace's kind, id, owning user namespace, parent and owner uid.
///
/// Each TARGET is a namespace file (`/proc/PID/ns/net`, `/run/netns/NAME`), a pid (all its
/// namespaces), or `self`; append `:KIND` to pick or check one kind (`1:net`,
/// `/run/netns/blue:net`).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// PATH|PID|self, optionally followed by :KIND.
    #[arg(required = true, value_name = "TARGET", allow_hyphen_values = true)]
    targets: Vec<String>,
    /// Print JSON instead of a table.
    #[arg(short = 'J', long)]
    json: bool,
}

/// What one TARGET argument names.
#[derive(Debug, PartialEq)]
enum Source {
    Pid(i32),
    Path(String),
}

fn parse_target(arg: &str) -> (Source, Option<Kind>) {
    let (head, kind) = match arg.rsplit_once(':') {
        Some((head, tail)) if !head.is_empty() => match tail.parse::<Kind>() {
            Ok(kind) => (head, Some(kind)),
            Err(_) => (arg, None),
        },
        _ => (arg, None),
    };
    let source = if head == "self" {
        Source::Pid(std::process::id().try_into().unwrap_or(i32::MAX))
    } else if let Ok(pid) = head.parse::<i32>() {
        Source::Pid(pid)
    } else {
        Source::Path(head.to_owned())
    };
    (source, kind)
}

/// `SOURCE:KIND` whose KIND is no namespace kind, where SOURCE is `self`, a pid or an
/// existing path (and the whole argument is no path): the message that says so.
fn unknown_kind(arg: &str) -> Option<String> {
    let (head, tail) = arg.rsplit_once(':')?;
    if head.is_empty() || tail.parse::<Kind>().is_ok() || std::path::Path::new(arg).exists() {
        return None;
    }
    let source = head == "self"
        || (!head.is_empty() && head.bytes().all(|b| b.is_ascii_digit()))
        || std::path::Path::new(head).exists();
    source.then(|| {
        let kinds: Vec<&str> = Kind::ALL.iter().map(|k| k.proc_name()).collect();
        format!(
            "unknown namespace kind {tail:?} (one of {})",
            kinds.join(", ")
        )
    })
}

struct Row {
    source: String,
    ns: Namespace,
}

fn open_rows(arg: &str) -> lxns::Result<Vec<Row>> {
    let (source, kind) = parse_target(arg);
    match source {
        Source::Pid(pid) => {
            let process = Process::open(pid)?;
            let kinds: Vec<Kind> = kind.map_or_else(|| Kind::ALL.to_vec(), |k| vec![k]);
            let mut rows = Vec::with_capacity(kinds.len());
            for k in kinds {
                match process.namespace(k) {
                    Ok(ns) => rows.push(Row {
                        source: format!("pid {pid}"),
                        ns,
                    }),
                    // A kernel without this kind: leave the row out when listing all kinds.
                    Err(e)
                        if matches!(e.reason(), lxns::Reason::Unsupported { .. })
                            && kind.is_none() => {}
                    Err(e) => return Err(e),
                }
            }
            Ok(rows)
        }
        Source::Path(path) => {
            let ns = match kind {
                Some(k) => Namespace::open_as(&path, k)?,
                None => Namespace::open(&path)?,
            };
            Ok(vec![Row { source: path, ns }])
        }
    }
}

fn describe(row: &Row) -> Value {
    let ns = &row.ns;
    let owner = ns.user_namespace().ok().map(|u| u.id().ino());
    let parent = if ns.kind().is_hierarchical() {
        ns.parent().ok().map(|p| p.id().ino())
    } else {
        None
    };
    let owner_uid = if ns.kind() == Kind::User {
        ns.owner_uid().ok()
    } else {
        None
    };
    json!({
        "ns": ns.id().ino(),
        "type": ns.kind().proc_name(),
        "nsid": ns.ns_id().ok(),
        "dev": ns.id().dev(),
        "owner": owner,
        "parent": parent,
        "owner_uid": owner_uid,
        "source": row.source,
    })
}

fn cell(v: &Value) -> String {
    match v {
        Value::Null => "-".to_owned(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

pub fn run(args: &Args) -> Result<ExitCode> {
    let mut described = Vec::new();
    let mut failed = false;
    for arg in &args.targets {
        if let Some(why) = unknown_kind(arg) {
            eprintln!("lxns: {arg}: {why}");
            failed = true;
            continue;
        }
        match open_rows(arg) {
            Ok(rows) => described.extend(rows.iter().map(describe)),
            // The error names its path or pid already; say which argument only when not.
            Err(e) if e.to_string().contains(arg.as_str()) => {
                eprintln!("lxns: {e:#}");
                failed = true;
            }
            Err(e) => {
                eprintln!("lxns: {arg}: {e}");
                failed = true;
            }
        }
    }
    let stdout = io::stdout();
    let mut out = stdout.lock();
    if args.json {
        let doc = json!({ "namespaces": described });
        serde_json::to_writer_pretty(&mut out, &doc).map_err(io::Error::from)?;
        writeln!(out)?;
    } else if !described.is_empty() {
        let header = ["NS", "TYPE", "NSID", "OWNER", "PARENT", "UID", "SOURCE"];
        let keys = [
            "ns",
            "type",
            "nsid",
            "owner",
            "parent",
            "owner_uid",
            "source",
        ];
        let rows: Vec<Vec<String>> = described
            .iter()
            .map(|d| keys.iter().map(|k| cell(&d[*k])).collect())
            .collect();
        output::table(&mut out, &header, &rows)?;
    }
    out.flush()?;
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        assert_eq!(parse_target("1"), (Source::Pid(1), None));
        assert_eq!(parse_target("1:net"), (Source::Pid(1), Some(Kind::Net)));
        assert_eq!(
            parse_target("/run/netns/a:b"),
            (Source::Path("/run/netns/a:b".into()), None)
        );
        assert_eq!(
            parse_target("/run/netns/x:uts"),
            (Source::Path("/run/netns/x".into()), Some(Kind::Uts))
        );
        assert_eq!(parse_target("-5"), (Source::Pid(-5), None));
        assert_eq!(parse_target(":net"), (Source::Path(":net".into()), None));
    }
}
