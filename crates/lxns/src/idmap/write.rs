//! Writing a child's id maps: directly, or through the setuid helpers `newuidmap` and
//! `newgidmap` for subordinate ids (`/etc/subuid`, `/etc/subgid`).

use std::path::{Path, PathBuf};

use super::{IdMap, IdRange, MapKind, Setgroups, write_id_map, write_setgroups};
use crate::error::{Errno, Error, Op, Result, Target};
use crate::kind::Kind;

/// How an id map is written.
///
/// ```no_run
/// // Rootless, with ranges from /etc/subuid: always through newuidmap/newgidmap.
/// let mut cmd = lxns::Command::new("id");
/// cmd.unshare(lxns::Kind::User)
///     .uid_map("0 100000 65536".parse()?)
///     .gid_map("0 100000 65536".parse()?)
///     .map_writer(lxns::MapWriter::Helper);
/// # Ok::<(), lxns::Error>(())
/// ```
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

    /// Whether these are maps a process may write for itself into a user namespace it is
    /// in: one line of its own effective uid, and of its own effective gid with `setgroups`
    /// denied (user_namespaces(7)). Absent maps are no obstacle.
    pub(crate) fn own_ids_only(&self, euid: u32, egid: u32) -> bool {
        self.uid.is_none_or(|m| maps_only(m, euid))
            && self.gid.is_none_or(|m| maps_only(m, egid))
            && (self.gid.is_none() || self.setgroups == Some(Setgroups::Deny))
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
    Error::unsupported(
        Op::WriteIdMap,
        Some(Kind::User),
        format!(
            "{} is not installed (the uidmap package): it maps subordinate ids for an \
             unprivileged caller",
            helper_name(which)
        ),
        None,
    )
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
    // The helper's refusal: no errno of the kernel's to keep, its words instead.
    Err(Error::permission_denied(
        Op::WriteIdMap,
        Some(Kind::User),
        Target::Command(format!(
            "{name} {pid} {} ({}: {stderr})",
            map.ranges()
                .iter()
                .map(|r| format!("{} {} {}", r.inside, r.outside, r.count))
                .collect::<Vec<_>>()
                .join(" "),
            out.status
        )),
        Errno::from_raw(1),
        None,
    )
    .with_errno(None))
}

/// The first block of subordinate ids the caller (by effective uid, or its user name) owns,
/// as a range with `inside` 0 — what `unshare --map-users=auto` maps. The first of
/// [`subordinate_id_blocks`].
///
/// # Errors
/// As [`subordinate_id_blocks`].
///
/// # Examples
///
/// ```no_run
/// // Needs a line for the caller in /etc/subuid (or an NSS subid provider).
/// let block = lxns::subordinate_ids(lxns::MapKind::Uid)?;
/// assert_eq!(block.inside, 0);
/// # Ok::<(), lxns::Error>(())
/// ```
///
/// # References
///  - [subuid(5)](https://man7.org/linux/man-pages/man5/subuid.5.html),
///    [newuidmap(1)](https://man7.org/linux/man-pages/man1/newuidmap.1.html)
pub fn subordinate_ids(which: MapKind) -> Result<IdRange> {
    let mut blocks = subordinate_id_blocks(which)?;
    Ok(blocks.remove(0))
}

/// Every block of subordinate ids the caller (by effective uid, or its user name) owns, in
/// the order they are listed, laid out one after another from `inside` 0 — ready for one
/// [`IdMap`]. Read from `/etc/subuid` ([`MapKind::Uid`]) or `/etc/subgid`
/// ([`MapKind::Gid`]); when the file has no valid entry of the caller's, shadow's
/// `getsubids(1)` is asked, which also answers from an NSS `subid:` provider (libsubid)
/// — run as a separate process, so no NSS module is loaded into the caller.
///
/// # Errors
/// [`Reason::InvalidArgument`](crate::Reason::InvalidArgument) naming the file, with the line to add, when neither the file
/// nor `getsubids` has a valid block of the caller's.
///
/// # Examples
///
/// ```no_run
/// let blocks = lxns::subordinate_id_blocks(lxns::MapKind::Uid)?;
/// let map = lxns::IdMap::from_ranges(blocks)?;
/// # let _ = map;
/// # Ok::<(), lxns::Error>(())
/// ```
///
/// # References
///  - [subuid(5)](https://man7.org/linux/man-pages/man5/subuid.5.html),
///    [getsubids(1)](https://man7.org/linux/man-pages/man1/getsubids.1.html)
pub fn subordinate_id_blocks(which: MapKind) -> Result<Vec<IdRange>> {
    let file = match which {
        MapKind::Uid => "/etc/subuid",
        MapKind::Gid => "/etc/subgid",
    };
    // Both files are keyed by the user's name or uid (subgid too).
    let euid = rustix::process::geteuid().as_raw();
    let name = name_of(euid, "/etc/passwd");
    let text = std::fs::read_to_string(file).unwrap_or_default();
    match valid_blocks(&text, file, euid, name.as_deref()) {
        Ok(blocks) => Ok(blocks),
        Err(e) => {
            let asked = name
                .as_deref()
                .map(|n| getsubids(which, n))
                .unwrap_or_default();
            let text: String = asked
                .iter()
                .map(|(start, count)| format!("{euid}:{start}:{count}\n"))
                .collect();
            valid_blocks(&text, file, euid, None).map_err(|_| e)
        }
    }
}

/// `getsubids [-g] NAME`'s blocks (`N: NAME START COUNT` lines); none when it is missing or
/// fails.
fn getsubids(which: MapKind, name: &str) -> Vec<(u32, u32)> {
    let mut c = std::process::Command::new("getsubids");
    if which == MapKind::Gid {
        c.arg("-g");
    }
    let Ok(out) = c
        .arg(name)
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
    else {
        return Vec::new();
    };
    if !out.status.success() {
        return Vec::new();
    }
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| {
            let mut f = line.split_whitespace();
            let (_index, owner) = (f.next()?, f.next()?);
            (owner == name).then_some(())?;
            Some((f.next()?.parse().ok()?, f.next()?.parse().ok()?))
        })
        .collect()
}

/// The first valid block of `uid`'s (or `name`'s) in subuid-format `text` (`inside` 0).
#[cfg(test)]
pub(crate) fn first_valid_block(
    text: &str,
    file: &str,
    uid: u32,
    name: Option<&str>,
) -> Result<IdRange> {
    valid_blocks(text, file, uid, name).map(|mut b| b.remove(0))
}

/// Every valid block of `uid`'s (or `name`'s) in subuid-format `text`, laid out from
/// `inside` 0 in order; at least one. Invalid entries of the user's (count 0, past the
/// largest id, not numbers, overlapping an earlier one) are passed over, as shadow's own
/// readers do, and named in the error when no valid one is found.
pub(crate) fn valid_blocks(
    text: &str,
    file: &str,
    uid: u32,
    name: Option<&str>,
) -> Result<Vec<IdRange>> {
    let owner_id = uid.to_string();
    let mut skipped = Vec::new();
    let mut blocks: Vec<IdRange> = Vec::new();
    let mut next_inside: u32 = 0;
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
            inside: next_inside,
            outside,
            count,
        };
        let mut candidate = blocks.clone();
        candidate.push(range);
        match IdMap::from_ranges(candidate) {
            Ok(_) => {
                blocks.push(range);
                // A block ending at the top of the id space leaves no room for more.
                match next_inside.checked_add(count) {
                    Some(n) => next_inside = n,
                    None => break,
                }
            }
            Err(e) => skipped.push(format!("line {}: {e}", number + 1)),
        }
    }
    if !blocks.is_empty() {
        return Ok(blocks);
    }
    let skipped = if skipped.is_empty() {
        String::new()
    } else {
        format!(" (invalid entries passed over: {})", skipped.join("; "))
    };
    Err(Error::invalid_argument(
        Op::IdMap,
        Target::Path(file.into()),
        format!(
            "user {} (uid {owner_id}) has no valid subordinate ids in {file}{skipped}; add a \
             line such as `{}:100000:65536` (usermod --add-subuids/--add-subgids), or map only \
             your own id (map_root / -r)",
            name.unwrap_or("?"),
            name.unwrap_or(owner_id.as_str()),
        ),
    ))
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

    #[test]
    fn every_block_is_laid_out_from_zero_in_order() {
        let text = "alice:100000:65536\nbob:1:1\n1000:300000:1000\nalice:100000:5\n";
        let blocks = valid_blocks(text, "/etc/subuid", 1000, Some("alice")).unwrap();
        let got: Vec<_> = blocks
            .iter()
            .map(|r| (r.inside, r.outside, r.count))
            .collect();
        // The last line overlaps the first outside and is passed over.
        assert_eq!(got, [(0, 100_000, 65_536), (65_536, 300_000, 1000)]);
    }
}
