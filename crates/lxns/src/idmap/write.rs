//! Writing a child's id maps: directly, or through the setuid helpers `newuidmap` and
//! `newgidmap` for subordinate ids (`/etc/subuid`, `/etc/subgid`).

use std::path::{Path, PathBuf};

use super::{IdMap, IdRange, MapKind, Setgroups, write_id_map, write_setgroups};
use crate::error::{Errno, Error, Op, Result, Target};
use crate::kind::Kind;

/// How an id map is written.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Default)]
pub enum MapWriter {
    /// Write `/proc/PID/uid_map` directly; if the kernel refuses (`EPERM`: the ids are not
    /// the caller's own and it lacks `CAP_SETUID`) and `newuidmap`/`newgidmap` are
    /// installed, use them.
    #[default]
    Auto,
    /// Always write directly.
    Direct,
    /// Always use the setuid helpers `newuidmap`/`newgidmap`, which check the ranges against
    /// `/etc/subuid` and `/etc/subgid`.
    Helper,
}

/// The maps of a new user namespace and how to write them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Maps<'a> {
    pub uid: Option<&'a IdMap>,
    pub gid: Option<&'a IdMap>,
    pub setgroups: Option<Setgroups>,
    pub writer: MapWriter,
}

impl Maps<'_> {
    /// Whether there is anything to write.
    pub(crate) fn any(&self) -> bool {
        self.uid.is_some() || self.gid.is_some() || self.setgroups.is_some()
    }

    /// Whether the kernel will refuse these maps for this caller whatever the child does:
    /// `setgroups` allowed with a gid map written directly by an unprivileged caller
    /// (user_namespaces(7): such a gid map needs `setgroups` denied first).
    pub(crate) fn refused(&self) -> Option<&'static str> {
        let (euid, egid) = effective_ids();
        let direct_gid = self.gid.is_some_and(|m| match self.writer {
            MapWriter::Direct => true,
            MapWriter::Helper => false,
            MapWriter::Auto => maps_only(m, egid) || helper_path(MapKind::Gid).is_none(),
        });
        (euid != 0 && direct_gid && self.setgroups == Some(Setgroups::Allow)).then_some(
            "an unprivileged process can write a gid map only after denying setgroups \
             (user_namespaces(7)); leave setgroups at deny, or map subordinate ids through \
             newgidmap (map_subids / --map-auto)",
        )
    }
}

/// Writes setgroups, uid_map and gid_map for `pid`, directly or through the helpers.
pub(crate) fn write_maps(pid: i32, maps: &Maps<'_>) -> Result<()> {
    let (euid, egid) = effective_ids();
    let privileged = euid == 0;
    // Who writes each map, decided once: `None` directly, `Some(path)` the setuid helper.
    let mut writers = Vec::with_capacity(2);
    for (which, map, own) in [
        (MapKind::Uid, maps.uid, euid),
        (MapKind::Gid, maps.gid, egid),
    ] {
        let Some(map) = map else { continue };
        let helper = match maps.writer {
            MapWriter::Direct => None,
            MapWriter::Helper => Some(helper_path(which).ok_or_else(|| helper_missing(which))?),
            // Direct when the kernel will take it (privileged, or only one's own id), the
            // helper otherwise (if there is none, the direct write's EPERM says what to do).
            MapWriter::Auto if privileged || maps_only(map, own) => None,
            MapWriter::Auto => helper_path(which),
        };
        writers.push((which, map, helper));
    }
    let setgroups = maps.setgroups.or_else(|| {
        // An unprivileged direct gid map needs "deny" first.
        let direct_gid = writers
            .iter()
            .any(|(which, _, helper)| *which == MapKind::Gid && helper.is_none());
        (direct_gid && !privileged).then_some(Setgroups::Deny)
    });
    if let Some(value) = setgroups {
        write_setgroups(pid, value)?;
    }
    for (which, map, helper) in writers {
        match helper {
            Some(path) => run_helper(pid, which, map, &path)?,
            None => write_id_map(pid, which, map)?,
        }
    }
    Ok(())
}

/// Whether `map` maps exactly one id, `outside`: what a process may write for itself.
pub(crate) fn maps_only(map: &IdMap, outside: u32) -> bool {
    matches!(map.ranges(), [r] if r.count == 1 && r.outside == outside)
}

fn helper_name(which: MapKind) -> &'static str {
    match which {
        MapKind::Uid => "newuidmap",
        MapKind::Gid => "newgidmap",
    }
}

fn helper_path(which: MapKind) -> Option<PathBuf> {
    let name = helper_name(which);
    let path = std::env::var_os("PATH").unwrap_or_else(|| "/usr/bin:/bin".into());
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/bin"), PathBuf::from("/usr/sbin")])
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

fn helper_missing(which: MapKind) -> Error {
    Error::NotFound {
        op: Op::WriteIdMap,
        kind: Some(Kind::User),
        target: Target::Text(format!(
            "{} (install the uidmap package to map subordinate ids)",
            helper_name(which)
        )),
    }
}

/// Runs `newuidmap PID inside outside count…` (or newgidmap), checking its exit status and
/// putting its stderr in the error.
fn run_helper(pid: i32, which: MapKind, map: &IdMap, path: &Path) -> Result<()> {
    let name = helper_name(which);
    let mut c = std::process::Command::new(path);
    c.arg(pid.to_string());
    for r in map.ranges() {
        c.args([
            r.inside.to_string(),
            r.outside.to_string(),
            r.count.to_string(),
        ]);
    }
    let out = c
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| Error::from_io(Op::WriteIdMap, Target::Path(path.to_owned()), &e))?;
    if out.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&out.stderr).trim().to_owned();
    Err(Error::PermissionDenied {
        op: Op::WriteIdMap,
        kind: Some(Kind::User),
        target: Target::Text(format!(
            "{name} {pid} {} failed ({}): {stderr}",
            map.ranges()
                .iter()
                .map(|r| format!("{} {} {}", r.inside, r.outside, r.count))
                .collect::<Vec<_>>()
                .join(" "),
            out.status
        )),
        errno: Errno::from_raw(1),
        owner: None,
    })
}

/// The first block of subordinate ids the caller (by effective uid, or its user name) owns in
/// `/etc/subuid` ([`MapKind::Uid`]) or `/etc/subgid` ([`MapKind::Gid`]), as a range with
/// `inside` 0 — what `unshare --map-users=auto` maps.
///
/// # Errors
/// [`Error::InvalidArgument`] naming the file, with the line to add, when the caller has no
/// valid entry.
///
/// # References
///  - [subuid(5)](https://man7.org/linux/man-pages/man5/subuid.5.html),
///    [newuidmap(1)](https://man7.org/linux/man-pages/man1/newuidmap.1.html)
pub fn subordinate_ids(which: MapKind) -> Result<IdRange> {
    let file = match which {
        MapKind::Uid => "/etc/subuid",
        MapKind::Gid => "/etc/subgid",
    };
    // Both files are keyed by the user's name or uid (subgid too).
    let euid = rustix::process::geteuid().as_raw();
    let name = name_of(euid, "/etc/passwd");
    let text = std::fs::read_to_string(file).unwrap_or_default();
    first_valid_block(&text, file, euid, name.as_deref())
}

/// The first valid block of `uid`'s (or `name`'s) in subuid-format `text`. Invalid entries
/// of the user's (count 0, past the largest id, not numbers) are passed over, as shadow's
/// own readers do, and named in the error when no valid one follows.
pub(crate) fn first_valid_block(
    text: &str,
    file: &str,
    uid: u32,
    name: Option<&str>,
) -> Result<IdRange> {
    let owner_id = uid.to_string();
    let mut skipped = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let mut f = line.split(':');
        let (Some(owner), Some(start), Some(count)) = (f.next(), f.next(), f.next()) else {
            continue;
        };
        if owner != owner_id && Some(owner) != name {
            continue;
        }
        let digits = |t: &str| -> Option<u32> {
            (!t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()))
                .then(|| t.parse().ok())
                .flatten()
        };
        let (Some(outside), Some(count)) = (digits(start), digits(count)) else {
            skipped.push(format!(
                "line {}: {line:?} is not owner:start:count",
                number + 1
            ));
            continue;
        };
        let range = IdRange {
            inside: 0,
            outside,
            count,
        };
        match IdMap::from_ranges([range]) {
            Ok(_) => return Ok(range),
            Err(e) => skipped.push(format!("line {}: {e}", number + 1)),
        }
    }
    let skipped = if skipped.is_empty() {
        String::new()
    } else {
        format!(" (invalid entries passed over: {})", skipped.join("; "))
    };
    Err(Error::InvalidArgument {
        op: Op::IdMap,
        target: Target::Path(file.into()),
        reason: format!(
            "user {} (uid {owner_id}) has no valid subordinate ids in {file}{skipped}; add a \
             line such as `{}:100000:65536` (usermod --add-subuids/--add-subgids), or map only \
             your own id (map_root / -r)",
            name.unwrap_or("?"),
            name.unwrap_or(owner_id.as_str()),
        ),
    })
}

/// The user name of `uid` from a passwd-format file.
/// The name of `uid`: from `passwd`, else from NSS through `getent passwd UID` (a separate
/// process, so that no NSS module is loaded into the caller; the static build cannot load
/// them).
fn name_of(uid: u32, passwd: &str) -> Option<String> {
    let uid = uid.to_string();
    let find = |text: &str| {
        text.lines().find_map(|l| {
            let mut f = l.split(':');
            let name = f.next()?;
            let _pw = f.next()?;
            (f.next()? == uid).then(|| name.to_owned())
        })
    };
    if let Some(name) = std::fs::read_to_string(passwd)
        .ok()
        .as_deref()
        .and_then(find)
    {
        return Some(name);
    }
    let out = std::process::Command::new("getent")
        .args(["passwd", &uid])
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    find(&String::from_utf8_lossy(&out.stdout))
}

pub(crate) fn effective_ids() -> (u32, u32) {
    (
        rustix::process::geteuid().as_raw(),
        rustix::process::getegid().as_raw(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_invalid_first_entry_is_passed_over_and_named() {
        let text = "alice:100000:0\nbob:1:1\n1000:200000:65536\n";
        let r = first_valid_block(text, "/etc/subuid", 1000, Some("alice")).unwrap();
        assert_eq!((r.outside, r.count), (200_000, 65_536));
        let e = first_valid_block("alice:100000:0\n", "/etc/subuid", 1000, Some("alice"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("/etc/subuid") && e.contains("line 1"), "{e}");
        // Strict fields: no spaces, no sign.
        assert!(first_valid_block("alice: 5:10\n", "f", 1000, Some("alice")).is_err());
        assert!(first_valid_block("alice:+5:10\n", "f", 1000, Some("alice")).is_err());
    }
}
