//! `lxns ls`: list namespaces, lsns(8)-compatible (columns, flags, JSON shape).

use std::collections::HashMap;
use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt;
use std::process::ExitCode;

use anyhow::{Result, bail};
use lxns::{Kind, KindSet, ListOptions, Listing, NetNsId, NsInfo};
use std::borrow::Cow;

use crate::output;

/// List namespaces (like lsns).
///
/// Finds namespaces through every process and nsfs bind mounts (/run/netns/*); with --fds
/// also through every open file descriptor, with --threads through every thread. Columns: NS,
/// TYPE, PATH, NPROCS, PID, PPID, COMMAND, UID, USER, NETNSID, NSFS, PNS, ONS.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Namespace types to list (mnt, net, ipc, user, pid, uts, cgroup, time); repeatable.
    #[arg(short = 't', long = "type", value_name = "TYPE")]
    types: Vec<String>,
    /// Only namespaces this process is in. Unlike lsns, which prints nothing and exits 0,
    /// a PID that is no process (or a thread id) is an error: a typo is not an empty list.
    #[arg(
        short = 'p',
        long = "task",
        value_name = "PID",
        allow_hyphen_values = true,
        value_parser = super::pid
    )]
    pid: Option<i32>,
    /// JSON output (the shape of `lsns -J`).
    #[arg(short = 'J', long, conflicts_with = "raw")]
    json: bool,
    /// List format (no tree).
    #[arg(short = 'l', long)]
    list: bool,
    /// Don't print headings.
    #[arg(short = 'n', long)]
    noheadings: bool,
    /// Raw output: space-separated, escaped.
    #[arg(short = 'r', long)]
    raw: bool,
    /// Columns to show, comma-separated; a leading '+' adds to the defaults.
    #[arg(short = 'o', long, value_name = "LIST")]
    output: Option<String>,
    /// All columns.
    #[arg(long)]
    output_all: bool,
    /// Accepted for lsns compatibility (lxns never truncates).
    #[arg(short = 'u', long)]
    notruncate: bool,
    /// Several NSFS paths on one line, joined with ',' (else one per line, as lsns).
    #[arg(short = 'W', long)]
    nowrap: bool,
    /// Print the available columns and what they hold, then exit (later lsns's -H).
    #[arg(short = 'H', long = "list-columns")]
    list_columns: bool,
    /// Tree format: owner (default), parent or process.
    #[arg(
        short = 'T',
        long,
        value_name = "REL",
        num_args = 0..=1,
        default_missing_value = "owner",
        require_equals = true
    )]
    tree: Option<String>,
    /// Only namespaces no process is in (kept by a bind mount or an open fd); implies --fds
    /// (later lsns's -P).
    #[arg(short = 'P', long)]
    persistent: bool,
    /// Also look at every open file descriptor of every process (one readlink per fd) for
    /// namespaces kept alive only that way.
    #[arg(long)]
    fds: bool,
    /// Also look at threads.
    #[arg(long)]
    threads: bool,
    /// Only rows for which EXPR is true: libsmartcols' filter language (scols-filter(5)),
    /// e.g. 'TYPE == "net" && NPROCS > 1', 'COMMAND =~ "^sleep"', '!NSFS' (later lsns's -Q).
    #[arg(short = 'Q', long = "filter", value_name = "EXPR")]
    filter: Option<String>,
    /// A namespace (its inode number): list the processes in it instead (columns PID, PPID,
    /// USER, COMMAND; a process tree unless -l), as lsns does.
    #[arg(value_name = "NAMESPACE", conflicts_with = "pid")]
    namespace: Option<String>,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Col {
    Ns,
    Type,
    Path,
    Nprocs,
    Pid,
    Ppid,
    Command,
    Uid,
    User,
    Netnsid,
    Nsfs,
    Pns,
    Ons,
}

const ALL_COLS: [Col; 13] = [
    Col::Ns,
    Col::Type,
    Col::Path,
    Col::Nprocs,
    Col::Pid,
    Col::Ppid,
    Col::Command,
    Col::Uid,
    Col::User,
    Col::Netnsid,
    Col::Nsfs,
    Col::Pns,
    Col::Ons,
];

impl Col {
    /// lsns's description of the column.
    fn help(self) -> &'static str {
        match self {
            Col::Ns => "namespace identifier (inode number)",
            Col::Type => "kind of namespace",
            Col::Path => "path to the namespace",
            Col::Nprocs => "number of processes in the namespace",
            Col::Pid => "lowest PID in the namespace",
            Col::Ppid => "PPID of the PID",
            Col::Command => "command line of the PID",
            Col::Uid => "UID of the PID",
            Col::User => "username of the PID",
            Col::Netnsid => "namespace ID as used by network subsystem",
            Col::Nsfs => "nsfs mountpoint (usually used network subsystem)",
            Col::Pns => "parent namespace identifier (inode number)",
            Col::Ons => "owner namespace identifier (inode number)",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Col::Ns => "NS",
            Col::Type => "TYPE",
            Col::Path => "PATH",
            Col::Nprocs => "NPROCS",
            Col::Pid => "PID",
            Col::Ppid => "PPID",
            Col::Command => "COMMAND",
            Col::Uid => "UID",
            Col::User => "USER",
            Col::Netnsid => "NETNSID",
            Col::Nsfs => "NSFS",
            Col::Pns => "PNS",
            Col::Ons => "ONS",
        }
    }

    fn parse(name: &str) -> Result<Col> {
        ALL_COLS
            .into_iter()
            .find(|c| c.name().eq_ignore_ascii_case(name.trim()))
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "unknown column: {name} (known: NS, TYPE, PATH, NPROCS, PID, PPID, COMMAND, \
                     UID, USER, NETNSID, NSFS, PNS, ONS)"
                )
            })
    }

    /// lsns's width hints (its `infos[].whint`).
    fn width_hint(self) -> usize {
        match self {
            Col::Ns | Col::Pns | Col::Ons => 10,
            Col::Type | Col::Nprocs | Col::Pid | Col::Ppid => 5,
            _ => 0,
        }
    }

    fn right_aligned(self) -> bool {
        matches!(
            self,
            Col::Ns
                | Col::Nprocs
                | Col::Pid
                | Col::Ppid
                | Col::Uid
                | Col::Netnsid
                | Col::Pns
                | Col::Ons
        )
    }
}

/// uid -> user name, from /etc/passwd (read once).
struct Users(HashMap<u32, String>);

impl Users {
    /// Names for the uids of `listing` (files, then NSS through getent for the misses).
    fn load(listing: &Listing) -> Users {
        Users(crate::users::names(
            crate::users::Db::Passwd,
            listing.namespaces.iter().filter_map(|n| n.uid),
        ))
    }

    fn name(&self, uid: u32) -> Cow<'_, str> {
        self.0.get(&uid).map_or_else(
            || Cow::Owned(uid.to_string()),
            |n| Cow::Borrowed(n.as_str()),
        )
    }
}

/// One cell: a number, text, or nothing (JSON `null`, an empty table cell).
enum Cell<'a> {
    Num(i64),
    Text(Cow<'a, str>),
    Null,
}

impl Cell<'_> {
    fn text(&self) -> Cow<'_, str> {
        match self {
            Cell::Num(n) => Cow::Owned(n.to_string()),
            Cell::Text(t) => Cow::Borrowed(t.as_ref()),
            Cell::Null => Cow::Borrowed(""),
        }
    }
}

fn num(n: impl TryInto<i64>) -> Cell<'static> {
    n.try_into().map_or(Cell::Null, Cell::Num)
}

fn cell<'a>(col: Col, n: &'a NsInfo, users: &'a Users, sep: &str, json: bool) -> Cell<'a> {
    match col {
        Col::Ns => num(n.id.ino()),
        Col::Type => Cell::Text(Cow::Borrowed(n.id.kind().proc_name())),
        Col::Path => n.path().map_or(Cell::Null, |p| {
            Cell::Text(Cow::Owned(p.display().to_string()))
        }),
        Col::Nprocs => num(n.nprocs),
        Col::Pid => n.pid.map_or(Cell::Null, num),
        Col::Ppid => n.ppid.map_or(Cell::Null, num),
        // Bytes from the kernel: shown as lsns shows them (safe_encode); JSON strings must
        // be UTF-8, so there a non-UTF-8 byte becomes U+FFFD (lsns writes the raw byte,
        // which makes its JSON invalid).
        Col::Command => n.command.as_deref().map_or(Cell::Null, |c| {
            Cell::Text(if json {
                c.to_string_lossy()
            } else {
                Cow::Owned(safe_encode(c.as_bytes(), utf8_locale()))
            })
        }),
        Col::Uid => n.uid.map_or(Cell::Null, num),
        Col::User => n.uid.map_or(Cell::Null, |u| Cell::Text(users.name(u))),
        Col::Netnsid => match n.netnsid {
            Some(NetNsId::Assigned(id)) => num(id),
            Some(NetNsId::Unassigned) => Cell::Text(Cow::Borrowed("unassigned")),
            None => Cell::Null,
        },
        Col::Nsfs => {
            if n.nsfs.is_empty() {
                Cell::Null
            } else {
                let paths: Vec<String> = n.nsfs.iter().map(|p| p.display().to_string()).collect();
                Cell::Text(Cow::Owned(paths.join(sep)))
            }
        }
        Col::Pns => num(n.parent.unwrap_or(0)),
        Col::Ons => num(n.owner.unwrap_or(0)),
    }
}

/// How libsmartcols shows text in a table (`mbs_safe_encode`): printable characters as they
/// are, every other byte (control characters; bytes that are not UTF-8, or every byte above
/// 0x7f outside a UTF-8 locale) as `\xHH`, and a backslash before `x` as `\x5c`.
fn safe_encode(bytes: &[u8], utf8: bool) -> String {
    let mut out = String::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'\\' && bytes.get(i + 1) == Some(&b'x') {
            out.push_str("\\x5c");
            i += 1;
            continue;
        }
        if b.is_ascii() {
            if b.is_ascii_control() {
                out.push_str(&format!("\\x{b:02x}"));
            } else {
                out.push(char::from(b));
            }
            i += 1;
            continue;
        }
        let rest = bytes
            .get(i..i + 4)
            .unwrap_or_else(|| bytes.get(i..).unwrap_or_default());
        let valid = match std::str::from_utf8(rest) {
            Ok(s) => s,
            Err(e) => std::str::from_utf8(rest.get(..e.valid_up_to()).unwrap_or_default())
                .unwrap_or_default(),
        };
        match valid.chars().next().filter(|c| utf8 && !c.is_control()) {
            Some(c) => {
                out.push(c);
                i += c.len_utf8();
            }
            None => {
                out.push_str(&format!("\\x{b:02x}"));
                i += 1;
            }
        }
    }
    out
}

/// libsmartcols' raw escaping: spaces, backslashes and non-printables as `\xHH`.
fn raw_escape(s: &[u8]) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s {
        if b == b' ' || b == b'\\' || !(0x21..0x7f).contains(&b) {
            out.push_str(&format!("\\x{b:02x}"));
        } else {
            out.push(char::from(b));
        }
    }
    out
}

fn columns(args: &Args, kinds_given: &KindSet) -> Result<Vec<Col>> {
    let mut cols = if args.output_all {
        ALL_COLS.to_vec()
    } else if args.namespace.is_some() {
        vec![Col::Pid, Col::Ppid, Col::User, Col::Command]
    } else {
        let mut d = vec![Col::Ns, Col::Type, Col::Nprocs, Col::Pid, Col::User];
        if kinds_given.contains(Kind::Net) {
            d.extend([Col::Netnsid, Col::Nsfs]);
        }
        d.push(Col::Command);
        d
    };
    if let Some(spec) = &args.output {
        let (append, list) = match spec.strip_prefix('+') {
            Some(rest) => (true, rest),
            None => (false, spec.as_str()),
        };
        let parsed = list
            .split(',')
            .filter(|s| !s.trim().is_empty())
            .map(Col::parse)
            .collect::<Result<Vec<_>>>()?;
        if parsed.is_empty() {
            bail!("-o needs at least one column");
        }
        if append {
            cols.extend(parsed);
        } else {
            cols = parsed;
        }
    }
    Ok(cols)
}

#[derive(Copy, Clone, PartialEq, Eq)]
enum Tree {
    Owner,
    Parent,
    Process,
}

pub fn run(args: &Args) -> Result<ExitCode> {
    if args.list_columns {
        let mut out = io::stdout().lock();
        for col in ALL_COLS {
            writeln!(out, "{:>12}  {}", col.name(), col.help())?;
        }
        out.flush()?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut kinds = KindSet::EMPTY;
    for t in &args.types {
        for part in t.split(',') {
            kinds.insert(part.parse::<Kind>()?);
        }
    }
    let kinds_given = kinds;
    if kinds.is_empty() {
        kinds = KindSet::ALL;
    }
    // Like lsns: a process tree unless -l, or the tree -T asks for.
    let tree = match (args.tree.as_deref(), args.list) {
        (_, true) => None,
        (None, false) => Some(Tree::Process),
        (Some("owner"), false) => Some(Tree::Owner),
        (Some("parent"), false) => Some(Tree::Parent),
        (Some("process"), false) => Some(Tree::Process),
        (Some(other), false) => bail!("unknown tree relation: {other} (owner, parent or process)"),
    };
    let cols = columns(args, &kinds_given)?;
    let filter = args
        .filter
        .as_deref()
        .map(|text| {
            crate::filter::Filter::parse(text, &|name| Col::parse(name).is_ok())
                .map_err(|e| anyhow::anyhow!("failed to parse filter {text:?}: {e}"))
        })
        .transpose()?;
    let namespace = args
        .namespace
        .as_deref()
        .map(|n| {
            n.parse::<u64>()
                .map_err(|_| anyhow::anyhow!("invalid namespace argument: '{n}'"))
        })
        .transpose()?;
    // A filter may name any column: gather them all.
    let every = filter.is_some();
    let has = |c: Col| every || cols.contains(&c);
    let opts = ListOptions::new()
        .kinds(kinds)
        .threads(args.threads)
        .fds(args.fds || args.persistent)
        .command(has(Col::Command))
        .ppid(has(Col::Ppid) || tree == Some(Tree::Process))
        .netnsid(has(Col::Netnsid))
        .hierarchy(
            has(Col::Pns) || has(Col::Ons) || matches!(tree, Some(Tree::Owner | Tree::Parent)),
        );
    // lsns -p with an owner or parent tree also shows the namespaces above the process's
    // (the init user namespace as the root line): list everything, keep those.
    let ancestry = matches!(tree, Some(Tree::Owner | Tree::Parent)) && args.pid.is_some();
    let mut mine: Option<std::collections::HashSet<u64>> = None;
    let mut listing = match args.pid {
        Some(pid) if ancestry => {
            let theirs = lxns::list(&opts.clone().pid(pid))?;
            let full = lxns::list(&opts)?;
            mine = Some(theirs.namespaces.iter().map(|n| n.id.ino()).collect());
            with_ancestors(full, &theirs, tree == Some(Tree::Owner))
        }
        Some(pid) => lxns::list(&opts.pid(pid))?,
        None => lxns::list(&opts)?,
    };
    if let Some(ino) = namespace {
        listing = processes_of(&listing, ino, has(Col::Command))?;
    }
    let users = Users::load(&listing);
    let keep: Vec<usize> = listing
        .namespaces
        .iter()
        .enumerate()
        .filter(|(_, n)| !args.persistent || n.nprocs == 0)
        .filter(|(_, n)| {
            filter.as_ref().is_none_or(|f| {
                f.matches(&|name| match Col::parse(name) {
                    Ok(col) => filter_value(cell(col, n, &users, ",", true)),
                    Err(_) => crate::filter::Value::Empty,
                })
            })
        })
        .map(|(i, _)| i)
        .collect();
    // lsns joins several NSFS paths with a newline: in JSON, and in a table, where the cell
    // then spans several lines; on one line (-W, -r) with ','.
    let sep = if args.json || !(args.nowrap || args.raw) {
        "\n"
    } else {
        ","
    };
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    // lsns draws its default process tree in COMMAND; without that column it prints a list.
    let tree = if tree == Some(Tree::Process) && !has(Col::Command) {
        None
    } else {
        tree
    };
    let rows = order(&listing, &keep, tree, mine.as_ref());
    // lsns draws the process tree in COMMAND (or the first column without it), the others
    // in NS.
    let tree_col = match tree {
        None => None,
        Some(Tree::Process) if has(Col::Command) => Some(Col::Command),
        Some(_) => cols.first().copied(),
    };
    if args.json {
        write_json(&mut out, &listing, &rows, &cols, &users, sep)?;
    } else {
        let cells: Vec<Vec<String>> = rows
            .iter()
            .map(|(i, prefix)| {
                cols.iter()
                    .map(|col| {
                        let n = &listing.namespaces[*i];
                        // -r escapes the kernel's own bytes (a command line need not be
                        // UTF-8), not the table's display form of them.
                        if args.raw && *col == Col::Command {
                            let mut bytes = if tree_col == Some(Col::Command) {
                                prefix.as_bytes().to_vec()
                            } else {
                                Vec::new()
                            };
                            bytes.extend(n.command.as_deref().map_or(&[][..], |c| c.as_bytes()));
                            return raw_escape(&bytes);
                        }
                        let c = cell(*col, n, &users, sep, false);
                        let v = c.text();
                        let v = if Some(*col) == tree_col {
                            format!("{prefix}{v}")
                        } else {
                            v.into_owned()
                        };
                        if args.raw {
                            raw_escape(v.as_bytes())
                        } else {
                            v
                        }
                    })
                    .collect()
            })
            .collect();
        if args.raw {
            if !args.noheadings {
                let names: Vec<&str> = cols.iter().map(|c| c.name()).collect();
                writeln!(out, "{}", names.join(" "))?;
            }
            for row in &cells {
                writeln!(out, "{}", row.join(" "))?;
            }
        } else {
            let header: Vec<&str> = cols.iter().map(|c| c.name()).collect();
            let right: Vec<bool> = cols
                .iter()
                .map(|c| c.right_aligned() && Some(*c) != tree_col)
                .collect();
            let hints: Vec<usize> = cols.iter().map(|c| c.width_hint()).collect();
            output::aligned_table(&mut out, &header, (&right, &hints), &cells, args.noheadings)?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// The namespaces of `mine` and, up the owner (or parent) relation, the namespaces above
/// them, from `full`, in its order.
fn with_ancestors(full: Listing, mine: &Listing, owner: bool) -> Listing {
    let by_ino: HashMap<u64, &NsInfo> = full.namespaces.iter().map(|n| (n.id.ino(), n)).collect();
    let mut wanted: std::collections::HashSet<u64> =
        mine.namespaces.iter().map(|n| n.id.ino()).collect();
    for n in &mine.namespaces {
        let mut up = if owner { n.owner } else { n.parent };
        // Up to one already wanted (its own walk covers the rest); bounded, so that a cycle
        // (data changing under us) cannot loop.
        for _ in 0..64 {
            let Some(a) = up.and_then(|ino| by_ino.get(&ino)) else {
                break;
            };
            if !wanted.insert(a.id.ino()) {
                break;
            }
            up = if owner { a.owner } else { a.parent };
        }
    }
    let mut out = full;
    out.namespaces.retain(|n| wanted.contains(&n.id.ino()));
    out
}

/// A cell as the filter sees it.
fn filter_value(c: Cell<'_>) -> crate::filter::Value {
    use crate::filter::Value;
    match c {
        Cell::Num(n) => u64::try_from(n).map_or_else(|_| Value::Text(n.to_string()), Value::Int),
        Cell::Text(t) => Value::Text(t.into_owned()),
        Cell::Null => Value::Empty,
    }
}

/// `lsns NAMESPACE`: one row per process in the namespace with inode `ino`
/// ([`Listing::member_rows`]).
fn processes_of(listing: &Listing, ino: u64, command: bool) -> Result<Listing> {
    let Some(ns) = listing.namespaces.iter().find(|n| n.id.ino() == ino) else {
        bail!("not found namespace: {ino}");
    };
    let mut out = Listing::default();
    out.namespaces = listing.member_rows(ns.id.kind(), ino, command);
    Ok(out)
}

/// The rows to print, in order, with their tree prefix.
fn order(
    listing: &Listing,
    keep: &[usize],
    tree: Option<Tree>,
    mine: Option<&std::collections::HashSet<u64>>,
) -> Vec<(usize, String)> {
    let Some(tree) = tree else {
        return keep.iter().map(|i| (*i, String::new())).collect();
    };
    let ns = &listing.namespaces;
    let mut children: HashMap<usize, Vec<usize>> = HashMap::new();
    let mut roots = Vec::new();
    match tree {
        Tree::Process => {
            // lsns: a row hangs under the latest earlier row whose process is its
            // process's parent.
            let mut last_row_of_pid: HashMap<i32, usize> = HashMap::new();
            for i in keep {
                let Some(n) = ns.get(*i) else { continue };
                let parent = n
                    .ppid
                    .filter(|pp| Some(*pp) != n.pid)
                    .and_then(|pp| last_row_of_pid.get(&pp).copied());
                match parent {
                    Some(p) => children.entry(p).or_default().push(*i),
                    None => roots.push(*i),
                }
                if let Some(pid) = n.pid {
                    last_row_of_pid.insert(pid, *i);
                }
            }
        }
        Tree::Owner | Tree::Parent => {
            let by_ino: HashMap<u64, usize> = keep
                .iter()
                .filter_map(|i| Some((ns.get(*i)?.id.ino(), *i)))
                .collect();
            for i in keep {
                let Some(n) = ns.get(*i) else { continue };
                let up = if tree == Tree::Owner {
                    n.owner
                } else {
                    n.parent
                };
                match up.and_then(|p| by_ino.get(&p)).filter(|p| **p != *i) {
                    Some(p) => children.entry(*p).or_default().push(*i),
                    None => roots.push(*i),
                }
            }
        }
    }
    // lsns (libsmartcols) draws the tree in UTF-8 only when the locale's codeset is UTF-8,
    // in ASCII otherwise (the C locale).
    let glyphs = if utf8_locale() {
        ["├─", "└─", "│ "]
    } else {
        ["|-", "`-", "| "]
    };
    struct Walk<'a> {
        children: &'a HashMap<usize, Vec<usize>>,
        glyphs: [&'static str; 3],
        out: Vec<(usize, String)>,
        seen: std::collections::HashSet<usize>,
    }
    impl Walk<'_> {
        /// `last`: None for a root, else whether it is its parent's last child.
        fn walk(&mut self, i: usize, prefix: &str, last: Option<bool>) {
            if !self.seen.insert(i) {
                return;
            }
            let [branch, corner, vertical] = self.glyphs;
            let here = match last {
                None => "",
                Some(true) => corner,
                Some(false) => branch,
            };
            self.out.push((i, format!("{prefix}{here}")));
            let next = match last {
                None => String::new(),
                Some(true) => format!("{prefix}  "),
                Some(false) => format!("{prefix}{vertical}"),
            };
            let kids = self.children.get(&i).cloned().unwrap_or_default();
            for (k, child) in kids.iter().enumerate() {
                self.walk(*child, &next, Some(k + 1 == kids.len()));
            }
        }
    }
    let mut w = Walk {
        children: &children,
        glyphs,
        out: Vec::new(),
        seen: std::collections::HashSet::new(),
    };
    // lsns puts user namespaces first among the roots of the owner and parent trees.
    let user_last = |i: &usize| ns.get(*i).is_none_or(|n| n.id.kind() != Kind::User);
    if tree != Tree::Process {
        roots.sort_by_key(user_last);
    }
    // lsns -p: a namespace shown only as the ancestor of the process's comes where its first
    // descendant among the process's would (lsns shows a parent just before its child).
    if let Some(mine) = mine.filter(|_| tree != Tree::Process) {
        let mut firsts: Vec<usize> = keep
            .iter()
            .copied()
            .filter(|i| ns.get(*i).is_some_and(|n| mine.contains(&n.id.ino())))
            .collect();
        firsts.sort_by_key(user_last);
        let position: HashMap<usize, usize> =
            firsts.iter().enumerate().map(|(p, i)| (*i, p)).collect();
        fn rank(
            i: usize,
            position: &HashMap<usize, usize>,
            children: &HashMap<usize, Vec<usize>>,
            depth: usize,
        ) -> usize {
            let own = position.get(&i).copied().unwrap_or(usize::MAX);
            if depth > 64 {
                return own;
            }
            children.get(&i).map_or(own, |kids| {
                kids.iter()
                    .map(|k| rank(*k, position, children, depth + 1))
                    .fold(own, usize::min)
            })
        }
        roots.sort_by_key(|r| rank(*r, &position, &children, 0));
    }
    for r in roots {
        w.walk(r, "", None);
    }
    // A cycle (owner/parent data changing under us) must not lose rows.
    for i in keep {
        if !w.seen.contains(i) {
            w.out.push((*i, String::new()));
        }
    }
    w.out
}

/// Whether the locale's codeset is UTF-8, as `setlocale(LC_ALL, "")` and
/// `nl_langinfo(CODESET)` would say: the first non-empty of `LC_ALL`, `LC_CTYPE`, `LANG`
/// names it (`C.UTF-8`, `en_US.utf8`); none, `C` or `POSIX` is ASCII.
fn utf8_locale() -> bool {
    let value = ["LC_ALL", "LC_CTYPE", "LANG"]
        .iter()
        .find_map(|k| std::env::var_os(k).filter(|v| !v.is_empty()));
    value.is_some_and(|v| {
        let v = v.to_string_lossy().to_ascii_lowercase();
        let codeset = v.split_once('.').map_or("", |(_, c)| c);
        let codeset = codeset.split('@').next().unwrap_or("");
        codeset == "utf-8" || codeset == "utf8"
    })
}

/// Writes the rows as lsns writes JSON (libsmartcols' layout: three-space indents, nested
/// `children` arrays for trees), streaming, without building a document in memory.
fn write_json(
    out: &mut impl Write,
    listing: &Listing,
    rows: &[(usize, String)],
    cols: &[Col],
    users: &Users,
    sep: &str,
) -> io::Result<()> {
    let names: Vec<String> = cols.iter().map(|c| c.name().to_ascii_lowercase()).collect();
    let pad = |level: usize| " ".repeat(3 * level);
    write!(out, "{{\n   \"namespaces\": [")?;
    let mut depth_stack: Vec<usize> = Vec::new();
    let mut first_at_level = true;
    for (i, prefix) in rows {
        let d = tree_depth(prefix);
        let Some(n) = listing.namespaces.get(*i) else {
            continue;
        };
        // Close deeper levels.
        while depth_stack.last().is_some_and(|top| *top > d) {
            depth_stack.pop();
            let level = 2 + 2 * depth_stack.len();
            write!(out, "\n{}}}\n{}]", pad(level), pad(level - 1))?;
            first_at_level = false;
        }
        if depth_stack.last().is_some_and(|top| *top == d) {
            // A sibling.
            write!(out, "\n{}}},{{", pad(2 + 2 * (depth_stack.len() - 1)))?;
            depth_stack.pop();
        } else if !depth_stack.is_empty() {
            // The first child of the open object.
            let level = 2 + 2 * (depth_stack.len() - 1);
            write!(
                out,
                ",\n{}\"children\": [\n{}{{",
                pad(level + 1),
                pad(level + 2)
            )?;
        } else if first_at_level {
            write!(out, "\n{}{{", pad(2))?;
            first_at_level = false;
        } else {
            write!(out, "\n{}}},{{", pad(2))?;
        }
        depth_stack.push(d);
        let level = 2 + 2 * (depth_stack.len() - 1) + 1;
        for (k, col) in cols.iter().enumerate() {
            if k > 0 {
                write!(out, ",")?;
            }
            write!(out, "\n{}\"{}\": ", pad(level), names[k])?;
            match cell(*col, n, users, sep, true) {
                Cell::Num(v) => write!(out, "{v}")?,
                Cell::Text(t) => write_json_string(out, &t)?,
                Cell::Null => write!(out, "null")?,
            }
        }
    }
    // Close whatever is open.
    while depth_stack.len() > 1 {
        depth_stack.pop();
        let level = 2 + 2 * depth_stack.len();
        write!(out, "\n{}}}\n{}]", pad(level), pad(level - 1))?;
    }
    if depth_stack.is_empty() {
        writeln!(out, "\n   ]\n}}")
    } else {
        writeln!(out, "\n      }}\n   ]\n}}")
    }
}

fn write_json_string(out: &mut impl Write, s: &str) -> io::Result<()> {
    out.write_all(b"\"")?;
    for c in s.chars() {
        match c {
            '"' => out.write_all(b"\\\"")?,
            '\\' => out.write_all(b"\\\\")?,
            '\n' => out.write_all(b"\\n")?,
            '\r' => out.write_all(b"\\r")?,
            '\t' => out.write_all(b"\\t")?,
            c if (c as u32) < 0x20 => write!(out, "\\u{:04x}", c as u32)?,
            c => write!(out, "{c}")?,
        }
    }
    out.write_all(b"\"")
}

/// The depth of a tree prefix: each level is two characters wide.
fn tree_depth(prefix: &str) -> usize {
    prefix.chars().count() / 2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_parse() {
        assert_eq!(Col::parse("netnsid").ok(), Some(Col::Netnsid));
        assert!(Col::parse("bogus").is_err());
    }

    #[test]
    fn safe_encodes_like_smartcols() {
        assert_eq!(safe_encode(b"sleep 600", true), "sleep 600");
        assert_eq!(safe_encode(b"x\xffy 10", true), "x\\xffy 10");
        assert_eq!(safe_encode("caf\u{e9}".as_bytes(), true), "caf\u{e9}");
        assert_eq!(safe_encode("caf\u{e9}".as_bytes(), false), "caf\\xc3\\xa9");
        assert_eq!(safe_encode(b"a\tb", true), "a\\x09b");
        assert_eq!(safe_encode(b"a\\xb", true), "a\\x5cxb");
        assert_eq!(safe_encode(b"a\\b", true), "a\\b");
        assert_eq!(safe_encode(b"\xe2\x82", true), "\\xe2\\x82");
    }

    #[test]
    fn raw_escapes_like_smartcols() {
        assert_eq!(raw_escape(b"sleep 600"), "sleep\\x20600");
        assert_eq!(raw_escape(b"a\\b"), "a\\x5cb");
    }

    #[test]
    fn tree_prefix_depth() {
        assert_eq!(tree_depth(""), 0);
        assert_eq!(tree_depth("├─"), 1);
        assert_eq!(tree_depth("│ └─"), 2);
    }
}
