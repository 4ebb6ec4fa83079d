//! User and group names the way `id` and `getent` resolve them: the files first
//! (`/etc/passwd`, `/etc/group`), then, for what they do not hold, NSS through `getent(1)`
//! (LDAP, sssd, systemd's userdb, libnss-extrausers …). glibc's NSS modules are loaded into
//! the process that asks; asking a separate `getent` keeps them out of lxns — which matters
//! for the static build, where glibc cannot load them and `getpwuid` can crash — and costs
//! one process, only for the misses.

use std::collections::HashMap;
use std::process::{Command, Stdio};

/// Which database.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Db {
    Passwd,
    Group,
}

impl Db {
    /// Its file.
    pub fn file(self) -> &'static str {
        match self {
            Db::Passwd => "/etc/passwd",
            Db::Group => "/etc/group",
        }
    }

    /// Its getent(1) name.
    pub fn name(self) -> &'static str {
        match self {
            Db::Passwd => "passwd",
            Db::Group => "group",
        }
    }
}

/// `(name, id)` of each `name:x:id:…` line.
fn entries(text: &str) -> impl Iterator<Item = (&str, u32)> {
    text.lines().filter_map(|l| {
        let mut f = l.split(':');
        let name = f.next()?;
        let id = f.nth(1)?.parse().ok()?;
        Some((name, id))
    })
}

/// `getent DB KEY…`'s lines (it prints the entries it found, and exits 2 if some were not).
fn getent(db: Db, keys: &[String]) -> String {
    if keys.is_empty() {
        return String::new();
    }
    Command::new("getent")
        .arg(db.name())
        .args(keys)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default()
}

/// The names of `ids` that have one: from the file, then one `getent` for the rest.
pub fn names(db: Db, ids: impl IntoIterator<Item = u32>) -> HashMap<u32, String> {
    let text = std::fs::read_to_string(db.file()).unwrap_or_default();
    let mut want: Vec<u32> = ids.into_iter().collect();
    want.sort_unstable();
    want.dedup();
    let mut out: HashMap<u32, String> = entries(&text)
        .filter(|(_, id)| want.binary_search(id).is_ok())
        .map(|(n, id)| (id, n.to_owned()))
        .collect();
    let missing: Vec<String> = want
        .iter()
        .filter(|id| !out.contains_key(id))
        .map(u32::to_string)
        .collect();
    for (name, id) in entries(&getent(db, &missing)) {
        out.entry(id).or_insert_with(|| name.to_owned());
    }
    out
}

/// The id of `name`: from the file, else from `getent`.
pub fn id_of(db: Db, name: &str) -> Option<u32> {
    let text = std::fs::read_to_string(db.file()).unwrap_or_default();
    if let Some((_, id)) = entries(&text).find(|(n, _)| *n == name) {
        return Some(id);
    }
    entries(&getent(db, &[name.to_owned()]))
        .find(|(n, _)| *n == name)
        .map(|(_, id)| id)
}
