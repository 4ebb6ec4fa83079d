//! The network-namespace helpers of Go CNI's `pkg/ns`, with the same meanings and without its
//! thread hazard: [`current_netns`] (`GetCurrentNS`), [`get_netns`] (`GetNS`),
//! [`is_netns`] (`IsNSorErr`), [`temp_netns`] (`TempNetNS`), [`with_netns_path`]
//! (`WithNetNSPath`), and [`Namespace::run`] for `NetNS.Do`.
//!
//! | CNI `pkg/ns` | lxns |
//! |---|---|
//! | `GetCurrentNS()` | [`current_netns`]`()` |
//! | `GetNS(path)` | [`get_netns`]`(path)` |
//! | `IsNSorErr(path)`: `NSPathNotExistErr` / `NSPathNotNSErr` | [`is_netns`]: [`Reason::NotFound`](crate::Reason::NotFound) / [`Reason::NotNamespace`](crate::Reason::NotNamespace) ([`Reason::WrongKind`](crate::Reason::WrongKind) for another kind) |
//! | `TempNetNS()` + `Close()` | [`temp_netns`]`()`, dropped |
//! | `netns.Do(func(hostNS) error)` | [`Namespace::run`]`(closure)` (capture a [`current_netns`] handle for the host) |
//! | `WithNetNSPath(path, f)` | [`with_netns_path`]`(path, f)` |

use std::path::Path;

#[cfg(doc)]
use crate::error::Error;
use crate::error::Result;
use crate::kind::Kind;
use crate::namespace::Namespace;

/// The calling thread's network namespace (`/proc/thread-self/ns/net`).
///
/// # Errors
/// As for [`Namespace::current`].
///
/// ```
/// let here = lxns::cni::current_netns()?;
/// assert_eq!(here.kind(), lxns::Kind::Net);
/// # Ok::<(), lxns::Error>(())
/// ```
#[doc(alias = "GetCurrentNS")]
pub fn current_netns() -> Result<Namespace> {
    Namespace::current(Kind::Net)
}

/// Opens a network namespace by path (`/run/netns/NAME`, `/proc/PID/ns/net`, a bind mount).
///
/// # Errors
///  - [`Reason::NotFound`](crate::Reason::NotFound) when the path does not exist (CNI's `NSPathNotExistErr`).
///  - [`Reason::NotNamespace`](crate::Reason::NotNamespace) when it is not a namespace file (CNI's `NSPathNotNSErr`).
///  - [`Reason::WrongKind`](crate::Reason::WrongKind) when it is a namespace of another kind.
///
/// ```
/// let ns = lxns::cni::get_netns("/proc/self/ns/net")?;
/// assert_eq!(ns.path(), Some(std::path::Path::new("/proc/self/ns/net"))); // NetNS.Path()
/// let e = lxns::cni::get_netns("/proc/self/ns/uts").unwrap_err();
/// assert!(matches!(e.reason(), lxns::Reason::WrongKind { .. }));
/// # Ok::<(), lxns::Error>(())
/// ```
#[doc(alias = "GetNS")]
pub fn get_netns(path: impl AsRef<Path>) -> Result<Namespace> {
    Namespace::open_as(path, Kind::Net)
}

/// Checks that `path` is a network namespace file, with CNI's distinct errors.
///
/// # Errors
/// As for [`get_netns`].
///
/// ```
/// assert!(lxns::cni::is_netns("/proc/self/ns/net").is_ok());
/// let e = lxns::cni::is_netns("/nonexistent").unwrap_err();
/// assert!(matches!(e.reason(), lxns::Reason::NotFound)); // NSPathNotExistErr
/// let e = lxns::cni::is_netns("/proc/self/status").unwrap_err();
/// assert!(matches!(e.reason(), lxns::Reason::NotNamespace { .. })); // NSPathNotNSErr
/// ```
#[doc(alias = "IsNSorErr")]
pub fn is_netns(path: impl AsRef<Path>) -> Result<()> {
    get_netns(path).map(drop)
}

/// A new, unnamed network namespace, freed when the handle (and every process or thread in
/// it) is gone. No thread of the caller enters it.
///
/// # Errors
/// As for [`Namespace::new`]: [`Reason::PermissionDenied`](crate::Reason::PermissionDenied) without `CAP_SYS_ADMIN`.
///
/// ```
/// # if !rustix::process::geteuid().is_root() { return Ok(()); }
/// let tmp = lxns::cni::temp_netns()?;
/// assert_ne!(tmp, lxns::cni::current_netns()?);
/// # Ok::<(), lxns::Error>(())
/// ```
#[doc(alias = "TempNetNS")]
pub fn temp_netns() -> Result<Namespace> {
    Namespace::new(Kind::Net)
}

/// Runs `f` inside the network namespace at `path`, on a helper thread ([`crate::run`]).
///
/// Inside, sockets made by `f` and `/proc/thread-self/net/*` are the namespace's; `/sys`
/// is **not**: sysfs shows the namespace of whoever mounted it (a link only in the target
/// namespace is missing from `/sys/class/net` there). Read `/proc/thread-self/net`, or ask
/// over a (netlink) socket made in `f` — see [`recipes`](crate::recipes).
///
/// ```
/// # if !rustix::process::geteuid().is_root() { return Ok(()); }
/// # let tmp = std::env::temp_dir().join(format!("lxns-doc-wnp-{}", std::process::id()));
/// # std::fs::create_dir_all(&tmp).unwrap();
/// # let reg = lxns::netns::Registry::at(&tmp);
/// let blue = lxns::netns::Scratch::new(&reg, "blue")?; // /…/lxns-PID-N-blue
/// let dev = lxns::cni::with_netns_path(blue.path(), || {
///     std::fs::read_to_string("/proc/thread-self/net/dev")
/// })?;
/// assert!(dev.unwrap().contains("lo:"));
/// # drop(blue); reg.unmount_dir()?; std::fs::remove_dir(&tmp).unwrap();
/// # Ok::<(), lxns::Error>(())
/// ```
///
/// # Errors
/// As for [`get_netns`] and [`crate::run`].
#[doc(alias = "WithNetNSPath")]
pub fn with_netns_path<T, F>(path: impl AsRef<Path>, f: F) -> Result<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let ns = get_netns(path)?;
    ns.run(f)
}
