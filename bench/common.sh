# shellcheck shell=bash
# Set-up shared by the bench/*.sh scripts, sourced after they set HERE (their directory):
# strict mode, ROOT, the root check, apt_install, REL (the release build's directory) and L
# (the lxns binary in it), need_anchors, and a scratch RESULTS_DIR (inherited when set).
set -euo pipefail
ROOT=$(cd "$HERE/.." && pwd)
SCRIPT="bench/$(basename "$0")"
[ "$(id -u)" = 0 ] || { echo "$SCRIPT: run as root" >&2; exit 2; }
# Every benchmarked binary is the static build (README, Install): `cargo build-static`'s
# flags, for this machine's triple, applied to the command and to the example loops alike.
TRIPLE=$(rustc -vV | sed -n 's/^host: //p')
STATIC=(--release --target "$TRIPLE" --config "target.$TRIPLE.rustflags=['-C', 'target-feature=+crt-static']")
REL="$ROOT/target/$TRIPLE/release"
L="$REL/lxns"

# apt_install PACKAGE…: from Debian's packages, quietly.
apt_install() {
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# need_anchors FILE: sets and exports ANCHORS (../shared/bench, or $ANCHORS), which must hold
# FILE; exits with a message otherwise.
need_anchors() {
  ANCHORS=${ANCHORS:-$(cd "$ROOT/../shared/bench" 2>/dev/null && pwd || true)}
  [ -n "$ANCHORS" ] && [ -f "$ANCHORS/$1" ] || {
    echo "$SCRIPT: the anchor scripts are expected at ../shared/bench (set ANCHORS=...)" >&2; exit 2; }
  export ANCHORS
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
