//! One module per subcommand: parsed arguments in, library calls, output.

pub mod enter;
pub mod info;
pub mod limits;
pub mod ls;
pub mod netns;
pub mod run;
pub mod sandbox;

/// A pid argument, strictly: decimal digits only (no sign, no spaces), 1 to 2^31 - 1, with
/// the same words for the same fault in every subcommand.
pub fn pid(text: &str) -> Result<i32, String> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "{text:?} is not a process id (decimal digits only)"
        ));
    }
    match text.parse::<i32>() {
        Ok(0) => Err("0 is not a process id (pids start at 1)".into()),
        Ok(p) => Ok(p),
        Err(_) => Err(format!("{text} is not a process id (at most {})", i32::MAX)),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn pids_are_strict() {
        assert_eq!(super::pid("1"), Ok(1));
        assert_eq!(super::pid("2147483647"), Ok(i32::MAX));
        for bad in ["", "0", "+5", " 5", "5 ", "-1", "2147483648", "0x10", "５"] {
            assert!(super::pid(bad).is_err(), "{bad:?}");
        }
    }
}
