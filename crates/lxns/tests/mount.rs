//! `lxns::mount`: trees cloned and created with the new mount API, their attributes
//! (`mount_setattr(2)`), idmapped mounts, and the `mount(2)` fallback when a filter answers
//! `ENOSYS` — each checked in the kernel's view (`/proc/thread-self/mountinfo`, `statvfs`,
//! `stat`, `EROFS`). Every test works in a private mount namespace of a thread of its own,
//! on a tmpfs it mounted there, so nothing is left mounted when the thread ends (even on a
//! failed assertion) and nothing depends on the filesystem of the temporary directory.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod common;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use common::{SyscallFilter, TempDir};
use lxns::mount::{Attributes, Tree};
use lxns::{Errno, IdMap, Kind, Op, Propagation, Reason};

/// Runs `f` on a new thread in a new, private mount namespace (discarded with the thread),
/// with a fresh tmpfs mounted on a new temporary directory, passed to `f`.
fn in_private_mounts<T: Send>(f: impl FnOnce(&Path) -> T + Send) -> T {
    let dir = TempDir::new("mount");
    let at = dir.path().to_path_buf();
    lxns::run_scoped(&[], move || {
        lxns::unshare_current_thread(Kind::Mnt).expect("unshare mnt");
        rustix::mount::mount_change(
            "/",
            rustix::mount::MountPropagationFlags::PRIVATE
                | rustix::mount::MountPropagationFlags::REC,
        )
        .expect("make / private");
        rustix::mount::mount(
            "tmpfs",
            &at,
            "tmpfs",
            rustix::mount::MountFlags::empty(),
            c"",
        )
        .expect("scratch tmpfs");
        f(&at)
    })
    .expect("run_scoped")
}

/// The `/proc/thread-self/mountinfo` line of the mount at `path`: (per-mount options,
/// filesystem type, super options).
fn mountinfo(path: &Path) -> (String, String, String) {
    let text = std::fs::read_to_string("/proc/thread-self/mountinfo").unwrap();
    let line = text
        .lines()
        .rfind(|l| l.split(' ').nth(4) == Some(path.to_str().unwrap()))
        .unwrap_or_else(|| panic!("{} is not a mount point:\n{text}", path.display()));
    let (left, right) = line.split_once(" - ").unwrap();
    let opts = left.split(' ').nth(5).unwrap().to_owned();
    let mut r = right.split(' ');
    let fstype = r.next().unwrap().to_owned();
    let sup = r.nth(1).unwrap_or("").to_owned();
    (opts, fstype, sup)
}

fn has_opt(opts: &str, want: &str) -> bool {
    opts.split(',').any(|o| o == want)
}

fn mkdir(path: &Path) -> PathBuf {
    std::fs::create_dir(path).unwrap();
    path.to_path_buf()
}

fn write_error(path: &Path) -> Option<i32> {
    std::fs::write(path, b"x")
        .err()
        .and_then(|e| e.raw_os_error())
}

/// tmpfs with a size and a mode, a read-only nosuid nodev noexec clone of it, and the clone
/// made writable again in place.
fn tmpfs_and_read_only_bind(scratch: &Path, expect_detached: bool) {
    let a = mkdir(&scratch.join("a"));
    let b = mkdir(&scratch.join("b"));
    let fs = Tree::filesystem("tmpfs", &[("size", "1m"), ("mode", "0710")]).unwrap();
    assert_eq!(fs.is_detached(), expect_detached, "{fs:?}");
    fs.attach(&a).unwrap();
    let (opts, fstype, sup) = mountinfo(&a);
    assert_eq!(fstype, "tmpfs");
    assert!(has_opt(&opts, "rw"), "{opts}");
    assert!(
        has_opt(&sup, "size=1024k") && has_opt(&sup, "mode=710"),
        "{sup}"
    );
    let st = rustix::fs::statvfs(&a).unwrap();
    assert_eq!(st.f_blocks * st.f_frsize, 1024 * 1024);
    assert_eq!(
        std::fs::metadata(&a).unwrap().permissions().mode() & 0o7777,
        0o710
    );
    std::fs::write(a.join("f"), b"data").unwrap();

    let mut clone = Tree::clone_of(&a, false).unwrap();
    assert_eq!(clone.is_detached(), expect_detached, "{clone:?}");
    let ro = Attributes::new()
        .read_only(true)
        .nosuid(true)
        .nodev(true)
        .noexec(true);
    clone.set_attributes(&ro, false).unwrap();
    clone.attach(&b).unwrap();
    let (opts, fstype, _) = mountinfo(&b);
    assert_eq!(fstype, "tmpfs");
    for o in ["ro", "nosuid", "nodev", "noexec"] {
        assert!(has_opt(&opts, o), "{o} missing in {opts}");
    }
    assert_eq!(std::fs::read(b.join("f")).unwrap(), b"data");
    assert_eq!(write_error(&b.join("f")), Some(libc::EROFS));
    assert_eq!(write_error(&b.join("new")), Some(libc::EROFS));
    // The original stays writable: the attributes are the clone's.
    std::fs::write(a.join("f"), b"more").unwrap();
    assert!(has_opt(&mountinfo(&a).0, "rw"));

    // In place: writable again, the other flags kept.
    lxns::mount::set_attributes(&b, &Attributes::new().read_only(false), false).unwrap();
    let (opts, _, _) = mountinfo(&b);
    assert!(
        has_opt(&opts, "rw") && has_opt(&opts, "nosuid") && has_opt(&opts, "noexec"),
        "{opts}"
    );
    std::fs::write(b.join("f"), b"back").unwrap();
    assert_eq!(std::fs::read(a.join("f")).unwrap(), b"back");
}

#[test]
fn tmpfs_with_size_and_mode_and_a_read_only_clone() {
    require_root!();
    in_private_mounts(|scratch| tmpfs_and_read_only_bind(scratch, true));
}

/// The mount syscalls of the new API, answering ENOSYS on this thread only: as before Linux
/// 5.2 (or under a container profile that blocks them).
fn without_new_mount_api() -> SyscallFilter {
    SyscallFilter::errno(&[
        (libc::SYS_open_tree, libc::ENOSYS),
        (libc::SYS_move_mount, libc::ENOSYS),
        (libc::SYS_fsopen, libc::ENOSYS),
        (libc::SYS_fsconfig, libc::ENOSYS),
        (libc::SYS_fsmount, libc::ENOSYS),
        (libc::SYS_mount_setattr, libc::ENOSYS),
    ])
}

#[test]
fn without_the_new_api_mount_2_gives_the_same_mounts() {
    require_root!();
    in_private_mounts(|scratch| {
        without_new_mount_api().install_on_this_thread().unwrap();
        // The filter is in force: the new API answers ENOSYS here.
        assert_eq!(
            rustix::mount::fsopen("tmpfs", rustix::mount::FsOpenFlags::FSOPEN_CLOEXEC).err(),
            Some(rustix::io::Errno::NOSYS)
        );
        tmpfs_and_read_only_bind(scratch, false);
    });
}

/// Recursive: a tree with a mount below its top, made read-only as a whole, with and
/// without `mount_setattr(2)`.
#[test]
fn recursive_attributes_reach_the_mounts_below() {
    require_root!();
    for filtered in [false, true] {
        in_private_mounts(|scratch| {
            if filtered {
                without_new_mount_api().install_on_this_thread().unwrap();
            }
            let top = mkdir(&scratch.join("top"));
            Tree::filesystem("tmpfs", &[])
                .unwrap()
                .attach(&top)
                .unwrap();
            let below = mkdir(&top.join("below"));
            Tree::filesystem("tmpfs", &[])
                .unwrap()
                .attach(&below)
                .unwrap();
            let view = mkdir(&scratch.join("view"));
            let mut clone = Tree::clone_of(&top, true).unwrap();
            clone
                .set_attributes(&Attributes::new().read_only(true), true)
                .unwrap();
            clone.attach(&view).unwrap();
            assert!(has_opt(&mountinfo(&view).0, "ro"), "{filtered}");
            assert!(
                has_opt(&mountinfo(&view.join("below")).0, "ro"),
                "{filtered}"
            );
            assert_eq!(write_error(&view.join("below/f")), Some(libc::EROFS));
            // Not recursive: only the top changes.
            lxns::mount::set_attributes(&view, &Attributes::new().read_only(false), false).unwrap();
            assert!(has_opt(&mountinfo(&view).0, "rw"), "{filtered}");
            assert!(
                has_opt(&mountinfo(&view.join("below")).0, "ro"),
                "{filtered}"
            );
            std::fs::write(view.join("f"), b"x").unwrap();
        });
    }
}

#[test]
fn propagation_is_set_on_a_tree_and_in_place() {
    require_root!();
    in_private_mounts(|scratch| {
        let a = mkdir(&scratch.join("a"));
        let mut fs = Tree::filesystem("tmpfs", &[]).unwrap();
        fs.set_attributes(&Attributes::new().propagation(Propagation::Shared), false)
            .unwrap();
        fs.attach(&a).unwrap();
        let optional = |p: &Path| -> String {
            let text = std::fs::read_to_string("/proc/thread-self/mountinfo").unwrap();
            let line = text
                .lines()
                .rfind(|l| l.split(' ').nth(4) == Some(p.to_str().unwrap()))
                .unwrap()
                .to_owned();
            line.split_once(" - ")
                .unwrap()
                .0
                .split(' ')
                .skip(6)
                .collect::<Vec<_>>()
                .join(" ")
        };
        assert!(optional(&a).starts_with("shared:"), "{}", optional(&a));
        lxns::mount::set_attributes(
            &a,
            &Attributes::new().propagation(Propagation::Private),
            false,
        )
        .unwrap();
        assert_eq!(optional(&a), "");
    });
}

/// A user namespace with uid and gid maps `0 1000 1`, held by a sleeping child.
struct MappedUserns {
    child: lxns::Child,
    ns: lxns::Namespace,
}

impl MappedUserns {
    fn new() -> MappedUserns {
        let mut child = lxns::Command::new("sleep")
            .arg("600")
            .uid_map(IdMap::single(0, 1000))
            .gid_map(IdMap::single(0, 1000))
            .spawn()
            .expect("spawn a child in a mapped user namespace");
        match child.namespace(Kind::User) {
            Ok(ns) => MappedUserns { child, ns },
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("{e}");
            }
        }
    }
}

impl Drop for MappedUserns {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An idmapped clone: ids are mapped from the inside of the user namespace to its outside,
/// so with `0 1000 1` a file owned by 0 on the filesystem shows as owned by 1000 through the
/// idmapped mount, and a file created there by (fs)uid 1000 is owned by 0 on the filesystem.
/// tmpfs supports idmapped mounts from Linux 6.3; before, the documented answer is EINVAL
/// with the hint.
#[test]
fn an_idmapped_clone_shows_and_creates_files_through_the_maps() {
    require_root!();
    let userns = MappedUserns::new();
    let ns = &userns.ns;
    in_private_mounts(|scratch| {
        let disk = mkdir(&scratch.join("disk"));
        Tree::filesystem("tmpfs", &[])
            .unwrap()
            .attach(&disk)
            .unwrap();
        std::fs::write(disk.join("root-owned"), b"x").unwrap();
        let mapped = mkdir(&scratch.join("mapped"));
        let mut clone = Tree::clone_of(&disk, false).unwrap();
        let set = clone.set_attributes(&Attributes::new().idmap(ns), false);
        if !lxns::kernel::Version::current().at_least(6, 3) {
            let err = set.unwrap_err();
            assert_eq!(err.errno(), Some(Errno::from_raw(libc::EINVAL)), "{err}");
            assert_eq!(err.op(), Op::SetMountAttributes);
            assert!(
                err.hint().unwrap().contains("tmpfs before Linux 6.3"),
                "{err:#}"
            );
            return;
        }
        set.unwrap();
        clone.attach(&mapped).unwrap();
        assert!(
            has_opt(&mountinfo(&mapped).0, "idmapped"),
            "{:?}",
            mountinfo(&mapped)
        );
        let seen = std::fs::metadata(mapped.join("root-owned")).unwrap();
        assert_eq!((seen.uid(), seen.gid()), (1000, 1000));
        let on_disk = std::fs::metadata(disk.join("root-owned")).unwrap();
        assert_eq!((on_disk.uid(), on_disk.gid()), (0, 0));
        // Created through the mapping by fsuid/fsgid 1000 (this thread only): owned by 0
        // on the filesystem. The mount's root is owned by 0, so shows as 1000: writable.
        rustix::thread::set_thread_res_gid(
            rustix::process::Gid::ROOT,
            rustix::process::Gid::from_raw(1000),
            rustix::process::Gid::ROOT,
        )
        .unwrap();
        rustix::thread::set_thread_res_uid(
            rustix::process::Uid::ROOT,
            rustix::process::Uid::from_raw(1000),
            rustix::process::Uid::ROOT,
        )
        .unwrap();
        std::fs::write(mapped.join("made-inside"), b"y").unwrap();
        rustix::thread::set_thread_res_uid(
            rustix::process::Uid::ROOT,
            rustix::process::Uid::ROOT,
            rustix::process::Uid::ROOT,
        )
        .unwrap();
        let made = std::fs::metadata(disk.join("made-inside")).unwrap();
        assert_eq!((made.uid(), made.gid()), (0, 0));
        let made_seen = std::fs::metadata(mapped.join("made-inside")).unwrap();
        assert_eq!((made_seen.uid(), made_seen.gid()), (1000, 1000));
        // A second idmapping of the same mount is refused: it is attached now.
        let err =
            lxns::mount::set_attributes(&mapped, &Attributes::new().idmap(ns), false).unwrap_err();
        assert!(
            matches!(err.reason(), Reason::InvalidArgument { .. }),
            "{err}"
        );
    });
}

#[test]
fn bad_input_is_named_and_mounts_nothing() {
    require_root!();
    in_private_mounts(|scratch| {
        let before = std::fs::read_to_string("/proc/thread-self/mountinfo").unwrap();
        // A missing source.
        let missing = scratch.join("no-such-dir");
        let err = Tree::clone_of(&missing, false).unwrap_err();
        assert_eq!(err.reason(), &Reason::NotFound);
        assert!(format!("{err}").contains("no-such-dir"), "{err}");
        // An idmap namespace that is not a user namespace.
        let net = lxns::Namespace::current(Kind::Net).unwrap();
        let mut clone = Tree::clone_of(scratch, false).unwrap();
        let err = clone
            .set_attributes(&Attributes::new().idmap(&net), false)
            .unwrap_err();
        assert!(
            matches!(err.reason(), Reason::WrongKind { found: Kind::Net }),
            "{err}"
        );
        // Attributes of something that is not a mount point.
        let plain = mkdir(&scratch.join("plain"));
        let err = lxns::mount::set_attributes(&plain, &Attributes::new().read_only(true), false)
            .unwrap_err();
        assert_eq!(err.errno(), Some(Errno::from_raw(libc::EINVAL)), "{err}");
        assert!(format!("{err}").contains("plain"), "{err}");
        // An unknown filesystem type and a bad option, each named.
        let err = Tree::filesystem("no-such-fs", &[]).unwrap_err();
        assert_eq!(err.errno(), Some(Errno::from_raw(libc::ENODEV)), "{err}");
        assert!(format!("{err}").contains("no-such-fs"), "{err}");
        let err = Tree::filesystem("tmpfs", &[("size", "lots")]).unwrap_err();
        assert!(format!("{err}").contains("size=lots"), "{err}");
        // A missing attach target.
        let tree = Tree::filesystem("tmpfs", &[]).unwrap();
        let err = tree.attach(scratch.join("nowhere")).unwrap_err();
        assert_eq!(err.reason(), &Reason::NotFound);
        drop(tree);
        let after = std::fs::read_to_string("/proc/thread-self/mountinfo").unwrap();
        assert_eq!(before, after, "nothing was mounted");
    });
}
