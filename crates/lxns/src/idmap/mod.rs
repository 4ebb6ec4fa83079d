//! User and group id maps of user namespaces (`/proc/PID/uid_map`, `gid_map`, `setgroups`).
//!
//! An [`IdMap`] is a list of [`IdRange`]s. It parses the kernel's format (`inside outside
//! count` per line) and the command-line forms of unshare(1), validates what the kernel would
//! refuse (zero counts, ranges past 2³², overlaps on either side, more than 340 lines)
//! before anything is written, and writes a map to a process.
//!
//! ```
//! use lxns::{IdMap, IdRange};
//! let map: IdMap = "0 100000 65536".parse()?;
//! assert_eq!(map.ranges(), &[IdRange { inside: 0, outside: 100000, count: 65536 }]);
//! assert_eq!(map.to_outside(1000), Some(101000));
//! assert!("0 0 1\n0 5 1".parse::<IdMap>().is_err()); // inside ranges overlap
//! // unshare(1) 2.38's --map-users=outer,inner,count; newer ones write inner:outer:count.
//! assert_eq!(IdRange::parse_cli("100000,0,65536")?, IdRange::parse_cli("0:100000:65536")?);
//! # Ok::<(), lxns::Error>(())
//! ```
//!
//! # References
//!  - [user_namespaces(7)](https://man7.org/linux/man-pages/man7/user_namespaces.7.html),
//!    "User and group ID mappings: uid_map and gid_map"

use std::fmt;
use std::str::FromStr;

use crate::error::{Errno, Error, Op, Result, Target};

mod write;

#[cfg(fuzzing)]
pub(crate) use write::valid_blocks;
pub use write::{MapWriter, subordinate_id_blocks, subordinate_ids};
pub(crate) use write::{Maps, effective_ids, write_maps};

/// The kernel's limit on lines in `uid_map`/`gid_map` (since Linux 4.15).
pub(crate) const MAX_LINES: usize = 340;

/// The kernel takes a map in one write of less than a page (`count >= PAGE_SIZE` is EINVAL).
const MAX_TEXT: usize = 4096;

/// `count` ids starting at `inside` in the user namespace, and at `outside` in its parent.
///
/// ```
/// let r = lxns::IdRange { inside: 0, outside: 100_000, count: 65_536 };
/// let map = lxns::IdMap::single_range(r);
/// assert_eq!(map.to_string(), "0 100000 65536\n");
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct IdRange {
    /// The first id inside the namespace.
    pub inside: u32,
    /// The first id in the parent namespace.
    pub outside: u32,
    /// How many ids (at least 1).
    pub count: u32,
}

fn invalid(text: &str, reason: impl Into<String>) -> Error {
    Error::invalid_argument(Op::IdMap, Target::Text(text.to_owned()), reason.into())
}

fn number(text: &str, field: &str, what: &str) -> Result<u32> {
    field.trim().parse::<u32>().map_err(|_| {
        invalid(
            text,
            format!("{what} {field:?} is not an id (0 to 4294967295)"),
        )
    })
}

impl IdRange {
    /// One id: `inside` maps to `outside`.
    ///
    /// ```
    /// assert_eq!(lxns::IdRange::single(0, 1000).count, 1);
    /// ```
    pub const fn single(inside: u32, outside: u32) -> IdRange {
        IdRange {
            inside,
            outside,
            count: 1,
        }
    }

    /// Parses the command-line forms: `outer,inner,count` (util-linux 2.38's
    /// `--map-users`) or `inner:outer:count` (util-linux 2.39 and later).
    ///
    /// # Errors
    /// [`Reason::InvalidArgument`](crate::Reason::InvalidArgument) for anything else, or a range that is invalid on its own.
    ///
    /// ```
    /// let old = lxns::IdRange::parse_cli("100000,0,65536")?; // outer,inner,count (2.38)
    /// let new = lxns::IdRange::parse_cli("0:100000:65536")?; // inner:outer:count (2.39+)
    /// assert_eq!(old, new);
    /// assert!(lxns::IdRange::parse_cli("0-100000-1").is_err());
    /// # Ok::<(), lxns::Error>(())
    /// ```
    pub fn parse_cli(spec: &str) -> Result<IdRange> {
        let (sep, outer_first) = if spec.contains(',') {
            (',', true)
        } else {
            (':', false)
        };
        let parts: Vec<&str> = spec.split(sep).collect();
        let [a, b, c] = parts.as_slice() else {
            return Err(invalid(
                spec,
                "expected outer,inner,count (or inner:outer:count)",
            ));
        };
        let (outside, inside) = if outer_first { (a, b) } else { (b, a) };
        let range = IdRange {
            inside: number(spec, inside, "inner id")?,
            outside: number(spec, outside, "outer id")?,
            count: number(spec, c, "count")?,
        };
        range.check(spec)?;
        Ok(range)
    }

    fn check(&self, text: &str) -> Result<()> {
        if self.count == 0 {
            return Err(invalid(text, "a range must map at least one id (count 0)"));
        }
        // user_namespaces(7) / map_write(): id 4294967295 ((uid_t) -1) is never mapped, and
        // `first + count` must not wrap, so a range ends at 4294967294 at most.
        if self.inside == u32::MAX || self.outside == u32::MAX {
            return Err(invalid(
                text,
                "id 4294967295 is (uid_t)-1, which the kernel never maps",
            ));
        }
        let end = |first: u32| u64::from(first) + u64::from(self.count);
        if end(self.inside) > u64::from(u32::MAX) || end(self.outside) > u64::from(u32::MAX) {
            return Err(invalid(
                text,
                "the range runs past the largest mappable id (4294967294)",
            ));
        }
        Ok(())
    }

    fn overlaps(a: (u32, u32), b: (u32, u32)) -> bool {
        let (a0, a1) = (u64::from(a.0), u64::from(a.0) + u64::from(a.1));
        let (b0, b1) = (u64::from(b.0), u64::from(b.0) + u64::from(b.1));
        a0 < b1 && b0 < a1
    }
}

/// A user namespace's id map: the contents of `/proc/PID/uid_map` or `gid_map`.
///
/// ```
/// let map: lxns::IdMap = "0 1000 1\n1 100000 65535".parse()?; // the kernel's format
/// assert_eq!(map.to_outside(0), Some(1000));
/// assert_eq!(map.to_inside(100_001), Some(2));
/// # Ok::<(), lxns::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IdMap {
    ranges: Vec<IdRange>,
}

impl IdMap {
    /// An empty map (no id is mapped).
    ///
    /// ```
    /// let mut map = lxns::IdMap::new();
    /// assert!(map.is_empty());
    /// map.push(lxns::IdRange::single(0, 1000))?;
    /// # Ok::<(), lxns::Error>(())
    /// ```
    pub fn new() -> IdMap {
        IdMap::default()
    }

    /// A map of one range (not validated until used).
    ///
    /// ```
    /// let map = lxns::IdMap::single_range(lxns::IdRange { inside: 0, outside: 100_000, count: 10 });
    /// assert_eq!(map.ranges().len(), 1);
    /// ```
    pub fn single_range(range: IdRange) -> IdMap {
        IdMap {
            ranges: vec![range],
        }
    }

    /// A map of the given ranges, validated.
    ///
    /// # Errors
    /// As for [`validate`](IdMap::validate).
    ///
    /// ```
    /// use lxns::{IdMap, IdRange};
    /// let ok = IdMap::from_ranges([IdRange::single(0, 1000), IdRange { inside: 1, outside: 100_000, count: 100 }]);
    /// assert!(ok.is_ok());
    /// let overlap = IdMap::from_ranges([IdRange::single(0, 1000), IdRange::single(0, 2000)]);
    /// assert!(overlap.is_err()); // 0 inside twice: the kernel would refuse it too
    /// ```
    pub fn from_ranges(ranges: impl IntoIterator<Item = IdRange>) -> Result<IdMap> {
        let map = IdMap {
            ranges: ranges.into_iter().collect(),
        };
        map.validate()?;
        Ok(map)
    }

    /// Maps one id: `inside` in the namespace is `outside` in its parent.
    ///
    /// ```
    /// assert_eq!(lxns::IdMap::single(0, 1000).to_string(), "0 1000 1\n");
    /// ```
    pub fn single(inside: u32, outside: u32) -> IdMap {
        IdMap {
            ranges: vec![IdRange::single(inside, outside)],
        }
    }

    /// Adds a range, keeping the map valid.
    ///
    /// # Errors
    /// As for [`validate`](IdMap::validate); the map is unchanged then.
    ///
    /// ```
    /// let mut map = lxns::IdMap::single(0, 1000);
    /// map.push(lxns::IdRange { inside: 1, outside: 100_000, count: 65_535 })?;
    /// assert!(map.push(lxns::IdRange::single(0, 5)).is_err()); // overlaps inside
    /// # Ok::<(), lxns::Error>(())
    /// ```
    pub fn push(&mut self, range: IdRange) -> Result<()> {
        self.ranges.push(range);
        if let Err(e) = self.validate() {
            self.ranges.pop();
            return Err(e);
        }
        Ok(())
    }

    /// The ranges, in order.
    ///
    /// ```
    /// let map = lxns::IdMap::single(0, 1000);
    /// assert_eq!(map.ranges(), &[lxns::IdRange::single(0, 1000)]);
    /// ```
    pub fn ranges(&self) -> &[IdRange] {
        &self.ranges
    }

    /// Whether nothing is mapped.
    ///
    /// ```
    /// assert!(lxns::IdMap::new().is_empty());
    /// assert!(!lxns::IdMap::single(0, 0).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// Checks what the kernel checks when the map is written: every count at least 1, no
    /// range starting at or running past id 4294967295 (`(uid_t)-1`), no two ranges
    /// overlapping inside or outside, at most 340 lines (the kernel's limit since Linux
    /// 4.15), and less than one page (4096 bytes) of text.
    ///
    /// # Errors
    /// [`Reason::InvalidArgument`](crate::Reason::InvalidArgument) naming the offending range.
    ///
    /// ```
    /// assert!(lxns::IdMap::single(0, 1000).validate().is_ok());
    /// ```
    pub fn validate(&self) -> Result<()> {
        if self.ranges.len() > MAX_LINES {
            return Err(invalid(
                &format!("{} lines", self.ranges.len()),
                format!("the kernel accepts at most {MAX_LINES} lines in an id map"),
            ));
        }
        let bytes = self.to_string().len();
        if bytes >= MAX_TEXT {
            return Err(invalid(
                &format!("{} lines, {bytes} bytes", self.ranges.len()),
                format!(
                    "the kernel takes an id map of less than {MAX_TEXT} bytes (one write of under a page)"
                ),
            ));
        }
        for (i, r) in self.ranges.iter().enumerate() {
            let text = format!("{} {} {}", r.inside, r.outside, r.count);
            r.check(&text)?;
            for other in self.ranges.iter().take(i) {
                if IdRange::overlaps((r.inside, r.count), (other.inside, other.count)) {
                    return Err(invalid(
                        &text,
                        "overlaps another range inside the namespace",
                    ));
                }
                if IdRange::overlaps((r.outside, r.count), (other.outside, other.count)) {
                    return Err(invalid(
                        &text,
                        "overlaps another range outside the namespace",
                    ));
                }
            }
        }
        Ok(())
    }

    /// The parent-namespace id of `inside`, if it is mapped.
    ///
    /// ```
    /// let map: lxns::IdMap = "0 100000 65536".parse()?;
    /// assert_eq!(map.to_outside(5), Some(100_005));
    /// assert_eq!(map.to_outside(70_000), None);
    /// # Ok::<(), lxns::Error>(())
    /// ```
    pub fn to_outside(&self, inside: u32) -> Option<u32> {
        self.ranges.iter().find_map(|r| {
            let off = inside.checked_sub(r.inside)?;
            if off < r.count {
                r.outside.checked_add(off)
            } else {
                None
            }
        })
    }

    /// The namespace id of parent-namespace id `outside`, if it is mapped.
    ///
    /// ```
    /// let map: lxns::IdMap = "0 100000 65536".parse()?;
    /// assert_eq!(map.to_inside(100_005), Some(5));
    /// assert_eq!(map.to_inside(5), None);
    /// # Ok::<(), lxns::Error>(())
    /// ```
    pub fn to_inside(&self, outside: u32) -> Option<u32> {
        self.ranges.iter().find_map(|r| {
            let off = outside.checked_sub(r.outside)?;
            if off < r.count {
                r.inside.checked_add(off)
            } else {
                None
            }
        })
    }
}

impl FromStr for IdMap {
    type Err = Error;

    /// Parses the kernel's format: one `inside outside count` per line (any whitespace, as
    /// `/proc/PID/uid_map` pads it), blank lines ignored, then validates.
    fn from_str(text: &str) -> Result<IdMap> {
        let mut ranges = Vec::new();
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let [a, b, c] = fields.as_slice() else {
                return Err(invalid(
                    line,
                    "expected three numbers: inside outside count",
                ));
            };
            ranges.push(IdRange {
                inside: number(line, a, "inside id")?,
                outside: number(line, b, "outside id")?,
                count: number(line, c, "count")?,
            });
        }
        IdMap::from_ranges(ranges)
    }
}

impl fmt::Display for IdMap {
    /// The kernel's format, one range per line, as written to `/proc/PID/uid_map`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for r in &self.ranges {
            writeln!(f, "{} {} {}", r.inside, r.outside, r.count)?;
        }
        Ok(())
    }
}

/// Whether a process in a user namespace may call `setgroups(2)`: what
/// `/proc/PID/setgroups` holds.
///
/// ```no_run
/// // As `unshare -U --setgroups=deny`: required before an unprivileged gid_map.
/// let child = lxns::Command::new("true").unshare(lxns::Kind::User).setgroups(lxns::Setgroups::Deny).spawn()?;
/// # drop(child);
/// # Ok::<(), lxns::Error>(())
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Setgroups {
    /// `allow` (the default when the parent allows it).
    Allow,
    /// `deny`: required before an unprivileged process may write `gid_map`.
    Deny,
}

impl Setgroups {
    /// The word `/proc/PID/setgroups` takes.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Setgroups::Allow => "allow",
            Setgroups::Deny => "deny",
        }
    }
}

/// Which map to write.
///
/// ```
/// let uids = lxns::read_id_map(0, lxns::MapKind::Uid)?;  // /proc/self/uid_map
/// let gids = lxns::read_id_map(0, lxns::MapKind::Gid)?;  // /proc/self/gid_map
/// assert!(!uids.is_empty() && !gids.is_empty());
/// # Ok::<(), lxns::Error>(())
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum MapKind {
    /// `/proc/PID/uid_map`.
    Uid,
    /// `/proc/PID/gid_map`.
    Gid,
}

impl MapKind {
    pub(crate) fn file(self) -> &'static str {
        match self {
            MapKind::Uid => "uid_map",
            MapKind::Gid => "gid_map",
        }
    }
}

/// Writes `map` to `/proc/PID/uid_map` or `gid_map` of a process whose user namespace has no
/// map yet. The write is one `write(2)`, as the kernel requires. Pid `0` is the calling
/// process (`/proc/self`); [`Process::write_id_map`](crate::Process::write_id_map) writes
/// through a pidfd, safe against pid reuse.
///
/// ```no_run
/// // In a child that unshared its user namespace: map root inside to our uid outside.
/// let map: lxns::IdMap = "0 1000 1".parse()?;
/// lxns::write_id_map(4242, lxns::MapKind::Uid, &map)?;
/// # Ok::<(), lxns::Error>(())
/// ```
///
/// # Errors
///  - [`Reason::InvalidArgument`](crate::Reason::InvalidArgument) for an empty or invalid map (nothing is written).
///  - [`Reason::PermissionDenied`](crate::Reason::PermissionDenied) when the kernel refuses. The hint says why: a map can be
///    written once; an unprivileged writer may map only its own id, and for `gid_map` only
///    after writing `deny` to `setgroups`; other ids need `newuidmap`/`newgidmap` and
///    `/etc/subuid`/`/etc/subgid`.
///  - [`Reason::ProcessGone`](crate::Reason::ProcessGone) when the process has exited.
pub fn write_id_map(pid: i32, which: MapKind, map: &IdMap) -> Result<()> {
    write_id_map_path(pid, &proc_file(pid, which.file()), map)
}

/// [`write_id_map`] to `path` (a `/proc/PID/*_map` file, or one reached through a directory
/// fd).
pub(crate) fn write_id_map_path(pid: i32, path: &str, map: &IdMap) -> Result<()> {
    let path = path.to_owned();
    if map.is_empty() {
        return Err(invalid(
            &path,
            "an empty map maps nothing and cannot be written",
        ));
    }
    map.validate()?;
    write_proc(pid, &path, &map.to_string(), Op::WriteIdMap)
}

/// The map of `/proc/PID/uid_map` or `gid_map` (empty for a user namespace whose map is not
/// written yet). Process `0` means the calling process (`/proc/self`, as Haskell
/// `linux-namespaces`' `Nothing` does); [`Process::read_id_map`](crate::Process::read_id_map)
/// reads through a pidfd, safe against pid reuse.
///
/// ```
/// let map = lxns::read_id_map(0, lxns::MapKind::Uid)?;
/// // The initial user namespace maps every id onto itself.
/// # if lxns::Namespace::current(lxns::Kind::User)?.parent().is_err() {
/// assert_eq!(map.to_outside(1000), Some(1000));
/// # }
/// # Ok::<(), lxns::Error>(())
/// ```
///
/// # Errors
///  - [`Reason::ProcessGone`](crate::Reason::ProcessGone) when the process has exited.
///  - [`Reason::InvalidArgument`](crate::Reason::InvalidArgument) should the kernel's text not
///    parse.
pub fn read_id_map(pid: i32, which: MapKind) -> Result<IdMap> {
    let path = if pid == 0 {
        format!("/proc/self/{}", which.file())
    } else {
        format!("/proc/{pid}/{}", which.file())
    };
    let text = std::fs::read_to_string(&path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => {
            Error::process_gone(Op::ReadIdMap, Some(crate::Kind::User), pid)
        }
        _ => Error::from_io(Op::ReadIdMap, Target::Path(path.clone().into()), &e)
            .with_kind(Some(crate::Kind::User)),
    })?;
    parse_kernel_map(&text)
}

/// The kernel's map text: possibly empty.
pub(crate) fn parse_kernel_map(text: &str) -> Result<IdMap> {
    if text.trim().is_empty() {
        return Ok(IdMap::new());
    }
    text.parse()
}

/// Writes `allow` or `deny` to `/proc/PID/setgroups` (before `gid_map` is written); pid `0`
/// is the calling process.
///
/// ```no_run
/// lxns::write_setgroups(0, lxns::Setgroups::Deny)?;
/// # Ok::<(), lxns::Error>(())
/// ```
///
/// # Errors
/// As for [`write_id_map`].
pub fn write_setgroups(pid: i32, value: Setgroups) -> Result<()> {
    write_setgroups_path(pid, &proc_file(pid, "setgroups"), value)
}

/// [`write_setgroups`] to `path`.
pub(crate) fn write_setgroups_path(pid: i32, path: &str, value: Setgroups) -> Result<()> {
    write_proc(pid, path, value.as_str(), Op::WriteIdMap)
}

/// `/proc/PID/NAME`, or `/proc/self/NAME` for pid 0.
fn proc_file(pid: i32, name: &str) -> String {
    if pid == 0 {
        format!("/proc/self/{name}")
    } else {
        format!("/proc/{pid}/{name}")
    }
}

fn write_proc(pid: i32, path: &str, text: &str, op: Op) -> Result<()> {
    std::fs::write(path, text).map_err(|e| {
        let errno = Errno::from_io(&e).unwrap_or(Errno::from_raw(5));
        write_error(pid, path, errno, op)
    })
}

/// The error for writing `setgroups`, `uid_map` or `gid_map` of process `pid` at `path`
/// (by the parent, or by the child for itself) that failed with `errno`.
pub(crate) fn write_error(pid: i32, path: &str, errno: Errno, op: Op) -> Error {
    match errno.raw() {
        libc::ENOENT | libc::ESRCH => Error::process_gone(op, Some(crate::Kind::User), pid),
        libc::EPERM | libc::EACCES => Error::permission_denied(
            op,
            Some(crate::Kind::User),
            Target::Path(path.into()),
            errno,
            None,
        ),
        libc::EINVAL => invalid(
            path,
            "the kernel refused the map (EINVAL): it may already be written, or a range is \
             not mapped in the writer's own user namespace",
        ),
        _ => Error::os(
            op,
            Some(crate::Kind::User),
            Target::Path(path.into()),
            errno,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What map_write() refuses is refused here, before any process exists.
    #[test]
    fn maps_the_kernel_refuses_fail_validation() {
        let one = |inside, outside, count| {
            IdMap::from_ranges([IdRange {
                inside,
                outside,
                count,
            }])
        };
        assert!(one(u32::MAX, 0, 1).is_err(), "starts at (uid_t)-1 inside");
        assert!(one(0, u32::MAX, 1).is_err(), "starts at (uid_t)-1 outside");
        assert!(one(0, u32::MAX - 9, 10).is_err(), "ends exactly at 2^32");
        assert!(
            one(u32::MAX - 9, 0, 10).is_err(),
            "ends exactly at 2^32 inside"
        );
        assert!(one(0, u32::MAX - 10, 10).is_ok(), "ends at 4294967294");
        // 340 lines of long numbers are more than a page of text.
        let ranges = (0..300u32).map(|i| IdRange {
            inside: 1_000_000_000 + i * 10,
            outside: 3_000_000_000 + i * 10,
            count: 10,
        });
        let e = IdMap::from_ranges(ranges).unwrap_err();
        assert!(e.to_string().contains("4096 bytes"), "{e}");
    }

    #[test]
    fn translation_never_overflows_on_an_unvalidated_map() {
        // Built without validation (push checks; a struct literal in a Vec does not).
        let map = IdMap {
            ranges: vec![IdRange {
                inside: 0,
                outside: u32::MAX - 1,
                count: 10,
            }],
        };
        assert_eq!(map.to_outside(1), Some(u32::MAX));
        assert_eq!(map.to_outside(5), None);
        let map = IdMap {
            ranges: vec![IdRange {
                inside: u32::MAX - 1,
                outside: 0,
                count: 10,
            }],
        };
        assert_eq!(map.to_inside(5), None);
    }

    #[test]
    fn parses_the_kernel_format_with_padding() {
        let text = "         0     100000      65536\n     65536          0          1\n";
        let map: IdMap = text.parse().unwrap();
        assert_eq!(
            map.ranges(),
            &[
                IdRange {
                    inside: 0,
                    outside: 100_000,
                    count: 65536
                },
                IdRange {
                    inside: 65536,
                    outside: 0,
                    count: 1
                }
            ]
        );
        assert_eq!(map.to_string(), "0 100000 65536\n65536 0 1\n");
        assert_eq!(map.to_outside(65535), Some(165_535));
        assert_eq!(map.to_outside(65537), None);
        assert_eq!(map.to_inside(0), Some(65536));
        assert_eq!(map.to_inside(99_999), None);
    }

    #[test]
    fn rejects_what_the_kernel_rejects() {
        for (bad, why) in [
            ("0 0 0", "count 0"),
            ("4294967295 0 2", "(uid_t)-1"),
            ("0 4294967295 1", "(uid_t)-1"),
            ("4294967294 0 2", "past the largest mappable id"),
            ("0 0 10\n5 100 1", "inside"),
            ("0 0 10\n100 5 1", "outside"),
            ("0 0", "three numbers"),
            ("a b c", "not an id"),
            ("-1 0 1", "not an id"),
            ("0 0 1 1", "three numbers"),
        ] {
            let err = bad.parse::<IdMap>().unwrap_err();
            assert!(err.to_string().contains(why), "{bad:?}: {err}");
        }
        // The top mappable id is fine; (uid_t)-1 is not (map_write() in the kernel).
        assert!("4294967294 4294967294 1".parse::<IdMap>().is_ok());
        assert!("4294967295 4294967295 1".parse::<IdMap>().is_err());
        // 340 lines are fine, 341 are not.
        let lines: String = (0..341u32).map(|i| format!("{i} {i} 1\n")).collect();
        let first340: String = lines.lines().take(340).map(|l| format!("{l}\n")).collect();
        assert!(first340.parse::<IdMap>().is_ok());
        assert!(
            lines
                .parse::<IdMap>()
                .unwrap_err()
                .to_string()
                .contains("340")
        );
    }

    #[test]
    fn cli_forms() {
        let r = IdRange::parse_cli("100000,0,65536").unwrap();
        assert_eq!(
            r,
            IdRange {
                inside: 0,
                outside: 100_000,
                count: 65536
            }
        );
        assert_eq!(IdRange::parse_cli("0:100000:65536").unwrap(), r);
        for bad in ["", "1,2", "1:2:3:4", "a,b,c", "0,0,0", "1,4294967295,2"] {
            assert!(IdRange::parse_cli(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn push_keeps_the_map_valid() {
        let mut map = IdMap::single(0, 1000);
        assert!(map.push(IdRange::single(0, 2000)).is_err());
        assert_eq!(map.ranges().len(), 1);
        map.push(IdRange {
            inside: 1,
            outside: 100_000,
            count: 10,
        })
        .unwrap();
        assert_eq!(map.ranges().len(), 2);
    }
}
