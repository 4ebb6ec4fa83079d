#!/usr/bin/env bash
# In-process loops: lxns against the C floor (../shared/bench/07-c-setns-loop.sh) and Go's
# CNI pkg/ns + vishvananda/netns (06-go-netns-loop.sh), in one run, with ratios. Each anchor
# script also runs our loop program (its ALT_LOOP), so every ratio compares two loops timed
# by the same script against the same target process.
# Usage (as root): bench/loops.sh        [ITERS=10000 REPS=11 ANCHORS=../shared/bench]
# Needs cargo and cc; installs hyperfine (the anchors' helper requires it) and, for 06, Go with
# Debian's CNI/netns packages when missing. A missing anchor is skipped with the reason.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/common.sh"
need_anchors 07-c-setns-loop.sh
command -v hyperfine >/dev/null || apt_install hyperfine
export ITERS=${ITERS:-10000} REPS=${REPS:-11}
scratch_dir
(cd "$ROOT" && cargo build --quiet "${STATIC[@]}" -p lxns --example setns_loop)
export ALT_LOOP="$REL/examples/setns_loop"
OUT="$RESULTS_DIR/loops.md"
: >"$OUT"
echo "## section C: 07-c-setns-loop.sh" | tee -a "$OUT"
bash "$ANCHORS/07-c-setns-loop.sh" | tee -a "$OUT"
echo "## section Go: 06-go-netns-loop.sh" | tee -a "$OUT"
if ! command -v go >/dev/null || [ ! -d /usr/share/gocode/src/github.com/containernetworking ]; then
  apt_install golang-go golang-github-vishvananda-netns-dev \
    golang-github-containernetworking-plugins-dev golang-golang-x-sys-dev || true
fi
if command -v go >/dev/null; then
  bash "$ANCHORS/06-go-netns-loop.sh" | tee -a "$OUT" || echo "06 failed: Go rows missing" | tee -a "$OUT"
else
  echo "skipped 06: Go could not be installed" | tee -a "$OUT"
fi
python3 - "$OUT" <<'PY'
import re, sys
rows, section = {}, None
for line in open(sys.argv[1]):
    s = re.match(r"## section (\S+):", line)
    if s:
        section = s.group(1)
    m = re.match(r"\| (.+?): (.+?) \| see script \| ([0-9.]+) us/iter", line)
    if m and section:
        rows[(section, m.group(1), m.group(2))] = float(m.group(3))
pairs = [
    ("C", "open+enter+return+close (pidfd)", "open-setns-back-close", "C setns(2)", "open-setns-back-close"),
    ("C", "open+enter+return+close (path)", "open(path)-setns-back-close", "C setns(2)", "open-setns-back-close"),
    ("C", "enter+return, pre-opened", "setns-pair(pre-opened)", "C setns(2)", "setns-pair(pre-opened)"),
    ("Go", "run(closure), helper pool", "run(empty closure)", "Go", "cni NetNS.Do(pre-opened)"),
    ("Go", "Worker::run(closure)", "worker.run(empty closure)", "Go", "cni NetNS.Do(pre-opened)"),
    ("Go", "run_scoped(closure), new thread", "run_scoped(empty closure)", "Go", "cni NetNS.Do(pre-opened)"),
    ("Go", "open+enter+return+close (pidfd)", "open-setns-back-close", "Go", "vishvananda GetFromPid-Set-back-Close"),
    ("Go", "enter+return, pre-opened", "setns-pair(pre-opened)", "Go", "vishvananda Set-pair(pre-opened)"),
]
print("\n| lxns | us/iter | anchor | us/iter | lxns / anchor | anchor / lxns |")
print("|---|---|---|---|---|---|")
for sec, label, ours, who, theirs in pairs:
    a, b = rows.get((sec, "ALT", ours)), rows.get((sec, who, theirs))
    if a and b:
        print(f"| {label} | {a:.3f} | {who}: {theirs} | {b:.3f} | {a/b:.2f}x | {b/a:.1f}x |")
    else:
        print(f"| {label} | {a or 'missing'} | {who}: {theirs} | {b or 'missing'} | - | - |")
PY
