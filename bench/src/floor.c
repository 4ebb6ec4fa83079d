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
 *                              than ip netns exec and lxns netns exec do) */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/file.h>
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
