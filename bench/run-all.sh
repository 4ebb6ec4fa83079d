#!/usr/bin/env bash
# The whole benchmark suite, one command (as root, from any clone; nothing outside the
# repository is needed):
#     bench/run-all.sh
# Builds lxns (the static build, README "Install") and compares it, in the same run, with
# every anchor, each driven by our own scripts in bench/:
#   loops.sh    the in-process enter/return loops: the C setns(2) floor, Go (CNI pkg/ns,
#               vishvananda/netns), Python (python-lxns 0.1.0, CPython os.setns)
#   spawn.sh    lxns run / enter beside unshare, bwrap and nsenter, and the library's
#               spawn loop beside a C clone3 loop
#   sandbox.sh  lxns sandbox (static glibc and musl builds) beside bwrap and the C floors
#   listing.sh  lxns ls beside lsns as the number of namespaces grows
#   netns.sh    lxns netns add/del/exec beside ip netns
#   memory.sh   peak RSS beside the same tools
# then the library's allocations on the hot paths (tests/alloc.rs) and the criterion
# micro-benchmarks. Each section prints its table with ratios; the tables also land in
# bench/results/<date>/ (all.md has everything). What cannot be installed (Debian packages,
# PyPI) is reported and its rows are missing.
# Leaves no process, namespace, mount or /run/netns entry behind: each script stops what it
# started by pid and deletes its names; this script checks at the end and says what it found.
# Knobs: QUICK=1 (fewer runs, for a smoke test), RESULTS_DIR=path (raw outputs), OUT_DIR=path.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/common.sh"
# Raw outputs (hyperfine JSON, built anchors, Go caches) go to a scratch directory; the
# markdown tables are copied to bench/results/<date>/ at the end (OUT_DIR to change).
scratch_dir
OUT_DIR=${OUT_DIR:-$ROOT/bench/results/$(date -u +%F)}
mkdir -p "$OUT_DIR"
for tool in hyperfine:hyperfine unshare:util-linux ip:iproute2 cc:gcc python3:python3 /usr/bin/time:time; do
  command -v "${tool%%:*}" >/dev/null || apt_install "${tool#*:}" || echo "could not install ${tool#*:}" >&2
done
if [ -n "${QUICK:-}" ]; then
  export RUNS=30 WARMUP=3 ITERS=2000 REPS=3 LEVELS="0 100" COUNT=50 CYCLES=2
fi
START=$(date +%s)
# Processes, nsfs mounts and /run/netns entries before, to compare at the end.
snapshot() {
  # user-space processes (kernel threads, children of kthreadd, come and go by themselves)
  echo "processes: $(ps -e --no-headers -o ppid=,pid= | awk '$1 != 2 && $2 != 2' | wc -l)"
  echo "nsfs mounts: $(grep -c ' - nsfs ' /proc/self/mountinfo || true)"
  echo "run/netns: $(ls -A /run/netns 2>/dev/null | wc -l) $( [ -d /run/netns ] && echo present || echo absent)"
  echo "net namespaces: $(lsns -n -t net 2>/dev/null | wc -l)"
}
BEFORE=$(snapshot)
(cd "$ROOT" && cargo build --quiet "${STATIC[@]}" -p lxns-cli && cargo build --quiet "${STATIC[@]}" -p lxns --examples)
ALL="$RESULTS_DIR/all.md"
{
  echo "# lxns benchmark run"
  echo "<!-- $(date -u +%FT%TZ) $(uname -r) $(nproc) cores; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); commit $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo none) -->"
} >"$ALL"
section() { echo; echo "# $1"; } 

{
section "In-process loops: C floor, Go, Python (loops.sh)"
bash "$HERE/loops.sh" || echo "loops.sh failed"

section "Spawning and entering (spawn.sh)"
bash "$HERE/spawn.sh" || echo "spawn.sh failed"

section "Sandboxes: lxns sandbox beside bwrap and the C floors (sandbox.sh)"
bash "$HERE/sandbox.sh" || echo "sandbox.sh failed"

section "Listing (listing.sh)"
bash "$HERE/listing.sh" || echo "listing.sh failed"

section "Named network namespaces (netns.sh)"
bash "$HERE/netns.sh" || echo "netns.sh failed"

section "Memory: peak RSS beside util-linux / iproute2"
bash "$HERE/memory.sh" || echo "memory.sh failed"

section "Allocations on the hot paths (tests/alloc.rs)"
(cd "$ROOT" && cargo test --quiet -p lxns --test alloc -- --nocapture 2>&1 | grep -E "alloc|test result" ) || echo "alloc test failed"

section "Criterion micro-benchmarks (crates/lxns/benches/core.rs)"
if [ -n "${QUICK:-}" ]; then CRIT="--warm-up-time 0.2 --measurement-time 0.5"; else CRIT="--warm-up-time 1 --measurement-time 2"; fi
# shellcheck disable=SC2086
(cd "$ROOT" && cargo bench --quiet -p lxns --bench core -- $CRIT 2>&1 | grep -E "time:|^[a-z].*/" ) || echo "criterion failed"
} 2>&1 | tee -a "$ALL"

AFTER=$(snapshot)
{
  echo
  echo "# Left behind?"
  echo "before:"; echo "$BEFORE" | sed 's/^/  /'; echo "after:"; echo "$AFTER" | sed 's/^/  /'
  procs() { echo "$1" | awk '/^processes:/ {print $2}'; }
  rest() { echo "$1" | grep -v '^processes:'; }
  if [ "$(procs "$AFTER")" -le "$(procs "$BEFORE")" ] && [ "$(rest "$BEFORE")" = "$(rest "$AFTER")" ]; then
    echo "nothing left behind: no more processes than before; nsfs mounts, /run/netns and net namespaces as before"
  else
    echo "SOMETHING WAS LEFT BEHIND (net namespaces are freed asynchronously: recheck in a second)"
  fi
  echo
  echo "suite time: $(( $(date +%s) - START )) s; tables in $OUT_DIR, raw outputs in $RESULTS_DIR"
} | tee -a "$ALL"
cp "$RESULTS_DIR"/*.md "$OUT_DIR"/
