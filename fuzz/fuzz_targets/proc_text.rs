//! Kernel and system text lxns reads: mountinfo lines (octal escapes, any bytes), NSpid
//! lines of /proc/PID/status, /etc/subuid blocks. None may panic; the subordinate blocks that are
//! returned must make a valid id map.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for line in data.split(|&b| b == b'\n') {
        if let Some((_, _, path)) = lxns::fuzzing::mountinfo_line(line) {
            assert!(!path.as_os_str().is_empty());
        }
    }
    if let Some(pids) = lxns::fuzzing::nspid_line(data) {
        assert!(!pids.is_empty() && pids.len() <= 33 && pids.iter().all(|&p| p > 0));
    }
    if let Ok(text) = std::str::from_utf8(data) {
        for uid in [0, 1000, 65534] {
            if let Ok(blocks) = lxns::fuzzing::subuid_blocks(text, uid, Some("user")) {
                assert!(!blocks.is_empty() && lxns::IdMap::from_ranges(blocks).is_ok());
            }
        }
    }
});
