# shellcheck shell=bash
# Set-up shared by the bench/*.sh scripts, sourced after they set HERE (their directory):
# strict mode, ROOT, the root check, apt_install, REL (the release build's directory) and L
# (the lxns binary in it), a scratch RESULTS_DIR (inherited when set), the timer (`hf`),
# the loop-table reader (`loop_rows`) and the holders of namespaces the benchmarks target.
# Everything the suite compares against is driven from here and bench/*.sh: nothing outside
# the repository is needed.
set -euo pipefail
ROOT=$(cd "$HERE/.." && pwd)
SCRIPT="bench/$(basename "$0")"
[ "$(id -u)" = 0 ] || { echo "$SCRIPT: run as root" >&2; exit 2; }
# Every benchmarked binary is the static build (README, Install): `cargo build-static`'s
# flags, for this machine's triple, applied to the command and to the example loops alike.
TRIPLE=$(rustc -vV | sed -n 's/^host: //p')
STATIC=(--release --target "$TRIPLE" --config "target.$TRIPLE.rustflags=['-C', 'target-feature=+crt-static', '-C', 'relocation-model=static']")
REL="$ROOT/target/$TRIPLE/release"
L="$REL/lxns"

# apt_install PACKAGE…: from Debian's packages, quietly.
apt_install() {
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# scratch_dir: a RESULTS_DIR for raw outputs (kept when the caller exported one).
scratch_dir() {
  export RESULTS_DIR=${RESULTS_DIR:-$(mktemp -d /tmp/lxns-bench.XXXXXX)}
  mkdir -p "$RESULTS_DIR"
}

# as_installed FILE…: drops FILEs' pages from the page cache (after writing them back), so
# that the next exec reads each one the way an installed program is read on its first run.
# A file the linker has just written sits in the cache in whatever folios its writes made
# (a copied one in large folios), and on this kernel a binary in large folios starts up to
# 0.1 ms faster than one read back by exec faults (4 KiB pages), which is how /usr/bin/ip
# and the other anchors are cached. Timing every binary in the same state keeps ratios fair.
as_installed() {
  sync "$@"
  python3 - "$@" <<'PY'
import os, sys
for path in sys.argv[1:]:
    fd = os.open(path, os.O_RDONLY)
    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    os.close(fd)
PY
}

# musl_build: builds lxns for x86_64-unknown-linux-musl when that target is installed and
# prints the binary's path; prints nothing otherwise (the default build stays glibc).
musl_build() {
  rustup target list --installed 2>/dev/null | grep -qx x86_64-unknown-linux-musl || return 0
  (cd "$ROOT" && cargo build --quiet --release -p lxns-cli --target x86_64-unknown-linux-musl) &&
    echo "$ROOT/target/x86_64-unknown-linux-musl/release/lxns"
}

# floor_build: compiles bench/src/floor.c (static glibc, the C floor) into $RESULTS_DIR/bin,
# once per RESULTS_DIR (the suite shares one with spawn.sh), and prints the binary's path.
floor_build() {
  mkdir -p "$RESULTS_DIR/bin"
  [ -x "$RESULTS_DIR/bin/floor" ] || cc -O2 -static -o "$RESULTS_DIR/bin/floor" "$HERE/src/floor.c" || return 1
  echo "$RESULTS_DIR/bin/floor"
}

# machine_line: one HTML comment with the date, kernel, cores and CPU (the tables' header).
machine_line() {
  echo "<!-- $(date -u +%FT%TZ) $(uname -r), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); hyperfine $(hyperfine --version | cut -d' ' -f2) -->"
}

# hf LABEL COMMAND: times COMMAND with hyperfine (-N: no shell, so each figure is the
# command's own fork+exec+exit; RUNS timed runs after WARMUP untimed ones) and prints
#   | LABEL | `COMMAND` | MEDIAN ms | p25-p75 (min-max) ms | RUNS |
# The JSON and hyperfine's log stay in $RESULTS_DIR/hf/. A command that fails prints FAILED
# in the row (with the log's path) rather than a time.
hf() {
  local label=$1 cmd=$2 base
  base="$RESULTS_DIR/hf/$(printf '%s' "$label" | tr -c 'A-Za-z0-9_.=-' '_')"
  mkdir -p "$RESULTS_DIR/hf"
  if ! hyperfine -N --style none --runs "${RUNS:-100}" --warmup "${WARMUP:-10}" \
      --export-json "$base.json" "$cmd" >"$base.log" 2>&1; then
    echo "| $label | \`$cmd\` | FAILED | see $base.log | |"
    return 0
  fi
  python3 - "$base.json" "$label" <<'PY'
import json, statistics, sys
result = json.load(open(sys.argv[1]))["results"][0]
ms = sorted(t * 1000 for t in result["times"])
p25, _, p75 = statistics.quantiles(ms, n=4) if len(ms) > 3 else (ms[0], 0, ms[-1])
print(f"| {sys.argv[2]} | `{result['command']}` | {statistics.median(ms):.3f} ms | "
      f"p25-p75 {p25:.3f}-{p75:.3f} (min-max {ms[0]:.3f}-{ms[-1]:.3f}) ms | {len(ms)} |")
PY
}

table_head() {
  echo "| what | command | median | spread | runs |"
  echo "|---|---|---|---|---|"
}

# loop_rows WHO: reads a loop program's "ITER <variant> <ns per iteration>" lines (one per
# repetition; the contract of bench/src/setns_loop.c, crates/lxns/examples/setns_loop.rs,
# bench/src/go-loop and bench/src/py_loop.py) and prints one row per variant:
#   | WHO: VARIANT | loop | MEDIAN us/iter | min-max A-B us | N reps |
loop_rows() {
  python3 -c '
import collections, statistics, sys
runs = collections.OrderedDict()
for line in sys.stdin:
    words = line.split()
    if len(words) >= 3 and words[0] == "ITER":
        runs.setdefault(" ".join(words[1:-1]), []).append(float(words[-1]) / 1000)
for variant, us in runs.items():
    us.sort()
    print(f"| {sys.argv[1]}: {variant} | loop | {statistics.median(us):.3f} us/iter | "
          f"min-max {us[0]:.3f}-{us[-1]:.3f} us | {len(us)} reps |")
' "$1"
}

# Processes a script starts are recorded here and ended by `stop_started` (TERM, then KILL
# for what ignores it, e.g. a pid namespace's init; then reaped): only these pids, never a
# process found by name.
STARTED=()
stop_started() {
  local pid
  for pid in "${STARTED[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${STARTED[@]}"; do
    # Up to a second for TERM to work, then KILL.
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.01; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  STARTED=()
}

# in_other_ns PID KIND: true once /proc/PID/ns/KIND differs from ours (the process has
# unshared), waiting up to 5 s.
in_other_ns() {
  local mine theirs
  mine=$(readlink "/proc/self/ns/$2")
  for _ in $(seq 500); do
    theirs=$(readlink "/proc/$1/ns/$2" 2>/dev/null || true)
    [ -n "$theirs" ] && [ "$theirs" != "$mine" ] && return 0
    sleep 0.01
  done
  echo "pid $1 did not reach a new $2 namespace" >&2
  return 1
}

# first_child PID: the first child of PID (the process `unshare -f` forks), waiting up to 5 s.
first_child() {
  local kids
  for _ in $(seq 500); do
    # (the file has no trailing newline, so `read` would report a failure)
    kids=$(awk '{print $1}' "/proc/$1/task/$1/children" 2>/dev/null || true)
    [ -n "$kids" ] && { echo "$kids"; return 0; }
    sleep 0.01
  done
  return 1
}

# net_holder: starts `unshare -n sleep 3600` (recorded in STARTED) and sets HOLDER to its pid
# once it is in its own network namespace: the target of the enter/return loops.
net_holder() {
  unshare -n sleep 3600 </dev/null >/dev/null 2>&1 &
  STARTED+=("$!")
  HOLDER=$!
  in_other_ns "$HOLDER" net
}
