//! Printing helpers shared by the subcommands.

use std::io::{self, Write};

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
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.len());
        }
    }
    let line = |out: &mut dyn Write, cells: &mut dyn Iterator<Item = &str>| -> io::Result<()> {
        let cells: Vec<&str> = cells.collect();
        let last = cells.len().saturating_sub(1);
        for (i, (cell, w)) in cells.iter().zip(&widths).enumerate() {
            if i == last {
                write!(out, "{cell}")?;
            } else {
                write!(out, "{cell:<w$} ")?;
            }
        }
        writeln!(out)
    };
    line(out, &mut header.iter().copied())?;
    for row in rows {
        line(out, &mut row.iter().map(String::as_str))?;
    }
    Ok(())
}

/// Prints rows in columns: `right[i]` right-aligns column `i`; the last column is not padded.
pub fn aligned_table(
    out: &mut impl Write,
    header: &[&str],
    right: &[bool],
    rows: &[Vec<String>],
    no_header: bool,
) -> io::Result<()> {
    let width = |s: &str| s.chars().count();
    let mut widths: Vec<usize> = header.iter().map(|h| width(h)).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(width(cell));
        }
    }
    let mut line = |cells: &mut dyn Iterator<Item = &str>| -> io::Result<()> {
        let cells: Vec<&str> = cells.collect();
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
        writeln!(out, "{}", text.trim_end())
    };
    if !no_header {
        line(&mut header.iter().copied())?;
    }
    for row in rows {
        line(&mut row.iter().map(String::as_str))?;
    }
    Ok(())
}
