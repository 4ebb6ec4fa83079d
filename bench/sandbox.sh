#!/usr/bin/env bash
# `lxns sandbox` beside bwrap(1), in one run with ratios, as root and rootless (uid/gid 65534
# through setpriv(1), bwrap's unprivileged mode: a user namespace), for issue 18's command:
#     --unshare-all --ro-bind /usr /usr --symlink usr/lib /lib --symlink usr/lib64 /lib64
#     --symlink usr/bin /bin --proc /proc --dev /dev --tmpfs /tmp -- /bin/true
# Times: hyperfine -N (no shell), both commands in each of ROUNDS hyperfine invocations, which
# run as the measured user (so setpriv's exec is not inside the figures); the ratio is the
# median of the rounds' ratios. Two builds of lxns: the static glibc one (cargo
# build-static) and the static musl one (cargo build-musl: no glibc start-up, whose CPUID
# probing traps to the hypervisor on a VM). Beside them, the C floor (bench/src/floor.c
# `sandbox`: the same sandbox in the fewest system calls, nothing else), linked with glibc
# and with musl, which tells how much of the time is exec, libc start-up, namespace creation
# and teardown that no tool can avoid. Peak RSS: GNU time's %M,
# the median of 5 runs each. Prints a markdown table; writes it to $RESULTS_DIR/sandbox.md.
# Usage (as root): bench/sandbox.sh     [RUNS=300 WARMUP=10 ROUNDS=6]
# Leaves nothing behind: every sandbox is waited for by hyperfine/time; the scratch directory
# is removed unless RESULTS_DIR was given. The table is also copied to bench/results/DATE/.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/common.sh"
command -v hyperfine >/dev/null || apt_install hyperfine
command -v bwrap >/dev/null || apt_install bubblewrap
TIME=/usr/bin/time
[ -x "$TIME" ] || apt_install time
export RUNS=${RUNS:-300} WARMUP=${WARMUP:-10} ROUNDS=${ROUNDS:-6}
own_scratch=; [ -n "${RESULTS_DIR:-}" ] || own_scratch=1
scratch_dir
[ -z "$own_scratch" ] || trap 'rm -rf "$RESULTS_DIR"' EXIT
(cd "$ROOT" && cargo build --quiet "${STATIC[@]}" -p lxns-cli)
# The binary is copied where uid 65534 can read and execute it (target/ may be private).
BIN="$RESULTS_DIR/bin"; mkdir -p "$BIN"; cp "$L" "$BIN/lxns"; chmod 755 "$RESULTS_DIR" "$BIN"
LX="$BIN/lxns"
# The static musl build (cargo build-musl) beside it, when the target can be installed.
rustup target add x86_64-unknown-linux-musl >/dev/null 2>&1 || true
LM=
M=$(musl_build) && [ -n "$M" ] && { cp "$M" "$BIN/lxns-musl"; LM="$BIN/lxns-musl"; }
F=$(floor_build)
# The C floor again without glibc's start-up (musl-gcc, Debian's musl-tools).
command -v musl-gcc >/dev/null || apt_install musl-tools
FM="$BIN/floor-musl"
musl-gcc -O2 -static -o "$FM" "$HERE/src/floor.c"
# shellcheck disable=SC2086
as_installed "$LX" $LM "$F" "$FM" "$(command -v bwrap)"
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
  echo "| as | lxns build | bwrap median | lxns sandbox median | bwrap / lxns | bwrap peak RSS | lxns peak RSS |"
  echo "|---|---|---|---|---|---|---|"
  for who in root nobody; do
    run_as "$who" true || { echo "| $who | cannot run as $who | | | | | |"; continue; }
    # ROUNDS alternating rounds (every command in each), so that the machine's drift over
    # the run (this VM's timings wander by tens of percent) lands on all alike.
    cmds=("bwrap $ARGS" "$LX sandbox $ARGS" "$F sandbox /bin/true" "$FM sandbox /bin/true")
    [ -z "$LM" ] || cmds+=("$LM sandbox $ARGS")
    failed=
    for round in $(seq "$ROUNDS"); do
      run_as "$who" hyperfine -N --style none --runs "$((RUNS / ROUNDS))" --warmup "$WARMUP" \
        --export-json "$HFDIR/$who-$round.json" "${cmds[@]}" \
        >"$HFDIR/$who-$round.log" 2>&1 || { failed="see $HFDIR/$who-$round.log"; break; }
    done
    [ -z "$failed" ] || { echo "| $who | FAILED: $failed | | | | | |"; continue; }
    # shellcheck disable=SC2086
    rb=$(peak "$who" bwrap $ARGS); rl=$(peak "$who" "$LX" sandbox $ARGS)
    rf=$(peak "$who" "$F" sandbox /bin/true); rfm=$(peak "$who" "$FM" sandbox /bin/true)
    rm_=; [ -z "$LM" ] || rm_=$(peak "$who" "$LM" sandbox $ARGS)
    python3 - "$who" "$rb" "$rl" "$rf" "$rfm" "$rm_" "$HFDIR/$who"-*.json <<'PY'
import json, statistics, sys
who, rb, rl, rf, rfm, rm, *files = sys.argv[1:]
runs = [json.load(open(f))["results"] for f in files]
n = len(runs[0])
rounds = [[statistics.median(r["times"]) * 1000 for r in results] for results in runs]
times = [[t * 1000 for results in runs for t in results[i]["times"]] for i in range(n)]
med = [statistics.median(t) for t in times]
q = [statistics.quantiles(t, n=4) for t in times]
def row(build, i, rss):
    ratios = sorted(r[0] / r[i] for r in rounds)
    print(f"| {who} | {build} | {med[0]:.3f} ms (p25-p75 {q[0][0]:.3f}-{q[0][2]:.3f}) | "
          f"{med[i]:.3f} ms (p25-p75 {q[i][0]:.3f}-{q[i][2]:.3f}) | "
          f"{statistics.median(ratios):.2f}x (rounds {ratios[0]:.2f}-{ratios[-1]:.2f}) | "
          f"{rb} KiB | {rss} KiB |")
row("static glibc (cargo build-static)", 1, rl)
if n > 4:
    row("static musl (cargo build-musl)", 4, rm)
row("C floor (bench/src/floor.c), static glibc", 2, rf)
row("C floor (bench/src/floor.c), static musl", 3, rfm)
PY
  done
} | tee "$OUT"
dest="$ROOT/bench/results/$(date +%F)"
mkdir -p "$dest" && cp "$OUT" "$dest/sandbox.md"
