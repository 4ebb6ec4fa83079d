//! Property tests of every parser, the same ones `fuzz/` drives with arbitrary bytes:
//! generated valid input parses to what it says and round-trips; generated invalid input is
//! refused; nothing panics. (The crate's private parsers of kernel text — mountinfo, NSpid,
//! subuid — have theirs in their modules.)

// Tests fail by panicking.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

use lxns::{IdMap, IdRange, Kind, KindSet, NsId};
use proptest::prelude::*;

/// Up to 8 ranges that do not overlap inside or outside and stay below 2^32.
fn valid_ranges() -> impl Strategy<Value = Vec<IdRange>> {
    prop::collection::vec((1u32..100_000, 1u32..100_000, 0u32..50_000), 1..8).prop_map(|parts| {
        // Lay them out one after another on both sides, with gaps: never overlapping.
        let (mut inside, mut outside) = (0u32, 0u32);
        let mut out = Vec::new();
        for (count, gap_out, gap_in) in parts {
            inside += gap_in;
            outside += gap_out;
            out.push(IdRange {
                inside,
                outside,
                count,
            });
            inside += count;
            outside += count;
        }
        out
    })
}

proptest! {
    // Nothing written next to the sources: a failure prints its minimal input.
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn id_maps_format_parse_and_translate_both_ways(ranges in valid_ranges(), probe in any::<u32>()) {
        let map = IdMap::from_ranges(ranges.clone()).unwrap();
        let again: IdMap = map.to_string().parse().unwrap();
        prop_assert_eq!(&again, &map);
        for r in &ranges {
            prop_assert_eq!(map.to_outside(r.inside), Some(r.outside));
            prop_assert_eq!(map.to_outside(r.inside + r.count - 1), Some(r.outside + r.count - 1));
            prop_assert_eq!(map.to_inside(r.outside), Some(r.inside));
        }
        if let Some(out) = map.to_outside(probe) {
            prop_assert_eq!(map.to_inside(out), Some(probe));
        }
    }

    #[test]
    fn id_maps_past_2_to_the_32_or_empty_are_refused(start in any::<u32>(), count in any::<u32>()) {
        let end = u64::from(start) + u64::from(count);
        let r = IdMap::from_ranges([IdRange { inside: 0, outside: start, count }]);
        if count == 0 || end > u64::from(u32::MAX) {
            prop_assert!(r.is_err(), "{start}+{count}");
        }
        // Never a panic on text either.
        let (text, spec) = (format!("0 {start} {count}"), format!("{start},0,{count}"));
        let _ = text.parse::<IdMap>();
        let _ = IdRange::parse_cli(&spec);
    }

    #[test]
    fn limits_are_plain_decimals(n in 0u64..=i32::MAX as u64, prefix in "[+ -]|0", suffix in "[^0-9]") {
        prop_assert_eq!(lxns::parse_limit(&n.to_string()), Ok(n));
        let (after, before) = (format!("{n}{suffix}"), format!("{prefix}{n}"));
        prop_assert!(lxns::parse_limit(&after).is_err());
        prop_assert!(lxns::parse_limit(&before).is_err());
        let above = i64::from(i32::MAX) + 1 + i64::try_from(n).unwrap();
        prop_assert!(lxns::parse_limit(&above.to_string()).is_err());
    }

    #[test]
    fn signals_by_number_and_any_case_of_their_names(n in 1i32..=64, upper in any::<bool>()) {
        let named = n <= 31 || (libc::SIGRTMIN()..=libc::SIGRTMAX()).contains(&n);
        let parsed = lxns::parse_signal(&n.to_string());
        prop_assert_eq!(parsed.is_ok(), named, "{}", n);
        for name in ["term", "kill", "hup", "usr1", "winch", "rtmin+1", "rtmax-2"] {
            let spelled = if upper { name.to_ascii_uppercase() } else { name.to_owned() };
            let (prefixed, spaced) = (format!("SIG{spelled}"), format!(" {spelled}"));
            prop_assert!(lxns::parse_signal(&spelled).is_ok());
            prop_assert!(lxns::parse_signal(&prefixed).is_ok());
            prop_assert!(lxns::parse_signal(&spaced).is_err());
        }
    }

    #[test]
    fn kernel_releases_parse_their_leading_numbers(a in 0u32..100, b in 0u32..1000, c in 0u32..1000, rest in "(-[a-z0-9]+)?|(\\+deb[0-9]+-amd64)?") {
        let release = format!("{a}.{b}.{c}{rest}");
        let v = lxns::kernel::Version::parse(release.as_bytes()).unwrap();
        prop_assert_eq!((v.major, v.minor, v.patch), (a, b, c));
        prop_assert!(v.at_least(a, b));
    }

    #[test]
    fn netns_names_are_bytes_without_slash_or_nul(name in prop::collection::vec(any::<u8>(), 0..300)) {
        let valid = !name.is_empty()
            && name.len() <= 255
            && !name.contains(&b'/')
            && !name.contains(&0)
            && name != b"."
            && name != b"..";
        prop_assert_eq!(lxns::netns::validate_name(OsStr::from_bytes(&name)).is_ok(), valid);
    }

    #[test]
    fn kinds_and_links_round_trip(i in 0usize..8, ino in any::<u64>(), set in any::<u8>()) {
        let kind = Kind::ALL[i];
        prop_assert_eq!(kind.proc_name().parse::<Kind>().ok(), Some(kind));
        let (link, spaced) = (
            format!("{}:[{ino}]", kind.proc_name()),
            format!("{}:[{ino}] ", kind.proc_name()),
        );
        prop_assert_eq!(NsId::parse_link(&link), Some((kind, ino)));
        prop_assert_eq!(NsId::parse_link(&spaced), None);
        let kinds: KindSet = Kind::ALL
            .into_iter()
            .enumerate()
            .filter(|(bit, _)| set & (1 << bit) != 0)
            .fold(KindSet::EMPTY, |acc, (_, k)| acc | k);
        if !kinds.is_empty() {
            prop_assert_eq!(kinds.to_string().parse::<KindSet>().ok(), Some(kinds));
        }
    }
}
