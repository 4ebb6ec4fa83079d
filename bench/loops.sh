#!/usr/bin/env bash
# In-process loops, in one run against one target (a process in its own network namespace):
# lxns (crates/lxns/examples/setns_loop.rs) beside
#  - the C floor: raw open/setns/setns/close (bench/src/setns_loop.c);
#  - Go: CNI pkg/ns NetNS.Do and vishvananda/netns (bench/src/go-loop, built offline against
#    Debian's packaged sources);
#  - Python: python-lxns 0.1.0 from PyPI and CPython's os.setns (bench/src/py_loop.py).
# Each loop prints "ITER <variant> <ns/iter>" per repetition; the rows and the ratio table
# go to $RESULTS_DIR/loops.md.
# Usage (as root): bench/loops.sh        [ITERS=10000 REPS=11]
# Installs hyperfine, gcc, Go with the two Go libraries (Debian) and python-lxns (PyPI, into
# a venv under target/bench) when missing; a part that cannot be had is reported and its
# rows are missing. Leaves nothing behind: the target is stopped by its pid.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/common.sh"
command -v hyperfine >/dev/null || apt_install hyperfine
command -v cc >/dev/null || apt_install gcc
export ITERS=${ITERS:-10000} REPS=${REPS:-11}
scratch_dir
(cd "$ROOT" && cargo build --quiet "${STATIC[@]}" -p lxns --example setns_loop)
LXNS_LOOP="$REL/examples/setns_loop"
BIN="$RESULTS_DIR/bin"; mkdir -p "$BIN"
cc -O2 -Wall -o "$BIN/setns_loop_c" "$HERE/src/setns_loop.c"

# Go, offline (GOPATH mode, GOPROXY=off) against Debian's /usr/share/gocode.
GO_LOOP=""
if ! command -v go >/dev/null || [ ! -d /usr/share/gocode/src/github.com/containernetworking ]; then
  apt_install golang-go golang-github-vishvananda-netns-dev \
    golang-github-containernetworking-plugins-dev golang-golang-x-sys-dev || true
fi
if command -v go >/dev/null; then
  GP="$RESULTS_DIR/gopath"; mkdir -p "$GP/src/go-loop"
  cp "$HERE/src/go-loop/main.go" "$GP/src/go-loop/"
  if (cd "$GP/src/go-loop" && GO111MODULE=off GOPROXY=off GOFLAGS= GOPATH="$GP:/usr/share/gocode" \
        GOCACHE="$RESULTS_DIR/gocache" go build -o "$BIN/go-loop" .); then
    GO_LOOP="$BIN/go-loop"
  else
    echo "the Go loop did not build: its rows are missing" >&2
  fi
else
  echo "Go could not be installed: its rows are missing" >&2
fi

# Python: the first interpreter with os.setns (3.12+: pyenv's, if any), else python3, in
# which only python-lxns runs. python-lxns builds a C extension, so the interpreter's
# headers are needed (python3-dev for Debian's).
PY=""
for c in /root/.pyenv/versions/3.1[2-9]*/bin/python3 python3.12 python3.13 python3; do
  if "$c" -c 'import os, sys; sys.exit(0 if hasattr(os, "setns") else 1)' 2>/dev/null; then
    PY=$(command -v "$c"); break
  fi
done
[ -n "$PY" ] || { PY=$(command -v python3); dpkg -s python3-venv python3-dev >/dev/null 2>&1 || apt_install python3-venv python3-dev; }
VENV="$ROOT/target/bench/venv-$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
"$VENV/bin/python" -c 'import lxns.namespaces' 2>/dev/null ||
  "$VENV/bin/pip" install --quiet lxns==0.1.0 || echo "python-lxns could not be installed from PyPI: its rows are missing" >&2

# This repository's Python package (lxns-rs, crates/lxns-py), built as a wheel and installed
# into a venv of the same interpreter, beside python-lxns's.
RSVENV="$VENV-lxns-rs"
[ -x "$RSVENV/bin/python" ] || "$PY" -m venv "$RSVENV"
if "$RSVENV/bin/pip" install --quiet "maturin>=1.9,<2" &&
   "$RSVENV/bin/maturin" build --release --quiet -m "$ROOT/crates/lxns-py/Cargo.toml" \
     -o "$RESULTS_DIR/wheel" -i "$RSVENV/bin/python" &&
   "$RSVENV/bin/pip" install --quiet --force-reinstall "$RESULTS_DIR"/wheel/lxns_rs-*.whl; then :
else
  echo "lxns-rs could not be built: its rows are missing" >&2
fi

trap stop_started EXIT
net_holder
OUT="$RESULTS_DIR/loops.md"
{
  machine_line
  echo "<!-- $ITERS iterations x $REPS repetitions; target pid $HOLDER, $(readlink /proc/$HOLDER/ns/net);" \
       "$(go version 2>/dev/null || echo 'no Go'); $("$VENV/bin/python" --version), python-lxns" \
       "$("$VENV/bin/pip" show lxns 2>/dev/null | sed -n 's/^Version: //p') -->"
  table_head
  "$BIN/setns_loop_c" "$HOLDER" "$ITERS" "$REPS" | loop_rows "C setns(2)"
  [ -z "$GO_LOOP" ] || "$GO_LOOP" "$HOLDER" "$ITERS" "$REPS" | loop_rows "Go"
  "$VENV/bin/python" "$HERE/src/py_loop.py" "$HOLDER" "$ITERS" "$REPS" | loop_rows "Python"
  PY_LOOP_CPYTHON=0 "$RSVENV/bin/python" "$HERE/src/py_loop.py" "$HOLDER" "$ITERS" "$REPS" | loop_rows "Python"
  "$LXNS_LOOP" "$HOLDER" "$ITERS" "$REPS" | loop_rows "lxns"
} | tee "$OUT"

python3 - "$OUT" <<'PY' | tee -a "$OUT"
import re, sys
rows = {}
for line in open(sys.argv[1]):
    m = re.match(r"\| (.+?): (.+?) \| loop \| ([0-9.]+) us/iter", line)
    if m:
        rows[(m.group(1), m.group(2))] = float(m.group(3))
pairs = [
    ("open+enter+return+close (pidfd)", "open-setns-back-close", "C setns(2)", "open-setns-back-close"),
    ("open+enter+return+close (path)", "open(path)-setns-back-close", "C setns(2)", "open-setns-back-close"),
    ("open+enter+return+close (path)", "open(path)-setns-back-close", "C setns(2)", "checked-open-floor"),
    ("enter+return, pre-opened", "setns-pair(pre-opened)", "C setns(2)", "setns-pair(pre-opened)"),
    ("open+enter+return+close (pidfd)", "open-setns-back-close", "C setns(2)", "pidfd-floor"),
    ("run(closure), helper pool", "run(empty closure)", "Go", "cni NetNS.Do(pre-opened)"),
    ("Worker::run(closure)", "worker.run(empty closure)", "Go", "cni NetNS.Do(pre-opened)"),
    ("run_scoped(closure), new thread", "run_scoped(empty closure)", "Go", "cni NetNS.Do(pre-opened)"),
    ("open+enter+return+close (pidfd)", "open-setns-back-close", "Go", "vishvananda GetFromPid-Set-back-Close"),
    ("enter+return, pre-opened", "setns-pair(pre-opened)", "Go", "vishvananda Set-pair(pre-opened)"),
    ("open+enter+return+close (pidfd)", "open-setns-back-close", "Python", "lxns from_pid-setns-back-close"),
    ("enter+return, pre-opened", "setns-pair(pre-opened)", "Python", "lxns setns-pair(pre-opened)"),
    ("open+enter+return+close (path)", "open(path)-setns-back-close", "Python", "os.setns open-setns-back-close"),
    ("enter+return, pre-opened", "setns-pair(pre-opened)", "Python", "os.setns setns-pair(pre-opened)"),
]
# The Python package against python-lxns and the floors.
for label, ours, who, theirs in [
    ("lxns-rs from_pid-setns-back-close", "lxns-rs from_pid-setns-back-close", "Python", "lxns from_pid-setns-back-close"),
    ("lxns-rs setns-pair(pre-opened)", "lxns-rs setns-pair(pre-opened)", "Python", "lxns setns-pair(pre-opened)"),
    ("lxns-rs from_pid-setns-back-close", "lxns-rs from_pid-setns-back-close", "C setns(2)", "python-lxns-syscalls-floor"),
    ("python-lxns from_pid-setns-back-close", "lxns from_pid-setns-back-close", "C setns(2)", "python-lxns-syscalls-floor"),
    ("lxns-rs setns-pair(pre-opened)", "lxns-rs setns-pair(pre-opened)", "C setns(2)", "setns-pair(pre-opened)"),
]:
    rows[("lxns", ours)] = rows.get(("Python", ours))
    pairs.append((label, ours, who, theirs))
print("\n| lxns | us/iter | anchor | us/iter | lxns / anchor | anchor / lxns |")
print("|---|---|---|---|---|---|")
for label, ours, who, theirs in pairs:
    a, b = rows.get(("lxns", ours)), rows.get((who, theirs))
    if a and b:
        print(f"| {label} | {a:.3f} | {who}: {theirs} | {b:.3f} | {a/b:.2f}x | {b/a:.2f}x |")
    else:
        print(f"| {label} | {a or 'missing'} | {who}: {theirs} | {b or 'missing'} | - | - |")
PY
