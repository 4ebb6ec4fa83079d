//! getopt's rule for short options with an optional argument, which clap does not follow.
//!
//! util-linux declares `-n`, `-T`, `-r` … as `n::`: an argument is taken only when it is
//! attached, and then it is the rest of the cluster: `nsenter -n/proc/1/ns/net`, `lsns
//! -Towner`, `nsenter -nu` (`--net=u`!). clap reads `-Towner` as `-T -o wner`. [`rewrite`]
//! turns such clusters into clap's `-T=owner` form, using the subcommand's own clap
//! definition to know which letters are flags, which take an optional argument and which a
//! required one. Everything after the program (a trailing positional) or `--` is left alone.

use std::ffi::OsString;
use std::os::unix::ffi::{OsStrExt, OsStringExt};

/// What a short option takes.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Takes {
    Nothing,
    Optional,
    Required,
}

fn takes(arg: &clap::Arg) -> Takes {
    match arg.get_num_args() {
        Some(r) if r.max_values() == 0 => Takes::Nothing,
        Some(r) if r.min_values() == 0 => Takes::Optional,
        Some(_) => Takes::Required,
        None => Takes::Nothing,
    }
}

/// Rewrites `args` (the words after the subcommand's name) for `cmd` (that subcommand's
/// built clap command).
pub fn rewrite(cmd: &clap::Command, args: &[OsString]) -> Vec<OsString> {
    let short = |c: u8| {
        cmd.get_arguments()
            .find(|a| a.get_short().is_some_and(|s| u32::from(s) == u32::from(c)))
            .map(takes)
    };
    let long_takes_value = |name: &[u8]| {
        cmd.get_arguments()
            .find(|a| a.get_long().is_some_and(|l| l.as_bytes() == name))
            .is_some_and(|a| takes(a) == Takes::Required)
    };
    // A trailing positional (the program) ends option parsing at its first word.
    let trailing = cmd
        .get_arguments()
        .any(|a| a.is_positional() && a.is_trailing_var_arg_set());
    let mut out = Vec::with_capacity(args.len());
    let mut words = args.iter();
    while let Some(word) = words.next() {
        let bytes = word.as_bytes();
        if bytes == b"--" {
            out.push(word.clone());
            out.extend(words.cloned());
            break;
        }
        if let Some(long) = bytes.strip_prefix(b"--") {
            out.push(word.clone());
            if !long.contains(&b'=') && long_takes_value(long) {
                out.extend(words.next().cloned());
            }
            continue;
        }
        let Some(cluster) = bytes.strip_prefix(b"-").filter(|c| !c.is_empty()) else {
            out.push(word.clone());
            if trailing {
                out.extend(words.cloned());
                break;
            }
            continue;
        };
        let mut value_follows = false;
        let mut j = 0;
        while let Some(&c) = cluster.get(j) {
            let rest = cluster.get(j + 1..).unwrap_or_default();
            let piece = |tail: &[u8]| OsString::from_vec([b"-", &[c][..], tail].concat());
            match short(c) {
                Some(Takes::Nothing) => {
                    out.push(piece(b""));
                    j += 1;
                }
                Some(Takes::Optional) => {
                    out.push(match rest.first() {
                        None | Some(b'=') => piece(rest),
                        Some(_) => piece(&[b"=", rest].concat()),
                    });
                    break;
                }
                Some(Takes::Required) => {
                    out.push(piece(rest));
                    value_follows = rest.is_empty();
                    break;
                }
                // Unknown to us: leave the rest for clap to report.
                None => {
                    out.push(piece(rest));
                    break;
                }
            }
        }
        if value_follows {
            out.extend(words.next().cloned());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd() -> clap::Command {
        let mut c = clap::Command::new("t")
            .arg(
                clap::Arg::new("all")
                    .short('a')
                    .action(clap::ArgAction::SetTrue),
            )
            .arg(
                clap::Arg::new("net")
                    .short('n')
                    .long("net")
                    .num_args(0..=1)
                    .require_equals(true)
                    .default_missing_value(""),
            )
            .arg(
                clap::Arg::new("uts")
                    .short('u')
                    .num_args(0..=1)
                    .require_equals(true)
                    .default_missing_value(""),
            )
            .arg(clap::Arg::new("target").short('t').long("target"))
            .arg(
                clap::Arg::new("program")
                    .num_args(0..)
                    .trailing_var_arg(true),
            );
        c.build();
        c
    }

    fn words(w: &[&str]) -> Vec<OsString> {
        w.iter().map(OsString::from).collect()
    }

    #[test]
    fn clusters_follow_getopt() {
        let c = cmd();
        for (given, want) in [
            (
                &["-n/proc/1/ns/net", "ls"][..],
                &["-n=/proc/1/ns/net", "ls"][..],
            ),
            (&["-nu"], &["-n=u"]),
            (&["-an"], &["-a", "-n"]),
            (&["-au", "-n"], &["-a", "-u", "-n"]),
            (&["-n=x"], &["-n=x"]),
            (&["-t", "5", "-n"], &["-t", "5", "-n"]),
            (&["-t5", "-n"], &["-t5", "-n"]),
            (&["--target", "-n", "-u"], &["--target", "-n", "-u"]),
            (&["-at", "7", "-nu"], &["-a", "-t", "7", "-n=u"]),
            (&["ls", "-nX"], &["ls", "-nX"]),
            (&["--", "-nX"], &["--", "-nX"]),
            (&["-zq"], &["-zq"]),
        ] {
            assert_eq!(rewrite(&c, &words(given)), words(want), "{given:?}");
        }
    }
}
