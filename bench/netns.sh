#!/usr/bin/env bash
# Named network namespaces, `lxns netns` beside `ip netns` (iproute2), whole commands:
#  - COUNT sequential `add NAME` processes, then COUNT `del NAME`, CYCLES times (median of
#    the cycles' totals, per operation);
#  - `exec NAME /bin/true` latency (hyperfine);
# for ip, lxns, the C floor (bench/src/floor.c: the same system calls, no option parsing)
# and, when that target is installed, a musl build of lxns. `ip -batch` (all adds in one
# process) is printed beside them as iproute2's in-process floor.
# Usage (as root): bench/netns.sh       [COUNT=200 CYCLES=5 RUNS=200 WARMUP=20]
# Names are lxns-bench-PID-K; the script refuses to start if one exists and deletes each on
# exit; /run/netns is unmounted and removed afterwards if it was absent before.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/common.sh"
command -v hyperfine >/dev/null || apt_install hyperfine
command -v ip >/dev/null || apt_install iproute2
export RUNS=${RUNS:-200} WARMUP=${WARMUP:-20}
COUNT=${COUNT:-200} CYCLES=${CYCLES:-5}
PREFIX="lxns-bench-$$-"
scratch_dir
(cd "$ROOT" && cargo build --quiet "${STATIC[@]}" -p lxns-cli)
F=$(floor_build)
M=$(musl_build || true)
as_installed "$L" "$F" ${M:+"$M"}
for k in $(seq 0 $((COUNT - 1))); do
  [ ! -e "/run/netns/$PREFIX$k" ] || { echo "$SCRIPT: /run/netns/$PREFIX$k exists; refusing" >&2; exit 1; }
done
HAD_DIR=0; [ -d /run/netns ] && HAD_DIR=1
HAD_MOUNT=0; mountpoint -q /run/netns 2>/dev/null && HAD_MOUNT=1
cleanup() {
  for k in $(seq 0 $((COUNT - 1))); do
    [ ! -e "/run/netns/$PREFIX$k" ] || ip netns del "$PREFIX$k" 2>/dev/null || true
  done
  if [ "$HAD_MOUNT" = 0 ] && mountpoint -q /run/netns 2>/dev/null && [ -z "$(ls -A /run/netns)" ]; then
    umount /run/netns || true
  fi
  if [ "$HAD_DIR" = 0 ] && [ -d /run/netns ]; then rmdir /run/netns 2>/dev/null || true; fi
}
trap cleanup EXIT

usec() { echo "${EPOCHREALTIME/./}"; }   # microseconds, without a fork
# churn WHO ADD DEL EXEC: ADD/DEL/EXEC are printf formats with %s for the name. Prints rows
#   | WHO add | per op MS | totals min-max |   (and del), then the exec latency row.
churn() {
  local who=$1 add=$2 del=$3 exec=$4 adds=() dels=() a d t0 t1 t2 cmd
  for _ in $(seq "$CYCLES"); do
    # The command lines are built first (printf -v: no fork), so only the tool is timed.
    local addc=() delc=()
    for k in $(seq 0 $((COUNT - 1))); do
      printf -v a "$add" "$PREFIX$k"; addc+=("$a")
      printf -v d "$del" "$PREFIX$k"; delc+=("$d")
    done
    t0=$(usec)
    for cmd in "${addc[@]}"; do $cmd; done
    t1=$(usec)
    for cmd in "${delc[@]}"; do $cmd; done
    t2=$(usec)
    adds+=($((t1 - t0))); dels+=($((t2 - t1)))
  done
  python3 - "$who" "$COUNT" "${adds[*]}" "${dels[*]}" <<'PY'
import statistics, sys
who, n = sys.argv[1], int(sys.argv[2])
for op, totals in (("add", sys.argv[3]), ("del", sys.argv[4])):
    ms = sorted(int(t) / 1000 for t in totals.split())
    print(f"| {who} {op} x{n} | churn | {statistics.median(ms) / n:.3f} ms/op | "
          f"totals min-max {ms[0]:.1f}-{ms[-1]:.1f} ms | {len(ms)} cycles |")
PY
  printf -v cmd "$add" "${PREFIX}0"; $cmd
  printf -v cmd "$exec" "${PREFIX}0"
  hf "$who exec" "$cmd"
  printf -v cmd "$del" "${PREFIX}0"; $cmd
}

OUT="$RESULTS_DIR/netns.md"
{
  machine_line
  echo "<!-- $COUNT names x $CYCLES cycles -->"
  table_head
  churn "ip" "ip netns add %s" "ip netns del %s" "ip netns exec %s /bin/true"
  churn "lxns" "$L netns add %s" "$L netns del %s" "$L netns exec %s -- /bin/true"
  churn "floor" "$F netns-add %s" "$F netns-del %s" "$F netns-exec %s /bin/true"
  [ -z "$M" ] || churn "musl" "$M netns add %s" "$M netns del %s" "$M netns exec %s -- /bin/true"
  # iproute2's own floor: the same adds and deletes in one `ip -batch` process.
  : >"$RESULTS_DIR/batch.add"; : >"$RESULTS_DIR/batch.del"
  for k in $(seq 0 $((COUNT - 1))); do
    echo "netns add $PREFIX$k" >>"$RESULTS_DIR/batch.add"; echo "netns del $PREFIX$k" >>"$RESULTS_DIR/batch.del"
  done
  t0=$(usec); ip -batch "$RESULTS_DIR/batch.add"; t1=$(usec); ip -batch "$RESULTS_DIR/batch.del"; t2=$(usec)
  echo "| ip -batch add x$COUNT | one process | $(( (t1 - t0) / COUNT )) us/op | | 1 cycle |"
  echo "| ip -batch del x$COUNT | one process | $(( (t2 - t1) / COUNT )) us/op | | 1 cycle |"
  hf "floor: /bin/true" "/bin/true"
} | tee "$OUT"

python3 - "$OUT" <<'PY' | tee -a "$OUT"
import re, sys
rows = {}
for line in open(sys.argv[1]):
    m = re.match(r"\| (\w+) (add|del) x\d+ \| churn \| ([0-9.]+) ms/op", line)
    if m:
        rows[(m.group(1), m.group(2))] = float(m.group(3))
    m = re.match(r"\| (\w+) exec \| `.+?` \| ([0-9.]+) ms", line)
    if m:
        rows[(m.group(1), "exec")] = float(m.group(2))
print("\n| per operation | ip netns | lxns netns | ip / lxns | target | C floor | ip / floor | musl build | ip / musl |")
print("|---|---|---|---|---|---|---|---|---|")
for op, target in [("add", "1.5x"), ("del", "1.5x"), ("exec", "1.3x")]:
    ip, lx = rows.get(("ip", op)), rows.get(("lxns", op))
    if not (ip and lx):
        continue
    cells = [f"{ip:.3f} ms", f"{lx:.3f} ms", f"{ip/lx:.2f}x", target]
    for who in ["floor", "musl"]:
        v = rows.get((who, op))
        cells += [f"{v:.3f} ms", f"{ip/v:.2f}x"] if v else ["-", "-"]
    print(f"| {op} | " + " | ".join(cells) + " |")
PY
