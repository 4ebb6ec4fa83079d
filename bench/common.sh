# shellcheck shell=bash
# Set-up shared by the bench/*.sh scripts, sourced after they set HERE (their directory):
# strict mode, ROOT, the root check, apt_install, REL (the release build's directory) and L
# (the lxns binary in it), need_anchors, and a scratch RESULTS_DIR (inherited when set).
set -euo pipefail
ROOT=$(cd "$HERE/.." && pwd)
SCRIPT="bench/$(basename "$0")"
[ "$(id -u)" = 0 ] || { echo "$SCRIPT: run as root" >&2; exit 2; }
REL="$ROOT/target/x86_64-unknown-linux-gnu/release"
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
