//! Helpers shared by the integration tests of `lxns` and `lxns-cli`: strict-mode skips,
//! guards that clean up even when a test panics, unique names, seccomp filters that make a
//! newer system call fail as an older kernel does, and the kernel's view of namespaces.
//!
//! Each test crate includes [`common`] as its own `mod common;` through the symlink
//! `tests/common` (see this crate's `Cargo.toml` for why it is source, not a dependency).
#[macro_use]
pub mod common;
