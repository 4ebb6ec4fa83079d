//! Descriptors the process inherited by number.

use std::os::fd::OwnedFd;

use crate::error::{Error, Op, Result, Target};

/// A new descriptor (`O_CLOEXEC`) for the open file the process holds at number `fd`: the
/// safe way to take up a descriptor a parent passed by number, as bwrap's `--info-fd 3`,
/// `--seccomp 10` or `nsenter`'s `--net=/proc/self/fd/N` do. The same open file (offset,
/// flags, and for a pipe or socket the same end), unlike reopening `/proc/self/fd/N`,
/// which fails for sockets and checks the inode's permissions again (a pipe made by root
/// is not reopenable by another uid). The number itself stays open (whoever owns it still
/// does) but gets `FD_CLOEXEC`, so that it does not leak into programs the process starts
/// later (bwrap closes such descriptors before running the program).
///
/// # Errors
///
/// [`Reason::Os`](crate::Reason::Os) with `Op::DupFd` and `EBADF` if `fd` is not open (or
/// negative), `EMFILE` at the descriptor limit.
///
/// # References
///  - [fcntl(2)](https://man7.org/linux/man-pages/man2/fcntl.2.html) (`F_DUPFD_CLOEXEC`)
pub fn inherited_fd(fd: i32) -> Result<OwnedFd> {
    crate::sys::dup_inherited(fd).map_err(|e| Error::os(Op::DupFd, None, Target::Fd(fd), e.into()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::io::{Read, Write};
    use std::os::fd::AsRawFd;

    fn pipe() -> (std::fs::File, std::fs::File) {
        let (r, w) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC).unwrap();
        (r.into(), w.into())
    }

    #[test]
    fn the_same_open_file_or_ebadf() {
        let (r, w) = pipe();
        let mut dup = std::fs::File::from(inherited_fd(w.as_raw_fd()).unwrap());
        assert_ne!(dup.as_raw_fd(), w.as_raw_fd());
        dup.write_all(b"x").unwrap();
        drop((dup, w));
        let mut got = Vec::new();
        (&r).read_to_end(&mut got).unwrap();
        assert_eq!(got, b"x");
        let (r2, w2) = pipe();
        rustix::io::fcntl_setfd(&r2, rustix::io::FdFlags::empty()).unwrap();
        let flags = rustix::io::fcntl_getfd(inherited_fd(r2.as_raw_fd()).unwrap()).unwrap();
        assert!(flags.contains(rustix::io::FdFlags::CLOEXEC));
        let original = rustix::io::fcntl_getfd(&r2).unwrap();
        assert!(original.contains(rustix::io::FdFlags::CLOEXEC));
        drop((r2, w2));
        for bad in [-1, 1_000_000] {
            let err = inherited_fd(bad).unwrap_err();
            assert_eq!(
                err.errno().map(crate::Errno::raw),
                Some(libc::EBADF),
                "{err}"
            );
            assert!(err.to_string().contains(&bad.to_string()), "{err}");
        }
    }
}
