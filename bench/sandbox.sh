#!/usr/bin/env bash
# `lxns sandbox` beside bwrap(1), in one run with ratios, as root and rootless (uid/gid 65534
# through setpriv(1), bwrap's unprivileged mode: a user namespace), for issue 18's command:
#     --unshare-all --ro-bind /usr /usr --symlink usr/lib /lib --symlink usr/lib64 /lib64
#     --symlink usr/bin /bin --proc /proc --dev /dev --tmpfs /tmp -- /bin/true
# Times: hyperfine -N (no shell), both commands in each of ROUNDS hyperfine invocations, which
# run as the measured user (so setpriv's exec is not inside the figures); the ratio is the
# median of the rounds' ratios. Peak RSS: GNU time's %M,
# the median of 5 runs each. Prints a markdown table; writes it to $RESULTS_DIR/sandbox.md.
# Usage (as root): bench/sandbox.sh     [RUNS=300 WARMUP=10 ROUNDS=6]
# Leaves nothing behind: every sandbox is waited for by hyperfine/time; the scratch directory
# is removed unless RESULTS_DIR was given.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/common.sh"
command -v hyperfine >/dev/null || apt_install hyperfine
command -v bwrap >/dev/null || apt_install bubblewrap
TIME=/usr/bin/time
[ -x "$TIME" ] || apt_install time
export RUNS=${RUNS:-300} WARMUP=${WARMUP:-10} ROUNDS=${ROUNDS:-6}
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
  echo "<!-- command: SANDBOX $ARGS; $RUNS runs each in $ROUNDS rounds (each after $WARMUP warm-up runs) -->"
  echo
  echo "| as | bwrap median | lxns sandbox median | bwrap / lxns | bwrap peak RSS | lxns peak RSS |"
  echo "|---|---|---|---|---|---|"
  for who in root nobody; do
    # shellcheck disable=SC2086
    run_as "$who" true || { echo "| $who | cannot run as $who | | | | |"; continue; }
    # ROUNDS alternating rounds (bwrap, then lxns, in each), so that the machine's drift
    # over the run (this VM's timings wander by tens of percent) lands on both alike.
    failed=
    for round in $(seq "$ROUNDS"); do
      # shellcheck disable=SC2086
      run_as "$who" hyperfine -N --style none --runs "$((RUNS / ROUNDS))" --warmup "$WARMUP" \
        --export-json "$HFDIR/$who-$round.json" "bwrap $ARGS" "$LX sandbox $ARGS" \
        >"$HFDIR/$who-$round.log" 2>&1 || { failed="see $HFDIR/$who-$round.log"; break; }
    done
    [ -z "$failed" ] || { echo "| $who | FAILED: $failed | | | | |"; continue; }
    # shellcheck disable=SC2086
    rb=$(peak "$who" bwrap $ARGS); rl=$(peak "$who" "$LX" sandbox $ARGS)
    python3 - "$who" "$rb" "$rl" "$HFDIR/$who"-*.json <<'PY'
import json, statistics, sys
who, rb, rl, *files = sys.argv[1:]
rounds = [[statistics.median(r["times"]) * 1000 for r in json.load(open(f))["results"]]
          for f in files]
times = [[t * 1000 for f in files for t in json.load(open(f))["results"][i]["times"]]
         for i in (0, 1)]
med = [statistics.median(t) for t in times]
q = [statistics.quantiles(t, n=4) for t in times]
ratios = sorted(b / l for b, l in rounds)
print(f"| {who} | {med[0]:.3f} ms (p25-p75 {q[0][0]:.3f}-{q[0][2]:.3f}) | "
      f"{med[1]:.3f} ms (p25-p75 {q[1][0]:.3f}-{q[1][2]:.3f}) | "
      f"{statistics.median(ratios):.2f}x (rounds {ratios[0]:.2f}-{ratios[-1]:.2f}) | "
      f"{rb} KiB | {rl} KiB |")
PY
  done
} | tee "$OUT"
