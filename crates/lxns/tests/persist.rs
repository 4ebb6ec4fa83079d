//! Persisting namespaces by bind mount: every kind, outliving every process, and each bad
//! path refused with nothing left behind. Checked against `/proc/self/mountinfo`.

// Tests fail by panicking.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod common;

use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;

use common::{NsGuard, TempDir, nsfs_mounts_under, target_with};
use lxns::Reason;
use lxns::{Kind, Namespace, Process};

/// Unmounts whatever a failed test left under `dir` before the TempDir removes it.
struct Unmounter(PathBuf);

impl Drop for Unmounter {
    fn drop(&mut self) {
        for m in nsfs_mounts_under(&self.0) {
            let _ = rustix::mount::unmount(m.as_str(), rustix::mount::UnmountFlags::DETACH);
        }
        let _ = rustix::mount::unmount(&self.0, rustix::mount::UnmountFlags::DETACH);
    }
}

#[test]
fn every_kind_outlives_its_processes_and_unpersists_cleanly() {
    let _g = NsGuard::new();
    require_root!();
    let dir = TempDir::new("persist");
    let _u = Unmounter(dir.path().to_path_buf());
    // A process in new namespaces of every kind (the pid namespace is its child's).
    let target = target_with(common::EVERY_KIND);
    let p = Process::open(target.pid()).unwrap();
    let mut ids = Vec::new();
    for (i, kind) in Kind::ALL.into_iter().enumerate() {
        let ns = match kind {
            Kind::Pid | Kind::Time => p.namespace_for_children(kind).unwrap(),
            _ => p.namespace(kind).unwrap(),
        };
        let path = dir.path().join(kind.proc_name());
        // Every other kind as on kernels before 5.2 (open_tree and move_mount fail with
        // ENOSYS on that thread): the classic bind mount of /proc/self/fd/N, onto the very
        // file lxns created.
        let result = if i % 2 == 1 {
            std::thread::scope(|s| {
                s.spawn(|| {
                    common::SyscallFilter::errno(&[
                        (libc::SYS_open_tree, libc::ENOSYS),
                        (libc::SYS_move_mount, libc::ENOSYS),
                    ])
                    .install_on_this_thread()
                    .unwrap();
                    ns.persist(&path)
                })
                .join()
                .unwrap()
            })
        } else {
            ns.persist(&path)
        };
        result.unwrap_or_else(|e| panic!("{kind}: {e}"));
        assert!(lxns::is_persisted(&path));
        assert_eq!(
            std::fs::metadata(&path).unwrap().ino(),
            ns.id().ino(),
            "{kind}"
        );
        ids.push((kind, path, ns.id()));
    }
    assert_eq!(nsfs_mounts_under(dir.path()).len(), 8);
    // Every process and handle gone: the mounts keep the namespaces.
    drop(p);
    drop(target);
    for (kind, path, id) in &ids {
        let again = Namespace::open_as(path, *kind).unwrap();
        assert_eq!(again.id(), *id, "{kind}");
    }
    for (_, path, _) in &ids {
        lxns::unpersist(path).unwrap();
        assert!(!path.exists());
    }
    assert!(nsfs_mounts_under(dir.path()).is_empty());
}

#[test]
fn bad_targets_are_refused_and_leave_nothing() {
    let _g = NsGuard::new();
    require_root!();
    let dir = TempDir::new("persist-bad");
    let _u = Unmounter(dir.path().to_path_buf());
    let ns = Namespace::new(Kind::Uts).unwrap();
    // An existing file: refused, and untouched.
    let existing = dir.path().join("existing");
    std::fs::write(&existing, b"keep me").unwrap();
    assert!(matches!(
        (ns.persist(&existing)).as_ref().map_err(|e| e.reason()),
        Err(Reason::AlreadyExists)
    ));
    assert_eq!(std::fs::read(&existing).unwrap(), b"keep me");
    // A symlink, dangling or not: refused, never followed.
    let link = dir.path().join("link");
    std::os::unix::fs::symlink(dir.path().join("elsewhere"), &link).unwrap();
    assert!(matches!(
        (ns.persist(&link)).as_ref().map_err(|e| e.reason()),
        Err(Reason::AlreadyExists)
    ));
    assert!(!dir.path().join("elsewhere").exists());
    // A directory, and a missing parent.
    assert!(matches!(
        (ns.persist(dir.path())).as_ref().map_err(|e| e.reason()),
        Err(Reason::AlreadyExists)
    ));
    assert!(matches!(
        (ns.persist(dir.path().join("no/such/dir")))
            .as_ref()
            .map_err(|e| e.reason()),
        Err(Reason::NotFound)
    ));
    // unpersist refuses what is not a namespace mount, and changes nothing.
    let err = lxns::unpersist(&existing).unwrap_err();
    assert!(
        matches!(err.reason(), Reason::NotNamespace { .. }),
        "{err:?}"
    );
    assert_eq!(std::fs::read(&existing).unwrap(), b"keep me");
    assert!(matches!(
        (lxns::unpersist(&link)).as_ref().map_err(|e| e.reason()),
        Err(Reason::NotNamespace { .. })
    ));
    assert!(matches!(
        (lxns::unpersist(dir.path().join("missing")))
            .as_ref()
            .map_err(|e| e.reason()),
        Err(Reason::NotFound)
    ));
    assert!(nsfs_mounts_under(dir.path()).is_empty());
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(names.len(), 2, "only the two files we made: {names:?}");
}

#[test]
fn a_mount_namespace_on_a_shared_mount_is_refused_with_the_way_out() {
    let _g = NsGuard::new();
    require_root!();
    use rustix::mount::{MountPropagationFlags as P, mount_bind, mount_change};
    let dir = TempDir::new("persist-shared");
    let _u = Unmounter(dir.path().to_path_buf());
    // Our own mount point, shared: a new mount namespace gets a peer of it.
    mount_bind(dir.path(), dir.path()).unwrap();
    mount_change(dir.path(), P::SHARED).unwrap();
    let mnt = Namespace::new(Kind::Mnt).unwrap();
    let path = dir.path().join("mnt");
    let err = mnt.persist(&path).unwrap_err();
    match err.reason() {
        Reason::InvalidArgument { why: reason, .. } => {
            assert!(reason.contains("private mount"), "{reason}");
        }
        other => panic!("expected InvalidArgument, got {other:?}"),
    }
    assert!(
        !path.exists(),
        "the file made for the mount is removed again"
    );
    // Private, it works.
    mount_change(dir.path(), P::PRIVATE).unwrap();
    let mnt = Namespace::new(Kind::Mnt).unwrap();
    mnt.persist(&path).unwrap();
    lxns::unpersist(&path).unwrap();
    assert!(!path.exists());
}

#[test]
fn registry_names_are_validated_before_anything_changes() {
    let _g = NsGuard::new();
    let dir = TempDir::new("reg-names");
    let reg = lxns::netns::Registry::at(dir.path().join("netns"));
    let long = "x".repeat(300);
    for bad in ["", ".", "..", "a/b", "../escape", long.as_str()] {
        let err = reg.add(bad).unwrap_err();
        assert!(
            matches!(err.reason(), Reason::InvalidArgument { .. }),
            "{bad:?}: {err:?}"
        );
        assert!(
            format!("{err:#}").contains("invalid network namespace name"),
            "{err}"
        );
        assert!(matches!(
            (reg.delete(bad)).as_ref().map_err(|e| e.reason()),
            Err(Reason::InvalidArgument { .. })
        ));
    }
    assert!(!dir.path().join("netns").exists(), "nothing was created");
}

/// The named-netns test guard (CNI testutils' NewNS/UnmountNS): a unique registered netns,
/// gone after the drop — also when the test panics — and `Registry::at`'s bind of its
/// directory, undone by `unmount_dir` once no name is left (refused while one is).
#[test]
fn a_scratch_netns_is_removed_on_drop_even_on_panic_and_the_registry_mount_is_undoable() {
    require_root!();
    let _s = common::serial();
    let dir = TempDir::new("scratch-reg");
    let reg = lxns::netns::Registry::at(dir.path());
    let kept = lxns::netns::Scratch::new(&reg, "kept").unwrap();
    assert!(
        common::is_mount_point(dir.path()),
        "the first add binds the directory"
    );
    let path = std::panic::catch_unwind(|| {
        let ns = lxns::netns::Scratch::new(&reg, "panics").unwrap();
        assert!(lxns::is_persisted(ns.path()));
        let p = ns.path().to_owned();
        std::panic::panic_any(p);
    })
    .unwrap_err()
    .downcast::<PathBuf>()
    .unwrap();
    assert!(!path.exists(), "removed during the unwind");
    // A second one has another name; the kept one is listed by its name.
    let other = lxns::netns::Scratch::new(&reg, "kept").unwrap();
    assert_ne!(other.name(), kept.name());
    let names: Vec<_> = reg.list().unwrap().into_iter().map(|e| e.name).collect();
    assert!(names.iter().any(|n| n == kept.name()), "{names:?}");
    drop(other);
    // While a name is registered, the directory's mount stays.
    let err = reg.unmount_dir().unwrap_err();
    assert!(matches!(err.reason(), Reason::Busy), "{err:#}");
    drop(kept);
    assert!(nsfs_mounts_under(dir.path()).is_empty());
    assert!(reg.unmount_dir().unwrap(), "there was a mount to take away");
    assert!(!common::is_mount_point(dir.path()));
    assert!(!reg.unmount_dir().unwrap(), "nothing left to undo");
}
