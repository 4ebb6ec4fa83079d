//! Id maps: the kernel's text (`/proc/PID/uid_map`) and unshare's specs. Whatever parses
//! must format back to text that parses to the same map, and translate without panicking;
//! inside → outside → inside is the identity.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lxns::{IdMap, IdRange};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(map) = text.parse::<IdMap>() {
        let again: IdMap = map.to_string().parse().expect("formatted map parses");
        assert_eq!(again, map);
        for probe in [0u32, 1, 1000, 65534, 65535, u32::MAX - 1, u32::MAX] {
            if let Some(out) = map.to_outside(probe) {
                assert_eq!(map.to_inside(out), Some(probe));
            }
        }
    }
    // An unshare-style range is a map only if the kernel would take it.
    if let Ok(range) = IdRange::parse_cli(text)
        && let Ok(map) = IdMap::from_ranges([range])
    {
        assert_eq!(map.to_outside(range.inside), Some(range.outside));
    }
});
