/* The C floor of lxns's enter/return loop (crates/lxns/examples/setns_loop.rs): what the
 * kernel costs with nothing around it.
 *
 *   setns_loop PID ITERS REPS
 *
 * One line per repetition and variant, "ITER <variant> <ns per iteration>":
 *   open-setns-back-close   open("/proc/PID/ns/net"), setns into it, setns back into a kept
 *                           fd of our own network namespace, close
 *   setns-pair(pre-opened)  the two setns calls on fds opened once
 *   checked-open-floor      the least that gives lxns's guarantee for a path: stat (refuse a
 *                           fifo or device before opening it), open, fstat (nsfs and the
 *                           identity), NS_GET_NSTYPE (the kind), setns, setns back, close
 *   pidfd-floor             the least that gives lxns's guarantee for a pid: pidfd_open,
 *                           the namespace (PIDFD_GET_NET_NAMESPACE on 6.11+, else open of
 *                           /proc/PID/ns/net and a poll of the pidfd: the process had not
 *                           exited), fstat (its identity), setns, setns back, two closes
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double elapsed_ns(const struct timespec *a, const struct timespec *b, long n) {
    return ((double)(b->tv_sec - a->tv_sec) * 1e9 + (double)(b->tv_nsec - a->tv_nsec)) / (double)n;
}

static int fail(const char *what) {
    perror(what);
    return 1;
}

static ino_t net_ino(void) {
    struct stat st;
    return stat("/proc/thread-self/ns/net", &st) == 0 ? st.st_ino : 0;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s PID ITERS REPS\n", argv[0]);
        return 2;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/%s/ns/net", argv[1]);
    long iters = strtol(argv[2], NULL, 10);
    int reps = (int)strtol(argv[3], NULL, 10);
    if (iters <= 0 || reps <= 0) return 2;

    int home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    int there = open(path, O_RDONLY | O_CLOEXEC);
    if (home < 0 || there < 0) return fail("open");
    ino_t home_ino = net_ino();
    struct stat st;
    if (fstat(there, &st) != 0) return fail("fstat");
    if (st.st_ino == home_ino) {
        fprintf(stderr, "setns_loop: pid %s is in our network namespace\n", argv[1]);
        return 1;
    }
    /* One round trip really switches. */
    if (setns(there, CLONE_NEWNET) != 0) return fail("setns");
    if (net_ino() != st.st_ino) return fail("switch not observed");
    if (setns(home, CLONE_NEWNET) != 0) return fail("setns back");

    struct timespec t0, t1;
    for (int r = 0; r < reps; r++) {
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (long i = 0; i < iters; i++) {
            int fd = open(path, O_RDONLY | O_CLOEXEC);
            if (fd < 0 || setns(fd, CLONE_NEWNET) != 0 || setns(home, CLONE_NEWNET) != 0)
                return fail("open-setns-back");
            close(fd);
        }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        printf("ITER open-setns-back-close %.1f\n", elapsed_ns(&t0, &t1, iters));
    }
    for (int r = 0; r < reps; r++) {
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (long i = 0; i < iters; i++) {
            if (setns(there, CLONE_NEWNET) != 0 || setns(home, CLONE_NEWNET) != 0)
                return fail("setns-pair");
        }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        printf("ITER setns-pair(pre-opened) %.1f\n", elapsed_ns(&t0, &t1, iters));
    }
    for (int r = 0; r < reps; r++) {
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (long i = 0; i < iters; i++) {
            struct stat s0, s1;
            if (stat(path, &s0) != 0 || !S_ISREG(s0.st_mode)) return fail("stat");
            int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
            if (fd < 0 || fstat(fd, &s1) != 0) return fail("checked open");
            if (ioctl(fd, 0xb703 /* NS_GET_NSTYPE: _IO(0xb7, 3) */) != CLONE_NEWNET)
                return fail("kind");
            if (setns(fd, CLONE_NEWNET) != 0 || setns(home, CLONE_NEWNET) != 0)
                return fail("setns");
            close(fd);
        }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        printf("ITER checked-open-floor %.1f\n", elapsed_ns(&t0, &t1, iters));
    }
    /* python-lxns's own system calls for from_pid -> setns -> back -> close (open, the
     * NS_GET_NSTYPE check of its __init__, two setns, close) with no other fd open on the
     * target namespace, as in the Python loops: each open then makes nsfs's dentry anew.
     * The floor of the Python "from_pid-setns-back-close" rows. */
    close(there);
    for (int r = 0; r < reps; r++) {
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (long i = 0; i < iters; i++) {
            int fd = open(path, O_RDONLY | O_CLOEXEC);
            if (fd < 0 || ioctl(fd, 0xb703) != CLONE_NEWNET) return fail("uncached open");
            if (setns(fd, CLONE_NEWNET) != 0 || setns(home, CLONE_NEWNET) != 0)
                return fail("setns");
            close(fd);
        }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        printf("ITER python-lxns-syscalls-floor %.1f\n", elapsed_ns(&t0, &t1, iters));
    }
    struct utsname u;
    int major = 0, minor = 0;
    if (uname(&u) == 0) sscanf(u.release, "%d.%d", &major, &minor);
    int has_ioctl = major > 6 || (major == 6 && minor >= 11);
    pid_t pid = (pid_t)strtol(argv[1], NULL, 10);
    for (int r = 0; r < reps; r++) {
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (long i = 0; i < iters; i++) {
            int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
            if (pidfd < 0) return fail("pidfd_open");
            int fd;
            if (has_ioctl) {
                fd = ioctl(pidfd, 0xff04 /* PIDFD_GET_NET_NAMESPACE: _IO(0xff, 4) */, 0);
            } else {
                fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
                struct pollfd p = {.fd = pidfd, .events = POLLIN};
                if (fd >= 0 && poll(&p, 1, 0) != 0) return fail("exited");
            }
            struct stat s2;
            if (fd < 0 || fstat(fd, &s2) != 0) return fail("namespace");
            if (setns(fd, CLONE_NEWNET) != 0 || setns(home, CLONE_NEWNET) != 0)
                return fail("setns");
            close(fd);
            close(pidfd);
        }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        printf("ITER pidfd-floor %.1f\n", elapsed_ns(&t0, &t1, iters));
    }
    if (net_ino() != home_ino) return fail("not back home");
    return 0;
}
