//! Micro-benchmarks of the core hot paths: opening handles, entering and returning,
//! inspecting, creating. Run with `cargo bench -p lxns --bench core`.
//!
//! The enter/return figures compare with the C floor, `bench/src/setns_loop.c`;
//! `bench/loops.sh` runs it and our `setns_loop` example in one go and prints ratios.

use std::hint::black_box;
use std::io::{BufRead, BufReader};

use criterion::Criterion;
use lxns::{Kind, Namespace, Process};

/// A process in its own network and UTS namespaces, killed on drop — and by the kernel if
/// this process dies first (parent-death signal), so an aborted run leaves nothing behind.
struct Target(lxns::Child);

impl Target {
    fn start() -> Target {
        let mut child = lxns::Command::new("sh")
            .args(["-c", "echo ready; exec sleep 3600"])
            .unshare(lxns::KindSet::from(Kind::Net) | Kind::Uts)
            .kill_on_parent_death(rustix::process::Signal::KILL)
            .stdin(lxns::Stdio::null())
            .stdout(lxns::Stdio::piped())
            .spawn()
            .expect("spawn the target (as root)");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("read");
        assert_eq!(line.trim(), "ready");
        Target(child)
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn benches(c: &mut Criterion, pid: i32) {
    let home = Namespace::current(Kind::Net).expect("home");
    let target = Namespace::of_process(pid, Kind::Net).expect("target");
    let path = format!("/proc/{pid}/ns/net");

    let mut g = c.benchmark_group("open");
    g.bench_function("current(net)", |b| {
        b.iter(|| Namespace::current(black_box(Kind::Net)).expect("current"))
    });
    g.bench_function("of_process(pid, net)", |b| {
        b.iter(|| Namespace::of_process(black_box(pid), Kind::Net).expect("of_process"))
    });
    g.bench_function("open_as(/proc/PID/ns/net)", |b| {
        b.iter(|| Namespace::open_as(black_box(&path), Kind::Net).expect("open_as"))
    });
    let process = Process::open(pid).expect("process");
    g.bench_function("Process::namespace(net)", |b| {
        b.iter(|| process.namespace(black_box(Kind::Net)).expect("namespace"))
    });
    g.finish();

    let mut g = c.benchmark_group("enter");
    g.bench_function("enter+return (pre-opened)", |b| {
        b.iter(|| {
            target.enter_current_thread().expect("enter");
            home.enter_current_thread().expect("return");
        })
    });
    g.bench_function("open+enter+return+close (pidfd)", |b| {
        b.iter(|| {
            let t = Namespace::of_process(black_box(pid), Kind::Net).expect("open");
            t.enter_current_thread().expect("enter");
            home.enter_current_thread().expect("return");
        })
    });
    g.bench_function("open+enter+return+close (path)", |b| {
        b.iter(|| {
            let t = Namespace::open_as(black_box(&path), Kind::Net).expect("open");
            t.enter_current_thread().expect("enter");
            home.enter_current_thread().expect("return");
        })
    });
    g.bench_function("Process::enter_current_thread(net)+return", |b| {
        b.iter(|| {
            process.enter_current_thread(Kind::Net).expect("enter");
            home.enter_current_thread().expect("return");
        })
    });
    g.finish();

    let mut g = c.benchmark_group("inspect");
    g.bench_function("user_namespace", |b| {
        b.iter(|| target.user_namespace().expect("owner"))
    });
    g.bench_function("ns_id", |b| b.iter(|| target.ns_id().expect("ns_id")));
    g.bench_function("limit(net)", |b| {
        b.iter(|| lxns::limit(Kind::Net).expect("limit"))
    });
    g.finish();

    let mut g = c.benchmark_group("run");
    g.bench_function("run(empty closure) via helper pool", |b| {
        b.iter(|| lxns::run(&[&target], || ()).expect("run"))
    });
    g.bench_function("run_scoped(empty closure), new thread", |b| {
        b.iter(|| lxns::run_scoped(&[&target], || ()).expect("run_scoped"))
    });
    let worker = lxns::Worker::new(&[&target]).expect("worker");
    g.bench_function("Worker::run(empty closure)", |b| {
        b.iter(|| worker.run(|| ()).expect("worker run"))
    });
    drop(worker);
    g.finish();

    let mut g = c.benchmark_group("create");
    g.bench_function("Namespace::new(uts)", |b| {
        b.iter(|| Namespace::new(Kind::Uts).expect("new"))
    });
    g.finish();

    // Process-level work: fewer samples.
    let mut g = c.benchmark_group("spawn");
    g.sample_size(20);
    g.bench_function("Command(/bin/true).status()", |b| {
        b.iter(|| lxns::Command::new("/bin/true").status().expect("spawn"))
    });
    g.bench_function(
        "Command(/bin/true).unshare(user|net).map_root().status()",
        |b| {
            b.iter(|| {
                lxns::Command::new("/bin/true")
                    .unshare(lxns::KindSet::from(Kind::User) | Kind::Net)
                    .map_root()
                    .status()
                    .expect("spawn")
            })
        },
    );
    g.finish();

    let mut g = c.benchmark_group("list");
    g.sample_size(20);
    g.bench_function("list(all kinds)", |b| {
        b.iter(|| lxns::list(&lxns::ListOptions::new()).expect("list"))
    });
    g.bench_function("list(net)", |b| {
        b.iter(|| lxns::list(&lxns::ListOptions::new().kinds(Kind::Net)).expect("list"))
    });
    g.finish();

    assert_eq!(
        Namespace::current(Kind::Net).expect("net"),
        home,
        "the benchmark thread must end in its own network namespace"
    );
}

fn main() {
    // Arguments first: a bad one exits the process, which must not have started anything.
    let mut c = Criterion::default().configure_from_args();
    let target = Target::start();
    let pid = target.0.pid();
    benches(&mut c, pid);
    c.final_summary();
}
