//! The eight namespace kinds and sets of them, derived from one table.
//!
//! Every per-kind fact lxns uses — the `CLONE_NEW*` bit, the `/proc/PID/ns/<name>` link, the
//! `*_for_children` link, the `/proc/sys/user/max_*_namespaces` sysctl and the pidfd ioctl
//! that hands out a process's namespace — lives in [`TABLE`] below and nowhere else.

use std::fmt;
use std::str::FromStr;

#[cfg(test)]
use crate::error::Reason;
use crate::error::{Error, Op, Target};

/// A kind of Linux namespace, named as the kernel names it in `/proc/PID/ns`.
///
/// The variants are the names that `lsns`, `nsenter` and `/proc` use, so `Kind::Mnt` is the
/// mount namespace (`CLONE_NEWNS`) and `Kind::Uts` the host and domain name namespace.
///
/// ```
/// use lxns::Kind;
/// let k: Kind = "net".parse()?;
/// assert_eq!(k, Kind::Net);
/// assert_eq!(k.to_string(), "net");
/// assert_eq!(k.clone_flag(), 0x4000_0000); // CLONE_NEWNET
/// assert_eq!("mount".parse::<Kind>()?, Kind::Mnt); // long names are accepted too
/// # Ok::<(), lxns::Error>(())
/// ```
///
/// # References
///  - [namespaces(7)](https://man7.org/linux/man-pages/man7/namespaces.7.html)
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Kind {
    /// Cgroup root directory (`CLONE_NEWCGROUP`, since Linux 4.6).
    #[doc(alias = "CLONE_NEWCGROUP")]
    Cgroup,
    /// System V IPC and POSIX message queues (`CLONE_NEWIPC`).
    #[doc(alias = "CLONE_NEWIPC")]
    Ipc,
    /// Mount points (`CLONE_NEWNS`).
    #[doc(alias = "CLONE_NEWNS")]
    #[doc(alias = "mount")]
    Mnt,
    /// Network devices, stacks, ports (`CLONE_NEWNET`).
    #[doc(alias = "CLONE_NEWNET")]
    #[doc(alias = "network")]
    Net,
    /// Process IDs (`CLONE_NEWPID`). Entering one only affects children created afterwards.
    #[doc(alias = "CLONE_NEWPID")]
    Pid,
    /// Boot and monotonic clocks (`CLONE_NEWTIME`, since Linux 5.6). Affects children only.
    #[doc(alias = "CLONE_NEWTIME")]
    Time,
    /// User and group IDs and capabilities (`CLONE_NEWUSER`).
    #[doc(alias = "CLONE_NEWUSER")]
    User,
    /// Hostname and NIS domain name (`CLONE_NEWUTS`).
    #[doc(alias = "CLONE_NEWUTS")]
    Uts,
}

/// One row of the kind table.
#[derive(Debug)]
pub(crate) struct KindInfo {
    pub(crate) kind: Kind,
    /// The `CLONE_NEW*` bit (also what `NS_GET_NSTYPE` returns).
    pub(crate) flag: u32,
    /// The link name in `/proc/PID/ns/`.
    pub(crate) proc_name: &'static str,
    /// The `*_for_children` link, for kinds whose unshare/setns only affects children.
    pub(crate) for_children: Option<&'static str>,
    /// The long name used in messages and accepted by `FromStr`.
    pub(crate) long_name: &'static str,
    /// `PIDFD_GET_<KIND>_NAMESPACE` = `_IO(0xFF, nr)` (linux/pidfd.h, since 6.11).
    pub(crate) pidfd_nr: u8,
    /// `PIDFD_GET_<KIND>_FOR_CHILDREN_NAMESPACE`, where one exists.
    pub(crate) pidfd_for_children_nr: Option<u8>,
    /// The first kernel version with this kind, for "unsupported" hints.
    pub(crate) since: &'static str,
}

// The CLONE_NEW* values are part of the kernel ABI (linux/sched.h).
const CLONE_NEWTIME: u32 = 0x0000_0080;
const CLONE_NEWNS: u32 = 0x0002_0000;
const CLONE_NEWCGROUP: u32 = 0x0200_0000;
const CLONE_NEWUTS: u32 = 0x0400_0000;
const CLONE_NEWIPC: u32 = 0x0800_0000;
const CLONE_NEWUSER: u32 = 0x1000_0000;
const CLONE_NEWPID: u32 = 0x2000_0000;
const CLONE_NEWNET: u32 = 0x4000_0000;

/// THE table. Ordered like [`Kind`]'s variants, so `TABLE[kind as usize]` is `kind`'s row.
pub(crate) const TABLE: [KindInfo; 8] = [
    KindInfo {
        kind: Kind::Cgroup,
        flag: CLONE_NEWCGROUP,
        proc_name: "cgroup",
        for_children: None,
        long_name: "cgroup",
        pidfd_nr: 1,
        pidfd_for_children_nr: None,
        since: "4.6",
    },
    KindInfo {
        kind: Kind::Ipc,
        flag: CLONE_NEWIPC,
        proc_name: "ipc",
        for_children: None,
        long_name: "ipc",
        pidfd_nr: 2,
        pidfd_for_children_nr: None,
        since: "3.0",
    },
    KindInfo {
        kind: Kind::Mnt,
        flag: CLONE_NEWNS,
        proc_name: "mnt",
        for_children: None,
        long_name: "mount",
        pidfd_nr: 3,
        pidfd_for_children_nr: None,
        since: "3.8",
    },
    KindInfo {
        kind: Kind::Net,
        flag: CLONE_NEWNET,
        proc_name: "net",
        for_children: None,
        long_name: "network",
        pidfd_nr: 4,
        pidfd_for_children_nr: None,
        since: "3.0",
    },
    KindInfo {
        kind: Kind::Pid,
        flag: CLONE_NEWPID,
        proc_name: "pid",
        for_children: Some("pid_for_children"),
        long_name: "pid",
        pidfd_nr: 5,
        pidfd_for_children_nr: Some(6),
        since: "3.8",
    },
    KindInfo {
        kind: Kind::Time,
        flag: CLONE_NEWTIME,
        proc_name: "time",
        for_children: Some("time_for_children"),
        long_name: "time",
        pidfd_nr: 7,
        pidfd_for_children_nr: Some(8),
        since: "5.6",
    },
    KindInfo {
        kind: Kind::User,
        flag: CLONE_NEWUSER,
        proc_name: "user",
        for_children: None,
        long_name: "user",
        pidfd_nr: 9,
        pidfd_for_children_nr: None,
        since: "3.8",
    },
    KindInfo {
        kind: Kind::Uts,
        flag: CLONE_NEWUTS,
        proc_name: "uts",
        for_children: None,
        long_name: "uts",
        pidfd_nr: 10,
        pidfd_for_children_nr: None,
        since: "3.0",
    },
];

impl Kind {
    /// All eight kinds, in alphabetical order, like `/proc/PID/ns`.
    pub const ALL: [Kind; 8] = [
        Kind::Cgroup,
        Kind::Ipc,
        Kind::Mnt,
        Kind::Net,
        Kind::Pid,
        Kind::Time,
        Kind::User,
        Kind::Uts,
    ];

    pub(crate) const fn info(self) -> &'static KindInfo {
        &TABLE[self as usize]
    }

    /// The `CLONE_NEW*` bit of this kind, as `clone(2)`, `unshare(2)`, `setns(2)` and
    /// `NS_GET_NSTYPE` use it.
    pub const fn clone_flag(self) -> u32 {
        self.info().flag
    }

    /// The kind whose `CLONE_NEW*` bit is exactly `flag`, if any.
    ///
    /// ```
    /// assert_eq!(lxns::Kind::from_clone_flag(0x2000_0000), Some(lxns::Kind::Pid));
    /// assert_eq!(lxns::Kind::from_clone_flag(0x100), None); // CLONE_VM is no namespace
    /// ```
    pub fn from_clone_flag(flag: u32) -> Option<Kind> {
        TABLE
            .iter()
            .find(|row| row.flag == flag)
            .map(|row| row.kind)
    }

    /// The link name under `/proc/PID/ns/` (`"net"`, `"mnt"`, …).
    pub const fn proc_name(self) -> &'static str {
        self.info().proc_name
    }

    /// The `*_for_children` link name (`pid_for_children`, `time_for_children`) for the two
    /// kinds that a process does not enter itself when it unshares or joins them.
    pub const fn for_children_name(self) -> Option<&'static str> {
        self.info().for_children
    }

    /// The sysctl that limits how many namespaces of this kind a user may create:
    /// `/proc/sys/user/max_<kind>_namespaces` (the kernel spells mnt as `mnt`).
    ///
    /// ```
    /// assert_eq!(lxns::Kind::Net.limit_path(), "/proc/sys/user/max_net_namespaces");
    /// ```
    pub fn limit_path(self) -> String {
        format!("/proc/sys/user/max_{}_namespaces", self.proc_name())
    }

    /// A longer human name (`"network"`, `"mount"`), used in messages.
    pub const fn long_name(self) -> &'static str {
        self.info().long_name
    }

    /// Whether the kernel keeps a parent relation for this kind (`NS_GET_PARENT` works only on
    /// user and pid namespaces).
    pub const fn is_hierarchical(self) -> bool {
        matches!(self, Kind::User | Kind::Pid)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.proc_name())
    }
}

impl FromStr for Kind {
    type Err = Error;

    /// Parses the `/proc/PID/ns` name (`net`), the long name (`network`), the
    /// `CLONE_NEW*` suffix (`newnet`, `ns`) or the unshare(1) long option (`mount`),
    /// case-insensitively.
    fn from_str(s: &str) -> Result<Kind, Error> {
        let lower = s.trim().to_ascii_lowercase();
        let bare = lower
            .strip_prefix("clone_new")
            .or_else(|| lower.strip_prefix("new"))
            .unwrap_or(&lower);
        TABLE
            .iter()
            .find(|row| bare == row.proc_name || bare == row.long_name)
            .map(|row| row.kind)
            .or(match bare {
                "ns" => Some(Kind::Mnt),
                _ => None,
            })
            .ok_or_else(|| {
                Error::invalid_argument(
                    Op::Parse,
                    Target::Text(s.to_owned()),
                    "not a namespace kind; expected one of cgroup, ipc, mnt, net, pid, \
                         time, user, uts"
                        .into(),
                )
            })
    }
}

/// A set of namespace kinds: a bit set over the `CLONE_NEW*` flags.
///
/// Iteration yields kinds in the order of [`Kind::ALL`]; [`JoinPlan`](crate::JoinPlan) gives
/// the order in which `setns(2)` calls are made.
///
/// ```
/// use lxns::{Kind, KindSet};
/// let set: KindSet = "net,uts,ipc".parse()?;
/// assert!(set.contains(Kind::Net));
/// assert_eq!(set.len(), 3);
/// assert_eq!(set.to_string(), "ipc,net,uts");
/// assert_eq!(set.bits(), 0x4000_0000 | 0x0400_0000 | 0x0800_0000);
/// assert_eq!(KindSet::from_bits(set.bits()), Some(set));
/// # Ok::<(), lxns::Error>(())
/// ```
#[derive(Copy, Clone, Default, PartialEq, Eq, Hash)]
pub struct KindSet(u32);

impl KindSet {
    /// The empty set.
    pub const EMPTY: KindSet = KindSet(0);

    /// Every kind.
    pub const ALL: KindSet = {
        let mut bits = 0;
        let mut i = 0;
        while i < TABLE.len() {
            bits |= TABLE[i].flag;
            i += 1;
        }
        KindSet(bits)
    };

    /// A set with one kind.
    pub const fn of(kind: Kind) -> KindSet {
        KindSet(kind.clone_flag())
    }

    /// The set with exactly these `CLONE_NEW*` bits, or `None` if `bits` has any other bit
    /// (such as `CLONE_FILES` or `CLONE_VM`) set.
    pub const fn from_bits(bits: u32) -> Option<KindSet> {
        if bits & !KindSet::ALL.0 == 0 {
            Some(KindSet(bits))
        } else {
            None
        }
    }

    /// The `CLONE_NEW*` bits of the set.
    pub const fn bits(self) -> u32 {
        self.0
    }

    /// Whether `kind` is in the set.
    pub const fn contains(self, kind: Kind) -> bool {
        self.0 & kind.clone_flag() != 0
    }

    /// The set with `kind` added.
    #[must_use]
    pub const fn with(self, kind: Kind) -> KindSet {
        KindSet(self.0 | kind.clone_flag())
    }

    /// The set with `kind` removed.
    #[must_use]
    pub const fn without(self, kind: Kind) -> KindSet {
        KindSet(self.0 & !kind.clone_flag())
    }

    /// Adds `kind`.
    pub fn insert(&mut self, kind: Kind) {
        self.0 |= kind.clone_flag();
    }

    /// Removes `kind`.
    pub fn remove(&mut self, kind: Kind) {
        self.0 &= !kind.clone_flag();
    }

    /// Whether the set is empty.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The number of kinds in the set.
    pub const fn len(self) -> usize {
        self.0.count_ones() as usize
    }

    /// The kinds in the set, in the order of [`Kind::ALL`].
    pub fn iter(self) -> Iter {
        Iter { set: self, next: 0 }
    }
}

impl fmt::Debug for KindSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl fmt::Display for KindSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, k) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            f.write_str(k.proc_name())?;
        }
        Ok(())
    }
}

impl FromStr for KindSet {
    type Err = Error;

    /// Parses a comma-separated list of kinds (`"net,uts"`), or `"all"`.
    fn from_str(s: &str) -> Result<KindSet, Error> {
        if s.trim().eq_ignore_ascii_case("all") {
            return Ok(KindSet::ALL);
        }
        s.split(',')
            .filter(|p| !p.trim().is_empty())
            .map(str::parse::<Kind>)
            .collect()
    }
}

impl From<Kind> for KindSet {
    fn from(kind: Kind) -> KindSet {
        KindSet::of(kind)
    }
}

impl FromIterator<Kind> for KindSet {
    fn from_iter<I: IntoIterator<Item = Kind>>(iter: I) -> KindSet {
        iter.into_iter().fold(KindSet::EMPTY, KindSet::with)
    }
}

impl Extend<Kind> for KindSet {
    fn extend<I: IntoIterator<Item = Kind>>(&mut self, iter: I) {
        for k in iter {
            self.insert(k);
        }
    }
}

impl IntoIterator for KindSet {
    type Item = Kind;
    type IntoIter = Iter;

    fn into_iter(self) -> Iter {
        self.iter()
    }
}

/// Iterator over the kinds of a [`KindSet`], in the order of [`Kind::ALL`].
#[derive(Clone, Debug)]
pub struct Iter {
    set: KindSet,
    next: usize,
}

impl Iterator for Iter {
    type Item = Kind;

    fn next(&mut self) -> Option<Kind> {
        while let Some(&kind) = Kind::ALL.get(self.next) {
            self.next += 1;
            if self.set.contains(kind) {
                return Some(kind);
            }
        }
        None
    }
}

impl std::ops::BitOr for KindSet {
    type Output = KindSet;
    fn bitor(self, rhs: KindSet) -> KindSet {
        KindSet(self.0 | rhs.0)
    }
}

impl std::ops::BitOr<Kind> for KindSet {
    type Output = KindSet;
    fn bitor(self, rhs: Kind) -> KindSet {
        self.with(rhs)
    }
}

impl std::ops::BitOr for Kind {
    type Output = KindSet;
    fn bitor(self, rhs: Kind) -> KindSet {
        KindSet::of(self).with(rhs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_indexed_by_variant() {
        for (i, row) in TABLE.iter().enumerate() {
            assert_eq!(row.kind as usize, i, "row {i} out of order");
            assert_eq!(Kind::ALL[i], row.kind);
        }
    }

    #[test]
    fn flags_are_distinct_single_bits() {
        let mut seen = 0u32;
        for row in &TABLE {
            assert_eq!(row.flag.count_ones(), 1, "{}", row.proc_name);
            assert_eq!(seen & row.flag, 0);
            seen |= row.flag;
        }
        assert_eq!(KindSet::ALL.bits(), seen);
        assert_eq!(KindSet::ALL.len(), 8);
    }

    #[test]
    fn parse_every_spelling() {
        for k in Kind::ALL {
            assert_eq!(k.proc_name().parse::<Kind>().ok(), Some(k));
            assert_eq!(k.long_name().parse::<Kind>().ok(), Some(k));
            let upper = format!("CLONE_NEW{}", k.proc_name().to_uppercase());
            if k != Kind::Mnt {
                assert_eq!(upper.parse::<Kind>().ok(), Some(k), "{upper}");
            }
            assert_eq!(Kind::from_clone_flag(k.clone_flag()), Some(k));
        }
        assert_eq!("CLONE_NEWNS".parse::<Kind>().ok(), Some(Kind::Mnt));
        for bad in ["", "netns", "nets", "all", "1", "\u{0}", "ne t"] {
            let err = bad.parse::<Kind>().unwrap_err();
            assert!(
                matches!(err.reason(), Reason::InvalidArgument { .. }),
                "{bad:?}"
            );
            assert!(err.to_string().contains("not a namespace kind"));
        }
    }

    #[test]
    fn kindset_ops() {
        let s = Kind::Net | Kind::Uts;
        assert_eq!(s.to_string(), "net,uts");
        assert!(s.contains(Kind::Net) && !s.contains(Kind::User));
        assert_eq!(s.without(Kind::Net), KindSet::of(Kind::Uts));
        assert_eq!("all".parse::<KindSet>().ok(), Some(KindSet::ALL));
        assert_eq!("".parse::<KindSet>().ok(), Some(KindSet::EMPTY));
        assert!("net,bogus".parse::<KindSet>().is_err());
        assert_eq!(KindSet::from_bits(0x100), None); // CLONE_VM
        assert_eq!(s.into_iter().count(), 2);
    }

    #[test]
    fn limit_paths() {
        assert_eq!(Kind::Mnt.limit_path(), "/proc/sys/user/max_mnt_namespaces");
        assert_eq!(
            Kind::Cgroup.limit_path(),
            "/proc/sys/user/max_cgroup_namespaces"
        );
    }
}
