//! Every parser of command-line words: kinds, kind sets, propagation, namespace links,
//! network namespace names, limits, signals, kernel releases. None may panic; what parses
//! must round-trip where the type prints itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lxns::{Kind, KindSet, NsId, Propagation};

fuzz_target!(|data: &[u8]| {
    let _ = lxns::kernel::Version::parse(data);
    let name = std::ffi::OsStr::new(os_str(data));
    let _ = lxns::netns::validate_name(name);
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(kind) = text.parse::<Kind>() {
        assert_eq!(kind.proc_name().parse::<Kind>().ok(), Some(kind));
    }
    let _ = text.parse::<KindSet>();
    let _ = text.parse::<Propagation>();
    if let Some((kind, ino)) = NsId::parse_link(text) {
        let _ = (kind, ino);
    }
    if let Ok(n) = lxns::parse_limit(text) {
        assert_eq!(lxns::parse_limit(&n.to_string()), Ok(n));
    }
    if let Ok(sig) = lxns::parse_signal(text) {
        assert_eq!(lxns::parse_signal(&sig.as_raw().to_string()).ok(), Some(sig));
    }
});

/// Bytes as an `OsStr` (Unix: any bytes).
fn os_str(data: &[u8]) -> &std::ffi::OsStr {
    use std::os::unix::ffi::OsStrExt;
    std::ffi::OsStr::from_bytes(data)
}
