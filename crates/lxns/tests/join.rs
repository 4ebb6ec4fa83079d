//! The one join plan: [`JoinPlan::steps`] is what `enter_all_current_thread`,
//! `Process::enter_all_current_thread`, `Command::join`/`join_process` (in the child) and
//! `lxns enter` run. A table of sources → the planned steps (skip and order), then each
//! library path run on the same rows with the kernel's view checked.

// Tests fail by panicking.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[allow(unused_macros)]
#[macro_use]
mod common;

use common::{holder, ns_link, release};
use lxns::{Command, JoinPlan, Kind, KindSet, Namespace};

#[test]
fn every_join_path_skips_and_orders_by_the_one_plan() {
    require_root!();
    let target = holder(Kind::User | Kind::Net);
    let p = target.process().unwrap();
    let own = |k| Namespace::current(k).unwrap();
    let new_uts = Namespace::new(Kind::Uts).unwrap();
    let new_mnt = Namespace::new(Kind::Mnt).unwrap();
    let new_ipc = Namespace::new(Kind::Ipc).unwrap();
    let their = |k| p.namespace(k).unwrap();
    let their_user = their(Kind::User);
    let their_net = their(Kind::Net);
    let set = |kinds: &[Kind]| kinds.iter().fold(KindSet::EMPTY, |a, k| a | *k);

    enum Src<'a> {
        Ns(&'a Namespace),
        Own(Kind),
        Proc(KindSet),
    }
    // (sources in the order given, the steps planned)
    let rows: Vec<(Vec<Src<'_>>, Vec<KindSet>)> = vec![
        // Shared namespaces are skipped (own user: EINVAL to the kernel); mount goes last.
        (
            vec![
                Src::Own(Kind::User),
                Src::Ns(&new_mnt),
                Src::Ns(&new_uts),
                Src::Own(Kind::Net),
                Src::Ns(&new_ipc),
            ],
            vec![set(&[Kind::Uts]), set(&[Kind::Ipc]), set(&[Kind::Mnt])],
        ),
        // A process: one atomic step, less what is shared (uts, ipc here).
        (
            vec![Src::Proc(set(&[
                Kind::User,
                Kind::Net,
                Kind::Uts,
                Kind::Ipc,
            ]))],
            vec![set(&[Kind::User, Kind::Net])],
        ),
        // A user namespace comes last, after mount.
        (
            vec![Src::Ns(&their_user), Src::Ns(&new_mnt), Src::Ns(&their_net)],
            vec![set(&[Kind::Net]), set(&[Kind::Mnt]), set(&[Kind::User])],
        ),
        // Mixed: handles and a process, mount after, the process (with user) last.
        (
            vec![
                Src::Proc(set(&[Kind::User, Kind::Net])),
                Src::Ns(&new_mnt),
                Src::Ns(&new_uts),
            ],
            vec![
                set(&[Kind::Uts]),
                set(&[Kind::Mnt]),
                set(&[Kind::User, Kind::Net]),
            ],
        ),
    ];
    for (i, (sources, want)) in rows.iter().enumerate() {
        let mut plan = JoinPlan::new();
        for s in sources {
            match s {
                Src::Ns(ns) => plan.namespace(ns.try_clone().unwrap()),
                Src::Own(k) => plan.namespace(own(*k)),
                Src::Proc(kinds) => plan.process(target.process().unwrap(), *kinds),
            };
        }
        assert_eq!(&plan.steps().unwrap(), want, "row {i}: planned steps");
    }

    // enter_all_current_thread (handles) on a scratch thread: row 1 without the user
    // namespace (this test process is multithreaded).
    let handles = [
        &own(Kind::User),
        &new_mnt,
        &new_uts,
        &own(Kind::Net),
        &new_ipc,
    ];
    let (entered, links) = std::thread::scope(|s| {
        s.spawn(|| {
            let entered = lxns::enter_all_current_thread(&handles).unwrap();
            let links: Vec<String> = ["uts", "ipc", "mnt"]
                .iter()
                .map(|k| ns_link(format!("/proc/thread-self/ns/{k}")))
                .collect();
            (entered, links)
        })
        .join()
        .unwrap()
    });
    assert_eq!(entered, set(&[Kind::Uts, Kind::Ipc, Kind::Mnt]));
    assert_eq!(
        links,
        [
            new_uts.id().to_string(),
            new_ipc.id().to_string(),
            new_mnt.id().to_string()
        ]
    );

    // Process::enter_all_current_thread: everything that differs (user, net) — the user
    // namespace needs a single-threaded process, so the kernel's answer here names it.
    let err = std::thread::scope(|s| s.spawn(|| p.enter_all_current_thread()).join().unwrap());
    assert!(
        matches!(
            err.as_ref().map_err(|e| e.reason()),
            Err(lxns::Reason::MultiThreaded { .. })
        ),
        "{err:?}"
    );

    // Command: the child joins row 1 and row 2 in the same way; the kernel's view inside.
    let text = {
        let mut c = Command::new("readlink");
        c.args([
            "/proc/self/ns/user",
            "/proc/self/ns/net",
            "/proc/self/ns/uts",
            "/proc/self/ns/ipc",
        ]);
        c.join(&own(Kind::User))
            .join(&new_uts)
            .join(&own(Kind::Net))
            .join(&new_ipc);
        let o = c.output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8(o.stdout).unwrap()
    };
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines,
        [
            own(Kind::User).id().to_string(),
            own(Kind::Net).id().to_string(),
            new_uts.id().to_string(),
            new_ipc.id().to_string()
        ]
    );
    let o = Command::new("readlink")
        .args([
            "/proc/self/ns/user",
            "/proc/self/ns/net",
            "/proc/self/ns/uts",
        ])
        .join_process(&p, KindSet::ALL)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8(o.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines,
        [
            their(Kind::User).id().to_string(),
            their(Kind::Net).id().to_string(),
            own(Kind::Uts).id().to_string()
        ]
    );
    drop(p);
    release(target);
}
