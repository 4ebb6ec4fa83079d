//! `run_async` and `Worker::run_async` from a multi-threaded tokio runtime: 100 concurrent
//! tasks, each lands in its namespace, and no runtime thread ever changes namespace. A test
//! binary of its own, so scanning every thread of the process sees only this test's threads.

// Tests fail by panicking.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use lxns::{Kind, Namespace, Worker};

fn all_threads_net() -> Vec<u64> {
    common::all_threads_ns(Kind::Net)
}

#[test]
fn hundred_concurrent_tasks_on_a_multi_threaded_runtime() {
    // The tests of this binary scan every thread of the process: one at a time.
    let _serial = common::serial();
    let _g = common::NsGuard::new();
    let host = common::thread_ns(Kind::Net);
    let targets: Vec<Namespace> = (0..4).map(|_| Namespace::new(Kind::Net).unwrap()).collect();
    let worker_ns = Namespace::new(Kind::Net).unwrap();
    let worker = std::sync::Arc::new(Worker::new(&[&worker_ns]).unwrap());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap();
    let results = rt.block_on(async {
        let mut tasks = Vec::new();
        for i in 0..100 {
            let target = targets[i % targets.len()].try_clone().unwrap();
            let worker = std::sync::Arc::clone(&worker);
            tasks.push(tokio::spawn(async move {
                let runtime_thread_before = common::thread_ns(Kind::Net);
                let got = lxns::run_async(&[&target], || common::thread_ns(Kind::Net))
                    .await
                    .unwrap();
                // A timer in between: the task may resume on another runtime thread.
                tokio::time::sleep(std::time::Duration::from_millis(1)).await;
                let via_worker = worker
                    .run_async(|| common::thread_ns(Kind::Net))
                    .await
                    .unwrap();
                let runtime_thread_after = common::thread_ns(Kind::Net);
                (
                    got,
                    target.id().ino(),
                    via_worker,
                    runtime_thread_before,
                    runtime_thread_after,
                )
            }));
        }
        let mut out = Vec::new();
        for t in tasks {
            out.push(t.await.unwrap());
        }
        out
    });
    for (got, want, via_worker, before, after) in results {
        assert_eq!(got, want);
        assert_eq!(via_worker, worker_ns.id().ino());
        assert_eq!(before, host);
        assert_eq!(after, host, "a runtime thread changed namespace");
    }
    // Every runtime thread is still at home; no helper thread is left anywhere.
    drop(rt);
    drop(worker);
    let now = all_threads_net();
    assert!(now.iter().all(|ino| *ino == host), "{now:?} vs host {host}");
}

#[test]
fn errors_and_panics_arrive_through_the_future() {
    // The tests of this binary scan every thread of the process: one at a time.
    let _serial = common::serial();
    let _g = common::NsGuard::new();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let net = Namespace::new(Kind::Net).unwrap();
    rt.block_on(async {
        let r: lxns::Result<Result<(), String>> =
            lxns::run_async(&[&net], || Err("closure error".to_owned())).await;
        assert_eq!(r.unwrap(), Err("closure error".to_owned()));
        let joined = tokio::spawn({
            let net = net.try_clone().unwrap();
            async move { lxns::run_async(&[&net], || -> () { panic!("async panic") }).await }
        })
        .await;
        assert!(joined.unwrap_err().is_panic());
    });
}
