#!/usr/bin/env bash
# `lxns sandbox` beside bwrap(1), in one run with ratios, as root and rootless (uid/gid 65534
# through setpriv(1), bwrap's unprivileged mode: a user namespace), for issue 18's command:
#     --unshare-all --ro-bind /usr /usr --symlink usr/lib /lib --symlink usr/lib64 /lib64
#     --symlink usr/bin /bin --proc /proc --dev /dev --tmpfs /tmp -- /bin/true
# Times: hyperfine -N (no shell), both commands in one hyperfine invocation, which itself runs
# as the measured user (so setpriv's exec is not inside the figures). Peak RSS: GNU time's %M,
# the median of 5 runs each. Prints a markdown table; writes it to $RESULTS_DIR/sandbox.md.
# Usage (as root): bench/sandbox.sh     [RUNS=200 WARMUP=20]
# Leaves nothing behind: every sandbox is waited for by hyperfine/time; the scratch directory
# is removed unless RESULTS_DIR was given.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/common.sh"
command -v hyperfine >/dev/null || apt_install hyperfine
command -v bwrap >/dev/null || apt_install bubblewrap
TIME=/usr/bin/time
[ -x "$TIME" ] || apt_install time
export RUNS=${RUNS:-200} WARMUP=${WARMUP:-20}
scratch_dir
(cd "$ROOT" && cargo build --quiet "${STATIC[@]}" -p lxns-cli)
# The binary is copied where uid 65534 can read and execute it (target/ may be private).
BIN="$RESULTS_DIR/bin"; mkdir -p "$BIN"; cp "$L" "$BIN/lxns"; chmod 755 "$RESULTS_DIR" "$BIN"
LX="$BIN/lxns"
as_installed "$LX" "$(command -v bwrap)"
HFDIR="$RESULTS_DIR/sandbox-hf"; mkdir -p "$HFDIR"; chmod 777 "$HFDIR"
ARGS="--unshare-all --ro-bind /usr /usr --symlink usr/lib /lib --symlink usr/lib64 /lib64 --symlink usr/bin /bin --proc /proc --dev /dev --tmpfs /tmp -- /bin/true"
NOBODY=(setpriv --reuid 65534 --regid 65534 --clear-groups)
OUT="$RESULTS_DIR/sandbox.md"

# run_as WHO COMMAND…: COMMAND as root, or as uid/gid 65534 with no groups.
run_as() { local who=$1; shift; if [ "$who" = root ]; then "$@"; else "${NOBODY[@]}" "$@"; fi; }

# peak WHO COMMAND…: the median peak RSS (KiB) of 5 runs.
peak() {
  local who=$1; shift
  for _ in 1 2 3 4 5; do run_as "$who" "$TIME" -f %M "$@" 2>&1 >/dev/null | tail -1; done |
    sort -n | sed -n 3p
}

{
  echo "## lxns sandbox beside bwrap $(bwrap --version | cut -d' ' -f2)"
  machine_line
  echo "<!-- command: SANDBOX $ARGS; $RUNS runs after $WARMUP warm-up runs each -->"
  echo
  echo "| as | bwrap median | lxns sandbox median | bwrap / lxns | bwrap peak RSS | lxns peak RSS |"
  echo "|---|---|---|---|---|---|"
  for who in root nobody; do
    # shellcheck disable=SC2086
    run_as "$who" true || { echo "| $who | cannot run as $who | | | | |"; continue; }
    json="$HFDIR/$who.json"
    # shellcheck disable=SC2086
    if ! run_as "$who" hyperfine -N --style none --runs "$RUNS" --warmup "$WARMUP" \
        --export-json "$json" "bwrap $ARGS" "$LX sandbox $ARGS" >"$HFDIR/$who.log" 2>&1; then
      echo "| $who | FAILED: see $HFDIR/$who.log | | | | |"
      continue
    fi
    # shellcheck disable=SC2086
    rb=$(peak "$who" bwrap $ARGS); rl=$(peak "$who" "$LX" sandbox $ARGS)
    python3 - "$json" "$who" "$rb" "$rl" <<'PY'
import json, statistics, sys
res = json.load(open(sys.argv[1]))["results"]
med = [statistics.median(r["times"]) * 1000 for r in res]
q = [statistics.quantiles([t * 1000 for t in r["times"]], n=4) for r in res]
who, rb, rl = sys.argv[2:5]
print(f"| {who} | {med[0]:.3f} ms (p25-p75 {q[0][0]:.3f}-{q[0][2]:.3f}) | "
      f"{med[1]:.3f} ms (p25-p75 {q[1][0]:.3f}-{q[1][2]:.3f}) | {med[0] / med[1]:.2f}x | "
      f"{rb} KiB | {rl} KiB |")
PY
  done
} | tee "$OUT"
