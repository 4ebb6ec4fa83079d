#!/usr/bin/env bash
# Listing every namespace as the system grows: `lxns ls` beside lsns(8) (plain, -J, -t net)
# with LEVELS extra processes, each in new net+uts namespaces of its own (`unshare -nu
# sleep`; levels are cumulative). `ip netns list` and two shell scans of /proc (ls -l, stat)
# are printed beside them for scale.
# Usage (as root): bench/listing.sh      [LEVELS="0 100 1000 3000" RUNS=20 WARMUP=2]
# Leaves nothing behind: every process it starts is stopped by its pid.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/common.sh"
command -v hyperfine >/dev/null || apt_install hyperfine
export RUNS=${RUNS:-20} WARMUP=${WARMUP:-2}
LEVELS=${LEVELS:-0 100 1000 3000}
scratch_dir
(cd "$ROOT" && cargo build --quiet "${STATIC[@]}" -p lxns-cli)
as_installed "$L"
OUT="$RESULTS_DIR/listing.md"
trap stop_started EXIT
# Not a pipeline: the processes started in the block must be recorded in this shell.
{
  machine_line
  echo "<!-- before: $(ps -e --no-headers | wc -l) processes, $(lsns -n -t net | wc -l) net namespaces -->"
  table_head
  for n in $LEVELS; do
    while [ "${#STARTED[@]}" -lt "$n" ]; do
      unshare -nu sleep 3600 </dev/null >/dev/null 2>&1 &
      STARTED+=("$!")
    done
    # The newest one has unshared, and each is started after the one before.
    [ "$n" = 0 ] || in_other_ns "${STARTED[-1]}" net
    echo "<!-- N=$n: $(ps -e --no-headers | wc -l) processes -->"
    hf "N=$n lsns" "lsns"
    hf "N=$n lsns -J" "lsns -J"
    hf "N=$n lsns -t net" "lsns -t net"
    hf "N=$n lxns ls" "$L ls"
    hf "N=$n lxns ls -J" "$L ls -J"
    hf "N=$n lxns ls -t net" "$L ls -t net"
    hf "N=$n ip netns list" "ip netns list"
    hf "N=$n ls -l /proc/*/ns" "sh -c 'ls -l /proc/[0-9]*/ns/ >/dev/null 2>&1; true'"
    hf "N=$n stat ns/net scan" "sh -c 'stat -L -c %i /proc/[0-9]*/ns/net >/dev/null 2>&1; true'"
  done
} >"$OUT"
cat "$OUT"

python3 - "$OUT" <<'PY' | tee -a "$OUT"
import re, sys
rows = {}
for line in open(sys.argv[1]):
    m = re.match(r"\| N=(\d+) (.+?) \| `.+?` \| ([0-9.]+) ms", line)
    if m:
        rows[(int(m.group(1)), m.group(2))] = float(m.group(3))
print("\n| N | lsns | lxns ls | ratio | lsns -J | lxns ls -J | ratio | lsns -t net | lxns ls -t net | ratio |")
print("|---|---|---|---|---|---|---|---|---|---|")
for n in sorted({k[0] for k in rows}):
    cells = []
    for flags in ["", " -J", " -t net"]:
        a, b = rows.get((n, "lsns" + flags)), rows.get((n, "lxns ls" + flags))
        cells += [f"{a:.2f} ms" if a else "-", f"{b:.2f} ms" if b else "-", f"{a/b:.1f}x" if a and b else "-"]
    print(f"| {n} | " + " | ".join(cells) + " |")
PY
