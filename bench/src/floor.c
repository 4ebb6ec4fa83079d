/* The least any tool can do for each spawn/enter row of ../shared/bench/01 and 02: the
 * system calls the job needs and nothing else (no option parsing, no messages). Timed beside
 * unshare/nsenter and lxns, it shows how much of each command is the kernel's and libc's
 * (fork, exec, namespace creation, CPU-feature probing at start) and how much is the tool's.
 * Build: cc -O2 -static -o floor floor.c
 * Usage: floor urn PROG        unshare(USER|NET), own ids to 0, exec
 *        floor mnpiuf PROG     unshare(NS|NET|PID|IPC|UTS), fork, / private, mount proc, exec
 *        floor setns-net PID PROG   setns(/proc/PID/ns/net), exec
 *        floor netns-add NAME  iproute2's protocol: /run/netns a shared mount, an empty file,
 *                              unshare(NET), bind /proc/self/ns/net onto the file
 *        floor netns-del NAME  umount2(MNT_DETACH) and unlink
 *        floor netns-exec NAME PROG  setns into /run/netns/NAME, exec (no /sys remount: less
 *                              than ip netns exec and lxns netns exec do)
 *        floor sandbox PROG    issue 18's sandbox (bench/sandbox.sh), the way bwrap builds it
 *                              but with nothing else: clone(all eight but time, one process),
 *                              the child writes its own one-line id maps, lo up, / slave, a
 *                              tmpfs root with /usr bound read-only, the three symlinks, proc,
 *                              bwrap's minimal /dev (tmpfs, six device binds, devpts, shm,
 *                              links), a tmpfs /tmp, pivot_root, no_new_privs, the bounding
 *                              set emptied, exec as pid 1; the parent waits. Classic mount(2):
 *                              one call per mount, the fewest system calls. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <net/if.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void put(const char *path, const char *text) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) _exit(1);
  close(fd);
}

/* Joins the network namespace at `path` and becomes `argv[0]` (127 if that fails). */
static int setns_net_exec(const char *path, char **argv) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0 || setns(fd, CLONE_NEWNET)) return 1;
  execv(argv[0], argv);
  return 127;
}

#define TRY(x) do { if ((x) < 0) _exit(1); } while (0)

/* floor sandbox: the child's part (see the header). */
static void sandbox_child(uid_t uid, gid_t gid, char **argv) {
  char map[32];
  put("/proc/self/setgroups", "deny");
  snprintf(map, sizeof map, "%u %u 1", uid, uid);
  put("/proc/self/uid_map", map);
  snprintf(map, sizeof map, "%u %u 1", gid, gid);
  put("/proc/self/gid_map", map);
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  struct ifreq ifr = {0};
  strcpy(ifr.ifr_name, "lo");
  TRY(s);
  TRY(ioctl(s, SIOCGIFFLAGS, &ifr));
  ifr.ifr_flags |= IFF_UP;
  TRY(ioctl(s, SIOCSIFFLAGS, &ifr));
  close(s);
  TRY(mount(NULL, "/", NULL, MS_SLAVE | MS_REC, NULL));
  TRY(mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, NULL));
  TRY(chdir("/tmp"));
  TRY(mkdir("usr", 0755));
  TRY(mount("/usr", "usr", NULL, MS_BIND | MS_REC, NULL));
  TRY(mount(NULL, "usr", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL));
  TRY(symlink("usr/lib", "lib"));
  TRY(symlink("usr/lib64", "lib64"));
  TRY(symlink("usr/bin", "bin"));
  TRY(mkdir("proc", 0755));
  TRY(mount("proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL));
  TRY(mkdir("dev", 0755));
  TRY(mount("tmpfs", "dev", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755"));
  static const char *nodes[] = {"null", "zero", "full", "random", "urandom", "tty"};
  char src[32], dst[32];
  for (size_t i = 0; i < sizeof nodes / sizeof *nodes; i++) {
    snprintf(src, sizeof src, "/dev/%s", nodes[i]);
    snprintf(dst, sizeof dst, "dev/%s", nodes[i]);
    int fd = open(dst, O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
    TRY(fd);
    close(fd);
    TRY(mount(src, dst, NULL, MS_BIND | MS_NOSUID, NULL));
  }
  TRY(mkdir("dev/shm", 0755));
  TRY(mkdir("dev/pts", 0755));
  TRY(mount("devpts", "dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=620"));
  TRY(symlink("pts/ptmx", "dev/ptmx"));
  TRY(symlink("/proc/self/fd", "dev/fd"));
  TRY(symlink("/proc/self/fd/0", "dev/stdin"));
  TRY(symlink("/proc/self/fd/1", "dev/stdout"));
  TRY(symlink("/proc/self/fd/2", "dev/stderr"));
  TRY(symlink("/proc/kcore", "dev/core"));
  TRY(mkdir("tmp", 0755));
  TRY(mount("tmpfs", "tmp", "tmpfs", MS_NOSUID | MS_NODEV, NULL));
  TRY(syscall(SYS_pivot_root, ".", "."));
  TRY(umount2(".", MNT_DETACH));
  TRY(chdir("/"));
  TRY(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0));
  for (int cap = 0; prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == 0; cap++) {}
  execv(argv[0], argv);
  _exit(127);
}

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  if (!strcmp(argv[1], "urn")) {
    char u[32], g[32];
    snprintf(u, sizeof u, "0 %u 1", geteuid());
    snprintf(g, sizeof g, "0 %u 1", getegid());
    if (unshare(CLONE_NEWUSER | CLONE_NEWNET)) return 1;
    put("/proc/self/setgroups", "deny");
    put("/proc/self/uid_map", u);
    put("/proc/self/gid_map", g);
    execv(argv[2], argv + 2);
    return 127;
  }
  if (!strcmp(argv[1], "mnpiuf")) {
    if (unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS)) return 1;
    pid_t p = fork();
    if (p == 0) {
      if (mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL)) _exit(1);
      if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL)) _exit(1);
      execv(argv[2], argv + 2);
      _exit(127);
    }
    int st;
    if (p < 0 || waitpid(p, &st, 0) != p) return 1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  }
  if (!strcmp(argv[1], "sandbox")) {
    uid_t uid = geteuid();
    gid_t gid = getegid();
    pid_t p = (pid_t)syscall(SYS_clone, CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC |
                                          CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | SIGCHLD,
                             NULL, NULL, NULL, NULL);
    if (p == 0) sandbox_child(uid, gid, argv + 2);
    int st;
    if (p < 0 || waitpid(p, &st, 0) != p) return 1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  }
  if (!strcmp(argv[1], "setns-net") && argc >= 4) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%s/ns/net", argv[2]);
    return setns_net_exec(path, argv + 3);
  }
  if (!strcmp(argv[1], "netns-add")) {
    char path[256];
    snprintf(path, sizeof path, "/run/netns/%s", argv[2]);
    if (mkdir("/run/netns", 0755) && errno != EEXIST) return 1;
    int dir = open("/run/netns", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0 || flock(dir, LOCK_EX)) return 1;
    if (mount("", "/run/netns", "none", MS_SHARED | MS_REC, NULL)) {
      if (errno != EINVAL) return 1;
      if (mount("/run/netns", "/run/netns", "none", MS_BIND | MS_REC, NULL)) return 1;
      if (mount("", "/run/netns", "none", MS_SHARED | MS_REC, NULL)) return 1;
    }
    int fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
    if (fd < 0) return 1;
    close(fd);
    if (unshare(CLONE_NEWNET)) return 1;
    if (mount("/proc/self/ns/net", path, "none", MS_BIND, NULL)) return 1;
    return 0;
  }
  if (!strcmp(argv[1], "netns-del")) {
    char path[256];
    snprintf(path, sizeof path, "/run/netns/%s", argv[2]);
    if (umount2(path, MNT_DETACH) || unlink(path)) return 1;
    return 0;
  }
  if (!strcmp(argv[1], "netns-exec") && argc >= 4) {
    char path[256];
    snprintf(path, sizeof path, "/run/netns/%s", argv[2]);
    return setns_net_exec(path, argv + 3);
  }
  return 2;
}
