#!/usr/bin/env bash
# The whole benchmark suite, one command (as root, from a clean clone):
#     bench/run-all.sh
# Builds lxns in release mode and compares it, in the same run, with every anchor of
# ../shared/bench: the C setns floor (07), Go CNI pkg/ns and vishvananda/netns (06), Python
# lxns and CPython os.setns (05), util-linux unshare/nsenter/lsns and bubblewrap (01-03),
# iproute2's ip netns (04); then peak RSS (bench/memory.sh), the library's allocations on the
# hot paths (tests/alloc.rs) and the criterion micro-benchmarks. Each section prints its
# table with ratios; the tables also land in bench/results/<date>/ (all.md has everything).
# What cannot be installed (Debian packages, PyPI) is skipped with the reason printed.
# Leaves no process, namespace, mount or /run/netns entry behind: every anchor kills what it
# started by pid and deletes its names; this script checks at the end and says what it found.
# Knobs: QUICK=1 (fewer runs, for a smoke test), ANCHORS=path, RESULTS_DIR=path.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/common.sh"
need_anchors lib.sh
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
section "In-process loops: C floor (07) and Go (06)"
bash "$HERE/loops.sh" || echo "loops.sh failed"

section "Python lxns 0.1.0 and CPython os.setns (05)"
PY=""
# A CPython that has os.setns (3.12+); a pyenv shim that exists but cannot run is skipped.
for c in /root/.pyenv/versions/3.12*/bin/python3 /root/.pyenv/versions/3.13*/bin/python3 \
         python3.12 python3.13 python3; do
  if "$c" -c 'import os, sys; sys.exit(0 if hasattr(os, "setns") else 1)' 2>/dev/null; then
    PY=$(command -v "$c"); break
  fi
done
if [ -z "$PY" ]; then
  echo "skipped 05: no CPython >= 3.12 here (Debian 12 ships 3.11, which has no os.setns)"
else
  PYTHON="$PY" ALT_LOOP="$REL/examples/setns_loop" \
    bash "$ANCHORS/05-python-lxns-loop.sh" >"$RESULTS_DIR/05.md" 2>&1 || echo "05 failed (pip unreachable?)"
  cat "$RESULTS_DIR/05.md"
  python3 - "$RESULTS_DIR/05.md" <<'PY'
import re, sys
rows = {}
for line in open(sys.argv[1]):
    m = re.match(r"\| (.+?): (.+?) \| see script \| ([0-9.]+) us/iter", line)
    if m:
        rows[(m.group(1), m.group(2))] = float(m.group(3))
print("\n| lxns | us/iter | anchor | us/iter | anchor / lxns |")
print("|---|---|---|---|---|")
ours = {k[1]: v for k, v in rows.items() if k[0] == "ALT"}
for (who, what), v in rows.items():
    if who == "ALT":
        continue
    mine = "setns-pair(pre-opened)" if "pre-opened" in what else "open-setns-back-close"
    if mine in ours:
        print(f"| {mine} | {ours[mine]:.3f} | {who}: {what} | {v:.3f} | {v/ours[mine]:.2f}x |")
PY
fi

section "Spawning (01) and entering (02)"
bash "$HERE/spawn.sh" || echo "spawn.sh failed"

section "Listing (03)"
ALT="$L ls
$L ls -J
$L ls -t net" bash "$ANCHORS/03-lsns-scaling.sh" >"$RESULTS_DIR/03.md" 2>&1 || echo "03 failed"
cat "$RESULTS_DIR/03.md"
python3 - "$RESULTS_DIR/03.md" "$L" <<'PY'
import re, sys
rows = {}
for line in open(sys.argv[1]):
    m = re.match(r"\| N=(\d+) (.+?) \| `(.+?)` \| ([0-9.]+) ms", line)
    if m:
        rows[(int(m.group(1)), m.group(3))] = float(m.group(4))
L = sys.argv[2]
print("\n| N | lsns | lxns ls | ratio | lsns -J | lxns ls -J | ratio | lsns -t net | lxns ls -t net | ratio |")
print("|---|---|---|---|---|---|---|---|---|---|")
for n in sorted({k[0] for k in rows}):
    cells = []
    for a, b in [("lsns", f"{L} ls"), ("lsns -J", f"{L} ls -J"), ("lsns -t net", f"{L} ls -t net")]:
        x, y = rows.get((n, a)), rows.get((n, b))
        cells += [f"{x:.2f} ms" if x else "-", f"{y:.2f} ms" if y else "-", f"{x/y:.1f}x" if x and y else "-"]
    print(f"| {n} | " + " | ".join(cells) + " |")
PY

section "Named network namespaces (04)"
# Every binary timed here is in the page cache as an installed one is (common.sh).
F=$(floor_build)
M=$(musl_build || true)   # the same commit built for musl, when that target is installed
as_installed "$L" "$F" ${M:+"$M"}
bash "$ANCHORS/04-netns-churn.sh" >"$RESULTS_DIR/04-ip.md" 2>&1 || echo "04 (ip) failed"
ADD_CMD="$L netns add %s" DEL_CMD="$L netns del %s" EXEC_CMD="$L netns exec %s -- /bin/true" \
  bash "$ANCHORS/04-netns-churn.sh" >"$RESULTS_DIR/04-lxns.md" 2>&1 || echo "04 (lxns) failed"
# The floor: the same protocol in a static C program (bench/src/floor.c), no option parsing.
ADD_CMD="$F netns-add %s" DEL_CMD="$F netns-del %s" EXEC_CMD="$F netns-exec %s /bin/true" \
  bash "$ANCHORS/04-netns-churn.sh" >"$RESULTS_DIR/04-floor.md" 2>&1 || echo "04 (floor) failed"
: >"$RESULTS_DIR/04-musl.md"
if [ -n "$M" ]; then
  ADD_CMD="$M netns add %s" DEL_CMD="$M netns del %s" EXEC_CMD="$M netns exec %s -- /bin/true" \
    SKIP_BASELINE=1 bash "$ANCHORS/04-netns-churn.sh" >"$RESULTS_DIR/04-musl.md" 2>&1 || echo "04 (musl) failed"
fi
cat "$RESULTS_DIR/04-ip.md" "$RESULTS_DIR/04-lxns.md" "$RESULTS_DIR/04-floor.md" "$RESULTS_DIR/04-musl.md"
python3 - "$RESULTS_DIR/04-ip.md" "$RESULTS_DIR/04-lxns.md" "$RESULTS_DIR/04-floor.md" "$RESULTS_DIR/04-musl.md" <<'PY'
import re, sys
def read(path):
    out = {}
    for line in open(path):
        m = re.match(r"\| netns (add|del) x\d+ .*?\| ([0-9.]+) ms total; ([0-9.]+) ms/op", line)
        if m:
            out[m.group(1)] = float(m.group(3))
        m = re.match(r"\| netns exec latency \| .*? \| ([0-9.]+) ms", line)
        if m:
            out["exec"] = float(m.group(1))
    return out
ip, lx, fl, mu = (read(p) for p in sys.argv[1:5])
print("\n| per operation | ip netns | lxns netns | ip / lxns | target | C floor | ip / floor | musl build | ip / musl |")
print("|---|---|---|---|---|---|---|---|---|")
for k, t in [("add", "1.5x"), ("del", "1.5x"), ("exec", "1.3x")]:
    if k in ip and k in lx:
        f = f"{fl[k]:.3f} ms | {ip[k]/fl[k]:.2f}x" if k in fl else "- | -"
        m = f"{mu[k]:.3f} ms | {ip[k]/mu[k]:.2f}x" if k in mu else "- | -"
        print(f"| {k} | {ip[k]:.3f} ms | {lx[k]:.3f} ms | {ip[k]/lx[k]:.2f}x | {t} | {f} | {m} |")
PY

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
