#!/usr/bin/env bash
# Core enter/return loop: lxns against the C floor (../shared/bench/07-c-setns-loop.sh), in one
# run, with ratios. Usage (as root): bench/core.sh   [ITERS=10000 REPS=11]
# Needs: cargo, cc, hyperfine (the anchor scripts' shared helper requires it; installed from
# Debian's packages when missing).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
ANCHORS=${ANCHORS:-$(cd "$ROOT/../shared/bench" 2>/dev/null && pwd || true)}
[ -n "$ANCHORS" ] && [ -f "$ANCHORS/07-c-setns-loop.sh" ] || {
  echo "bench/core.sh: the anchor scripts are expected at ../shared/bench (set ANCHORS=...)" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "bench/core.sh: run as root" >&2; exit 2; }
command -v hyperfine >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine >/dev/null; }
export ITERS=${ITERS:-10000} REPS=${REPS:-11}
export RESULTS_DIR=${RESULTS_DIR:-$(mktemp -d /tmp/lxns-bench.XXXXXX)}
(cd "$ROOT" && cargo build --quiet --release -p lxns --example setns_loop)
export ALT_LOOP="$ROOT/target/release/examples/setns_loop"
OUT="$RESULTS_DIR/core.md"
bash "$ANCHORS/07-c-setns-loop.sh" | tee "$OUT"
python3 - "$OUT" <<'PY'
import re, sys
rows = {}
for line in open(sys.argv[1]):
    m = re.match(r"\| (C setns\(2\)|ALT): (\S+) \| .*? \| ([0-9.]+) us/iter", line)
    if m:
        rows[(m.group(1), m.group(2))] = float(m.group(3))
pairs = [
    ("open+enter+return+close (pidfd)", "open-setns-back-close", "open-setns-back-close"),
    ("open+enter+return+close (path)", "open(path)-setns-back-close", "open-setns-back-close"),
    ("enter+return, pre-opened", "setns-pair(pre-opened)", "setns-pair(pre-opened)"),
]
print("\n| lxns loop | lxns us/iter | C floor us/iter | ratio lxns/C |")
print("|---|---|---|---|")
for label, ours, theirs in pairs:
    a, b = rows.get(("ALT", ours)), rows.get(("C setns(2)", theirs))
    if a and b:
        print(f"| {label} | {a:.3f} | {b:.3f} | {a/b:.2f}x |")
    else:
        print(f"| {label} | missing | missing | - |")
PY
