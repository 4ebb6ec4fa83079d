//! The `lxns` command as a black box: run the built binary, compare with the kernel's view.

use std::process::{Command, Output};

#[allow(unused_macros)]
#[macro_use]
mod common;

fn lxns(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lxns"))
        .args(args)
        .output()
        .expect("run lxns")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn ino(path: &str) -> u64 {
    common::ns_inode(path)
}

#[test]
fn info_self_lists_all_kinds_with_kernel_inodes() {
    let out = lxns(&["info", "self"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("NS"), "{text}");
    assert_eq!(lines.len(), 9, "{text}");
    // The child lxns shares all our namespaces.
    for kind in ["cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts"] {
        let want = ino(&format!("/proc/self/ns/{kind}")).to_string();
        assert!(
            lines
                .iter()
                .any(|l| l.split_whitespace().take(2).eq([want.as_str(), kind])),
            "{kind} {want} missing from:\n{text}"
        );
    }
}

#[test]
fn info_json_for_a_pid_and_kind() {
    let t = common::target_with(&["--user", "--net"]);
    let arg = format!("{}:net", t.pid());
    let out = lxns(&["info", "--json", &arg]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let ns = &v["namespaces"][0];
    assert_eq!(ns["type"], "net");
    assert_eq!(ns["ns"], ino(&format!("/proc/{}/ns/net", t.pid())));
    assert_eq!(ns["owner"], ino(&format!("/proc/{}/ns/user", t.pid())));
    // NS_GET_ID (Linux 6.18): the id where the kernel has it, null before.
    if lxns::kernel::Version::current().at_least(6, 18) {
        assert!(ns["nsid"].is_u64(), "{ns}");
    } else {
        assert!(ns["nsid"].is_null(), "{ns}");
    }
    assert!(ns["parent"].is_null());
    // Its user namespace: parent is ours, created by uid 0.
    let arg = format!("/proc/{}/ns/user", t.pid());
    let out = lxns(&["info", "--json", &arg]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let user = &v["namespaces"][0];
    assert_eq!(user["type"], "user");
    assert_eq!(user["parent"], ino("/proc/self/ns/user"));
    assert_eq!(user["owner"], ino("/proc/self/ns/user"));
    assert_eq!(user["owner_uid"], 0);
}

#[test]
fn info_errors_are_clear_and_exit_1() {
    let cases: [(&str, &str); 8] = [
        ("/proc/self/ns/uts:net", "expected net, found uts"),
        ("self:bogus", "unknown namespace kind \"bogus\""),
        ("1:bogus", "unknown namespace kind"),
        ("/etc/hostname/x", "ENOTDIR"),
        ("/etc/hostname", "not a namespace file"),
        ("/nonexistent/ns", "ENOENT"),
        ("0", "pid 0"),
        ("/proc/self/status", "procfs"),
    ];
    for (arg, want) in cases {
        let out = lxns(&["info", arg]);
        assert_eq!(out.status.code(), Some(1), "{arg}");
        let err = stderr(&out);
        assert!(err.starts_with("lxns: "), "{err}");
        assert!(err.contains(want), "{arg}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    // Good targets still print when another fails.
    let out = lxns(&["info", "/nonexistent", "self:uts"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out).lines().count(), 2);
}

#[test]
fn limits_show_and_reject_non_numbers() {
    let out = lxns(&["limits"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert_eq!(text.lines().count(), 9, "{text}");
    let want = std::fs::read_to_string("/proc/sys/user/max_net_namespaces").unwrap();
    assert!(
        text.lines()
            .any(|l| l.split_whitespace().take(2).eq(["net", want.trim()])),
        "{text}"
    );
    let before = want;
    let out = lxns(&["limits", "net=abc"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("not a namespace limit"),
        "{}",
        stderr(&out)
    );
    let out = lxns(&["limits", "bogus"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("not a namespace kind"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        std::fs::read_to_string("/proc/sys/user/max_net_namespaces").unwrap(),
        before,
        "nothing changed"
    );
}

/// Usage errors exit 1 with util-linux's words for an unknown option (unshare, nsenter and
/// lsns exit 1; clap's default was 2), an unknown netns command 255 as ip's; and `lxns
/// enter` never runs an unknown option as the program (before: `cannot run "--env"`, 127,
/// when --env was unknown).
#[test]
fn usage_errors_exit_as_util_linux_and_ip_do() {
    let out = lxns(&["info"]);
    assert_eq!(out.status.code(), Some(1));
    let out = lxns(&["frobnicate"]);
    assert_eq!(out.status.code(), Some(1));
    for sub in ["run", "enter", "ls"] {
        let out = lxns(&[sub, "--bogus", "true"]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{sub}: {err}");
        assert!(
            err.contains(&format!("lxns {sub}: unrecognized option '--bogus'"))
                && err.contains(&format!("Try 'lxns {sub} --help'")),
            "{err}"
        );
    }
    let me = std::process::id().to_string();
    let out = lxns(&["enter", "-t", &me, "-u", "--frobnicate", "true"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("unrecognized option '--frobnicate'"), "{err}");
    let out = lxns(&["netns", "frobnicate"]);
    assert_eq!(out.status.code(), Some(255));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Command \"frobnicate\" is unknown"));
}

/// Output that could not be written is a failure, never exit 0 with nothing done: help
/// (which clap's own exit writes and ignores errors of), listings.
#[test]
fn unwritable_output_fails() {
    for args in [
        &["--help"][..],
        &["ls", "-h"],
        &["info", "self:net"],
        &["ls"],
    ] {
        let full = std::fs::File::options()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_lxns"))
            .args(args)
            .stdout(full)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("No space left"),
            "{args:?}: {}",
            stderr(&out)
        );
    }
    // And written help still exits 0.
    assert_eq!(lxns(&["--help"]).status.code(), Some(0));
}

/// Each command states the oldest kernel it works on and refuses older ones clearly
/// (`setarch --uname-2.6` makes uname(2) report a 2.6 kernel).
#[test]
fn an_old_kernel_is_refused_with_the_version_needed() {
    for (args, needs) in [
        (
            &["run", "-n", "true"][..],
            "lxns run needs Linux 5.3 or later",
        ),
        (
            &["enter", "-t", "1", "-n", "true"][..],
            "lxns enter needs Linux 5.3 or later",
        ),
        (&["ls"][..], "lxns ls needs Linux 4.11 or later"),
        (&["limits"][..], "lxns limits needs Linux 4.11 or later"),
    ] {
        let out = Command::new("setarch")
            .args([
                std::env::consts::ARCH,
                "--uname-2.6",
                env!("CARGO_BIN_EXE_lxns"),
            ])
            .args(args)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(
            err.contains(needs) && err.contains("this is Linux 2.6."),
            "{err}"
        );
        assert!(out.stdout.is_empty());
    }
}

/// `lxns generate-docs PREFIX` writes a man page per command and completions for bash, zsh
/// and fish, from the clap definitions: every long option of `lxns run` is in its page and
/// in the bash completion, so neither can drift from `--help`.
#[test]
fn man_pages_and_completions_are_generated_from_the_options() {
    let dir = common::TempDir::new("docs");
    let out = lxns(&["generate-docs", dir.path().to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let man = dir.path().join("share/man/man1");
    for page in [
        "lxns",
        "lxns-run",
        "lxns-enter",
        "lxns-ls",
        "lxns-info",
        "lxns-limits",
        "lxns-netns",
        "lxns-netns-add",
        "lxns-netns-exec",
    ] {
        assert!(man.join(format!("{page}.1")).is_file(), "{page}.1 missing");
    }
    let run_page = std::fs::read_to_string(man.join("lxns-run.1")).unwrap();
    let bash =
        std::fs::read_to_string(dir.path().join("share/bash-completion/completions/lxns")).unwrap();
    let help = String::from_utf8(lxns(&["run", "--help"]).stdout).unwrap();
    // The option lines of --help: "  -U, --user[=<FILE>]  …" or "      --hostname <NAME>".
    let longs: Vec<&str> = help
        .lines()
        .map(str::trim_start)
        .filter(|l| l.starts_with('-'))
        .filter_map(|l| l.split_whitespace().find_map(|w| w.strip_prefix("--")))
        .map(|w| w.split(['=', '[', ',', '<']).next().unwrap_or(w))
        .filter(|w| !w.is_empty() && *w != "help" && *w != "version")
        .collect();
    assert!(longs.len() > 20, "{longs:?}");
    for long in longs {
        // roff escapes '-' as '\-'.
        assert!(
            run_page.contains(&format!("\\-\\-{}", long.replace('-', "\\-"))),
            "--{long} missing from lxns-run.1"
        );
        assert!(
            bash.contains(&format!("--{long}")),
            "--{long} missing from bash completion"
        );
    }
    assert!(dir.path().join("share/zsh/site-functions/_lxns").is_file());
    assert!(
        dir.path()
            .join("share/fish/vendor_completions.d/lxns.fish")
            .is_file()
    );
}

/// OPTIONS.md, the table of util-linux's and iproute2's options with their lxns forms, cannot
/// drift: every option the installed unshare, nsenter and lsns print in --help has a row;
/// every lxns option of a `same` or `differs` row is in that lxns command's --help; no
/// `missing` one is.
#[test]
fn the_option_table_matches_the_tools_and_lxns() {
    let table =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/OPTIONS.md")).unwrap();
    let rows: Vec<Vec<String>> = table
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| tool") && !l.starts_with("|---"))
        .map(|l| {
            l.trim_matches('|')
                .split(" | ")
                .map(|c| c.trim().to_owned())
                .collect()
        })
        .collect();
    assert!(rows.len() > 80, "{} rows", rows.len());
    let sub = |tool: &str| match tool {
        "unshare" => "run",
        "nsenter" => "enter",
        "lsns" => "ls",
        "bwrap" => "sandbox",
        _ => "netns",
    };
    let help = |sub: &str| String::from_utf8(lxns(&[sub, "--help"]).stdout).unwrap();
    // An option as a whole word of a help text.
    let has = |text: &str, opt: &str| {
        text.match_indices(opt).any(|(i, _)| {
            let after = text[i + opt.len()..].chars().next();
            let before = text[..i].chars().last();
            !matches!(after, Some(c) if c.is_ascii_alphanumeric() || c == '-')
                && !matches!(before, Some(c) if c.is_ascii_alphanumeric() || c == '-')
        })
    };
    let options = |cell: &str| -> Vec<String> {
        cell.split([' ', ','])
            .filter(|w| w.starts_with('-'))
            .map(|w| w.split(['=', '[']).next().unwrap_or(w).to_owned())
            .collect()
    };
    for tool in ["unshare", "nsenter", "lsns", "bwrap"] {
        let Ok(out) = Command::new(tool).arg("--help").output() else {
            continue;
        };
        let theirs = String::from_utf8_lossy(&out.stdout).into_owned();
        for line in theirs
            .lines()
            .map(str::trim_start)
            .filter(|l| l.starts_with('-'))
        {
            let long = line
                .split_whitespace()
                .find(|w| w.starts_with("--"))
                .map(|w| {
                    w.trim_end_matches(',')
                        .split(['=', '['])
                        .next()
                        .unwrap_or(w)
                });
            let Some(long) = long else { continue };
            assert!(
                rows.iter()
                    .any(|r| r[0] == tool && options(&r[1]).iter().any(|o| o == long)),
                "{tool} {long} has no row in OPTIONS.md"
            );
        }
    }
    for r in &rows {
        let (tool, lxns_form, status) = (&r[0], &r[2], &r[3]);
        let sub = sub(tool);
        let text = help(sub);
        if tool == "ip netns" {
            let word = lxns_form.split_whitespace().nth(2);
            if let Some(word) = word.filter(|w| !w.starts_with('-')) {
                let present = text.lines().any(|l| l.trim_start().starts_with(word));
                assert_eq!(
                    present,
                    !status.starts_with("missing"),
                    "netns {word}: {status}"
                );
            }
            continue;
        }
        for opt in options(lxns_form) {
            // `lxns sandbox --help` names the options it refuses in its prose too: an
            // option is there when a line of the option list starts with it.
            let present = if tool == "bwrap" {
                text.lines()
                    .any(|l| l.split_whitespace().next() == Some(opt.as_str()))
            } else {
                has(&text, &opt)
            };
            if status.starts_with("missing") {
                assert!(
                    !present,
                    "{tool} {opt} is in lxns {sub} now: update OPTIONS.md"
                );
            } else {
                assert!(present, "{tool}: {opt} not in lxns {sub} --help ({status})");
            }
        }
    }
}

/// An error names its target once: `lxns: open namespace file for /nonexistent: …` (before:
/// `lxns: /nonexistent: open namespace file for /nonexistent: …`), and deleting a name from
/// a registry that does not exist is "no such file" for that name, as ip says.
#[test]
fn errors_name_their_target_once() {
    let out = lxns(&["info", "/nonexistent"]);
    let err = stderr(&out);
    assert_eq!(err.matches("/nonexistent").count(), 1, "{err}");
    let dir = common::TempDir::new("noregistry");
    let reg = format!("--registry={}", dir.path().join("absent").display());
    let out = lxns(&["netns", &reg, "delete", "lxns-no-such-name"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(err.matches("lxns-no-such-name").count(), 1, "{err}");
    assert!(
        err.contains("ENOENT") && !err.contains("registry for"),
        "{err}"
    );
}

/// `lxns … --help | head -1`: a reader that stops early is no write error (util-linux's
/// close_stdout passes over EPIPE), while a full disk is one.
#[test]
fn help_into_a_closed_pipe_is_no_error_but_a_full_disk_is() {
    use std::process::Stdio;
    for sub in [&["--help"][..], &["info", "--help"], &["run", "--help"]] {
        // A pipe whose reader is gone before lxns writes: every write is EPIPE.
        let (reader, writer) = rustix::pipe::pipe().unwrap();
        drop(reader);
        let got = Command::new(env!("CARGO_BIN_EXE_lxns"))
            .args(sub)
            .stdout(Stdio::from(writer))
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        assert!(got.status.success(), "{sub:?}: {}", stderr(&got));
        assert_eq!(stderr(&got), "", "{sub:?}");
    }
    let full = Command::new(env!("CARGO_BIN_EXE_lxns"))
        .arg("--help")
        .stdout(std::fs::File::create("/dev/full").unwrap())
        .output()
        .unwrap();
    assert_eq!(full.status.code(), Some(1));
    assert!(stderr(&full).contains("write error"));
}
