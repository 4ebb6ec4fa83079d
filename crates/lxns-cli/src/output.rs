//! Printing helpers shared by the subcommands.

use std::io::{self, Write};

/// A program's status as lxns's own: its exit code, or 128+N when signal N killed it (as
/// shells report it).
pub fn exit_code(status: std::process::ExitStatus) -> std::process::ExitCode {
    use std::os::unix::process::ExitStatusExt;
    use std::process::ExitCode;
    match (status.code(), status.signal()) {
        (Some(code), _) => ExitCode::from(u8::try_from(code & 0xff).unwrap_or(1)),
        (None, Some(sig)) => ExitCode::from(u8::try_from(128 + sig).unwrap_or(255)),
        _ => ExitCode::FAILURE,
    }
}

/// Whether `err` is (or wraps) a broken pipe on stdout: `lxns … | head` is not a failure.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    })
}

/// Prints rows as left-aligned columns under a header (the last column is not padded).
pub fn table(out: &mut impl Write, header: &[&str], rows: &[Vec<String>]) -> io::Result<()> {
    let none = vec![false; header.len()];
    let hints = vec![0; header.len()];
    aligned_table(out, header, (&none, &hints), rows, false)
}

/// Prints rows in columns: `right[i]` right-aligns column `i`, `hint[i]` is its width hint;
/// the last column is not padded on the right.
///
/// Widths follow libsmartcols (lsns's table library): the widest cell; the header's width if
/// the cells are narrower; else the hint if both cells and header are narrower than it.
pub fn aligned_table(
    out: &mut impl Write,
    header: &[&str],
    (right, hint): (&[bool], &[usize]),
    rows: &[Vec<String>],
    no_header: bool,
) -> io::Result<()> {
    // A cell with newlines spans that many lines (libsmartcols' multi-line cells: lsns's
    // NSFS with several mounts); its width is its widest line.
    let width = |s: &str| s.split('\n').map(|l| l.chars().count()).max().unwrap_or(0);
    let mut widths: Vec<usize> = vec![0; header.len()];
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(width(cell));
        }
    }
    for (i, w) in widths.iter_mut().enumerate() {
        let head = header.get(i).map_or(0, |h| width(h));
        let hint = hint.get(i).copied().unwrap_or(0);
        if *w < head {
            *w = head;
        } else if *w < hint && head < hint {
            *w = hint;
        }
    }
    // One output line. Like libsmartcols, the separator before an empty last cell stays.
    let mut line = |cells: &[&str]| -> io::Result<()> {
        let last = cells.len().saturating_sub(1);
        let mut text = String::new();
        for (i, cell) in cells.iter().enumerate() {
            let w = widths.get(i).copied().unwrap_or(0);
            let pad = w.saturating_sub(width(cell));
            if right.get(i).copied().unwrap_or(false) {
                text.push_str(&" ".repeat(pad));
                text.push_str(cell);
            } else {
                text.push_str(cell);
                if i != last {
                    text.push_str(&" ".repeat(pad));
                }
            }
            if i != last {
                text.push(' ');
            }
        }
        writeln!(out, "{text}")
    };
    if !no_header {
        line(header)?;
    }
    for row in rows {
        let height = row.iter().map(|c| c.split('\n').count()).max().unwrap_or(1);
        for k in 0..height {
            let cells: Vec<&str> = row
                .iter()
                .map(|c| c.split('\n').nth(k).unwrap_or(""))
                .collect();
            line(&cells)?;
        }
    }
    Ok(())
}
