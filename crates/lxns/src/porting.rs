//! Porting notes: the calls of other namespace libraries and their lxns form.
//!
//! Two differences matter everywhere:
//!
//! - **Process or thread.** "Self" in python-lxns (`from_self()`), Haskell's `Nothing` and
//!   CPython mean the process (`/proc/self`); [`Namespace::current`](crate::Namespace::current)
//!   means the calling *thread* (`/proc/thread-self`). For the process, use
//!   [`Process::current`](crate::Process::current) and
//!   [`Process::namespace`](crate::Process::namespace). In a single-threaded program they are
//!   the same.
//! - **Moving threads.** Their `setns`/`unshare` move the calling thread and leave it there;
//!   lxns's do only in functions named `…_current_thread`. To run code in a namespace without
//!   moving any thread of yours, use [`run`](crate::run) or a [`Worker`](crate::Worker).
//!
//! ## python-lxns (`lxns.namespaces`, `lxns.os`)
//!
//! | python-lxns | lxns |
//! |---|---|
//! | `NetworkNamespace.from_pid(pid)` | [`Namespace::of_process`](crate::Namespace::of_process)`(pid, Kind::Net)` |
//! | `NetworkNamespace.from_self()` | [`Process::current`](crate::Process::current)`()?.namespace(Kind::Net)` |
//! | `NetworkNamespace(path)` | [`Namespace::open_as`](crate::Namespace::open_as)`(path, Kind::Net)` |
//! | `ns.fileno()` | [`AsFd::as_fd`](std::os::fd::AsFd::as_fd) / [`Namespace::into_fd`](crate::Namespace::into_fd) |
//! | `ns.setns()` | [`Namespace::enter_current_thread`](crate::Namespace::enter_current_thread) |
//! | `ns.get_user_namespace()` | [`Namespace::user_namespace`](crate::Namespace::user_namespace) |
//! | `ns.ns_id` / `get_current_ns_id()` | [`Namespace::id`](crate::Namespace::id)`().ino()`; the 64-bit [`Namespace::ns_id`](crate::Namespace::ns_id) |
//! | `NetworkNamespace.unshare()` | [`Namespace::unshare_current_thread`](crate::Namespace::unshare_current_thread)`(Kind::Net)` |
//! | `unshare_namespaces([...])` | [`unshare_current_thread`](crate::unshare_current_thread)`(Kind::Net \| Kind::Uts)` |
//! | `get_current_limit()` / `set_current_limit(n)` | [`limit`](crate::limit)`(kind)` / [`set_limit`](crate::set_limit)`(kind, n)` |
//! | `ns.close()`, `with ns:` | drop the [`Namespace`](crate::Namespace) |
//! | `lxns.os.setns(fd, nstype)` | [`setns_current_thread`](crate::setns_current_thread)`(fd, Some(kind))` |
//! | `lxns.os.unshare(flags)` | [`unshare_current_thread`](crate::unshare_current_thread)`(`[`KindSet::from_bits`](crate::KindSet)`)` |
//! | `lxns.os.ns_get_userns`, `ns_get_parent`, `ns_get_nstype`, `ns_get_owner_uid` | [`user_namespace`](crate::Namespace::user_namespace), [`parent`](crate::Namespace::parent), [`kind`](crate::Namespace::kind), [`owner_uid`](crate::Namespace::owner_uid) |
//! | `OSError(errno)` | [`Error::raw_os_error`](crate::Error::raw_os_error), [`Error::reason`](crate::Error::reason) |
//! | `NetworkNamespace(fd)` (a raw fd kept by the caller) | [`Namespace::identify_fd`](crate::Namespace::identify_fd)`(fd)` (checks, takes nothing), [`Namespace::from_borrowed_fd`](crate::Namespace::from_borrowed_fd) (a duplicate of its own) |
//! | `lxns.mount.ClonedTree(path)` | [`mount::Tree::clone_of`](crate::mount::Tree::clone_of)`(path, false)` |
//! | `tree.mount(path)` | [`mount::Tree::attach`](crate::mount::Tree::attach)`(path)` |
//! | `lxns.os.open_tree(path=p, flags=OPEN_TREE_CLONE)` | [`mount::Tree::clone_of`](crate::mount::Tree::clone_of)`(p, recursive)` (`AT_RECURSIVE`) |
//! | `lxns.os.move_mount(fd, to_path=p, flags=MOVE_MOUNT_F_EMPTY_PATH)` | [`mount::Tree::attach`](crate::mount::Tree::attach)`(p)` |
//!
//! The Python package of this repository (`crates/lxns-py`, distribution `lxns-rs`) *is*
//! python-lxns's API, natively, over these functions: code written for python-lxns runs
//! unchanged.
//!
//! ## bubblewrap (`bwrap`)
//!
//! `lxns sandbox` takes bwrap's command line (OPTIONS.md lists every option); in Rust the
//! same sandbox is a [`Command`](crate::Command) with [`FsOp`](crate::FsOp)s, applied in
//! order on a fresh tmpfs root that the child `pivot_root`s into:
//!
//! | bwrap | lxns |
//! |---|---|
//! | `--unshare-user`, `--unshare-pid`, … `--unshare-all` | [`Command::unshare`](crate::Command::unshare)`(KindSet)` |
//! | `--uid U --gid G` (with `--unshare-user`) | [`Command::map_user_as`](crate::Command::map_user_as)`(U, G)` |
//! | `--userns FD`, `--pidns FD` | [`Command::join`](crate::Command::join)`(&ns)` |
//! | `--bind`, `--ro-bind`, `--dev-bind` (`-try`) | [`FsOp::bind`](crate::FsOp::bind), [`ro_bind`](crate::FsOp::ro_bind), [`dev_bind`](crate::FsOp::dev_bind) ([`.optional()`](crate::FsOp::optional)) |
//! | `--bind-fd`, `--ro-bind-fd` | [`FsOp::bind_fd`](crate::FsOp::bind_fd) |
//! | `--tmpfs` (`--size`, `--perms`), `--proc`, `--dev`, `--mqueue` | [`FsOp::tmpfs`](crate::FsOp::tmpfs) ([`.size`](crate::FsOp::size), [`.mode`](crate::FsOp::mode)), [`proc`](crate::FsOp::proc), [`dev`](crate::FsOp::dev), [`mqueue`](crate::FsOp::mqueue) |
//! | `--dir`, `--symlink`, `--chmod`, `--remount-ro` | [`FsOp::dir`](crate::FsOp::dir), [`symlink`](crate::FsOp::symlink), [`chmod`](crate::FsOp::chmod), [`remount_read_only`](crate::FsOp::remount_read_only) |
//! | `--overlay-src L --overlay U W D`, `--tmp-overlay D`, `--ro-overlay D` | [`FsOp::overlay`](crate::FsOp::overlay)`([L], U, W, D)`, [`tmp_overlay`](crate::FsOp::tmp_overlay), [`ro_overlay`](crate::FsOp::ro_overlay) |
//! | `--file`, `--bind-data`, `--ro-bind-data` | [`FsOp::file`](crate::FsOp::file), [`bind_data`](crate::FsOp::bind_data) (the data as bytes, not an fd) |
//! | `--cap-add` / `--cap-drop` | [`Command::capabilities`](crate::Command::capabilities), [`bounding_capabilities`](crate::Command::bounding_capabilities) |
//! | (always) `no_new_privs` | [`Command::no_new_privs`](crate::Command::no_new_privs)`(true)` |
//! | `--seccomp FD`, `--add-seccomp-fd FD` | [`Command::seccomp`](crate::Command::seccomp)`(&program)` (applied last) |
//! | `--new-session`, `--die-with-parent`, `--argv0` | [`new_session`](crate::Command::new_session), [`kill_on_parent_death`](crate::Command::kill_on_parent_death), [`arg0`](crate::Command::arg0) |
//! | `--block-fd`, `--info-fd`, `--json-status-fd` | [`block_on`](crate::Command::block_on), [`info_fd`](crate::Command::info_fd), [`json_status_fd`](crate::Command::json_status_fd) |
//! | `--userns-block-fd FD` (with `--info-fd`) | [`user_namespace_block_fd`](crate::Command::user_namespace_block_fd) |
//! | `--disable-userns`, `--assert-userns-disabled` | [`disable_user_namespaces`](crate::Command::disable_user_namespaces), [`assert_user_namespaces_disabled`](crate::Command::assert_user_namespaces_disabled) |
//! | `--hostname`, `--chdir`, `--setenv`/`--unsetenv`/`--clearenv` | [`hostname`](crate::Command::hostname), [`current_dir`](crate::Command::current_dir), [`env`](crate::Command::env)/[`env_remove`](crate::Command::env_remove)/[`env_clear`](crate::Command::env_clear) |
//!
//! Differences: the program is pid 1 of a new pid namespace (bwrap's `--as-pid-1`; there is
//! no reaper), a read-only bind makes every mount below read-only (also hidden ones), and
//! the working directory bwrap picks without `--chdir` is
//! [`current_dir_candidates`](crate::Command::current_dir_candidates)`([cwd, $HOME])`. Not yet: `--userns2`, SELinux
//! labels, `--lock-file`.
//!
//! ## CPython `os.setns` / `os.unshare`
//!
//! | CPython | lxns |
//! |---|---|
//! | `os.setns(fd, os.CLONE_NEWNET)` | [`setns_current_thread`](crate::setns_current_thread)`(fd.as_fd(), Some(Kind::Net))`, or a checked [`Namespace`](crate::Namespace) and [`enter_current_thread`](crate::Namespace::enter_current_thread) |
//! | `os.setns(fd, 0)` | [`setns_current_thread`](crate::setns_current_thread)`(fd, None)` |
//! | `os.setns(pidfd, flags)` | [`Process::enter_current_thread`](crate::Process::enter_current_thread)`(kinds)` (EINVAL for an empty set, as the kernel answers) |
//! | `os.unshare(os.CLONE_NEWNET \| os.CLONE_NEWUTS)` | [`unshare_current_thread`](crate::unshare_current_thread)`(Kind::Net \| Kind::Uts)` |
//! | `os.CLONE_NEW*` | [`Kind::clone_flag`](crate::Kind::clone_flag), [`KindSet::bits`](crate::KindSet::bits) |
//!
//! ## Haskell `linux-namespaces` (`System.Linux.Namespaces`)
//!
//! | Haskell | lxns |
//! |---|---|
//! | `unshare [Network, UTS]` | [`unshare_current_thread`](crate::unshare_current_thread)`(Kind::Net \| Kind::Uts)` |
//! | `setNamespace fd (Just Network)` | [`setns_current_thread`](crate::setns_current_thread)`(fd, Some(Kind::Net))` |
//! | `enterNamespace pid Network` | [`Namespace::of_process`](crate::Namespace::of_process)`(pid, Kind::Net)?.enter_current_thread()` |
//! | `getNamespaceID (Just pid) Network` | [`Namespace::of_process`](crate::Namespace::of_process)`(pid, Kind::Net)?.id()` |
//! | `getNamespaceID Nothing Network` | [`Process::current`](crate::Process::current)`()?.namespace(Kind::Net)?.id()` |
//! | `writeUserMappings (Just pid) ms` | [`write_id_map`](crate::write_id_map)`(pid, MapKind::Uid, &map)`, or [`Process::write_id_map`](crate::Process::write_id_map) (pidfd) |
//! | `writeUserMappings Nothing ms` | [`write_id_map`](crate::write_id_map)`(0, MapKind::Uid, &map)` (pid 0: the calling process) |
//! | `writeGroupMappings p ms True` | [`write_setgroups`](crate::write_setgroups)`(pid, Setgroups::Deny)`, then [`write_id_map`](crate::write_id_map)`(pid, MapKind::Gid, &map)` |
//! | (reading a map) | [`read_id_map`](crate::read_id_map), [`Process::read_id_map`](crate::Process::read_id_map) |
//!
//! ## Go: CNI `pkg/ns` and `vishvananda/netns`
//!
//! | Go | lxns |
//! |---|---|
//! | `ns.GetCurrentNS()` | [`cni::current_netns`](crate::cni::current_netns) |
//! | `ns.GetNS(path)` | [`cni::get_netns`](crate::cni::get_netns) |
//! | `netNS.Do(func(ns.NetNS) error)` | [`Namespace::run`](crate::Namespace::run), [`try_run`](crate::try_run) for a closure that returns a `Result` |
//! | `netNS.Path()` | [`Namespace::path`](crate::Namespace::path) |
//! | `netNS.Fd()`, `netNS.Close()` | [`AsFd::as_fd`](std::os::fd::AsFd::as_fd), drop |
//! | `netNS.Set()` | [`Namespace::enter_current_thread`](crate::Namespace::enter_current_thread) |
//! | `ns.WithNetNSPath(path, f)` | [`cni::with_netns_path`](crate::cni::with_netns_path) |
//! | `ns.IsNSorErr(path)` | [`cni::is_netns`](crate::cni::is_netns) |
//! | `testutils.NewNS()` / `testutils.UnmountNS(ns)` | [`netns::Scratch::new`](crate::netns::Scratch::new) / drop |
//! | `netns.Get()`, `netns.GetFromPid(pid)` | [`Namespace::current`](crate::Namespace::current)`(Kind::Net)`, [`Namespace::of_process`](crate::Namespace::of_process) |
//! | `netns.GetFromName(name)` / `GetFromPath(p)` | [`netns::Registry::open`](crate::netns::Registry::open) / [`Namespace::open_as`](crate::Namespace::open_as) |
//! | `netns.New()` (creates and moves the thread) | [`Namespace::new`](crate::Namespace::new) (moves nobody) |
//! | `netns.NewNamed(name)` / `DeleteNamed(name)` | [`netns::Registry::add`](crate::netns::Registry::add) / [`delete`](crate::netns::Registry::delete) |
//! | `ns.UniqueId()`, `ns.Equal(o)` | [`Namespace::id`](crate::Namespace::id), `==` |
