/* The C floor for spawning in new namespaces: clone3(CLONE_PIDFD | CLONE_NEWUSER |
 * CLONE_NEWNET) + execve("/bin/true") + waitid(P_PIDFD), ITERS times, REPS repetitions.
 * Mode "plain": no id maps (the child runs unmapped, as nobody).
 * Mode "maps": the parent writes setgroups=deny, uid_map and gid_map (own ids to 0) while the
 * child waits on a pipe, as `unshare -r` / lxns's map_root need.
 * Prints `ITER <mode> <nanoseconds per spawn>` per repetition (the format of examples/spawn_loop).
 * Build: cc -O2 -o clone3_loop clone3_loop.c */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

extern char **environ;

static void write_file(pid_t pid, const char *name, const char *text) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/%s", pid, name);
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
    perror(path);
    exit(1);
  }
  close(fd);
}

static void spawn_once(int maps) {
  int go[2] = {-1, -1};
  if (maps && pipe2(go, O_CLOEXEC) != 0) { perror("pipe2"); exit(1); }
  int pidfd = -1;
  struct clone_args args;
  memset(&args, 0, sizeof args);
  args.flags = CLONE_PIDFD | CLONE_NEWUSER | CLONE_NEWNET;
  args.pidfd = (uint64_t)(uintptr_t)&pidfd;
  args.exit_signal = SIGCHLD;
  long pid = syscall(SYS_clone3, &args, sizeof args);
  if (pid < 0) { perror("clone3"); exit(1); }
  if (pid == 0) {
    if (maps) {
      char b;
      close(go[1]);
      if (read(go[0], &b, 1) != 1) _exit(125);
    }
    char *argv[] = {"/bin/true", NULL};
    execve("/bin/true", argv, environ);
    _exit(127);
  }
  if (maps) {
    char line[64];
    close(go[0]);
    write_file(pid, "setgroups", "deny");
    snprintf(line, sizeof line, "0 %u 1\n", geteuid());
    write_file(pid, "uid_map", line);
    snprintf(line, sizeof line, "0 %u 1\n", getegid());
    write_file(pid, "gid_map", line);
    if (write(go[1], "", 1) != 1) { perror("go"); exit(1); }
    close(go[1]);
  }
  siginfo_t info;
  if (waitid(P_PIDFD, pidfd, &info, WEXITED) != 0 || info.si_code != CLD_EXITED ||
      info.si_status != 0) {
    fprintf(stderr, "child failed\n");
    exit(1);
  }
  close(pidfd);
}

int main(int argc, char **argv) {
  long iters = argc > 1 ? atol(argv[1]) : 200, reps = argc > 2 ? atol(argv[2]) : 5;
  const char *modes[] = {"plain", "maps"};
  for (int m = 0; m < 2; m++)
    for (long r = 0; r < reps; r++) {
      struct timespec a, b;
      clock_gettime(CLOCK_MONOTONIC, &a);
      for (long i = 0; i < iters; i++) spawn_once(m);
      clock_gettime(CLOCK_MONOTONIC, &b);
      double ns = (b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec);
      printf("ITER %s %.0f\n", modes[m], ns / iters);
      fflush(stdout);
    }
  return 0;
}
