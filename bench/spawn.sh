#!/usr/bin/env bash
# Spawning and entering, against the anchors, in one run with ratios:
#  - `lxns run` beside unshare(1) and bwrap(1), and `lxns enter` beside nsenter(1), each
#    starting /bin/true (hyperfine, whole commands), plus bench/src/floor.c: the least any tool
#    can do for the same job (its system calls only), the bound on any ratio;
#  - the library's spawn+wait of /bin/true in new user+net namespaces
#    (examples/spawn_loop.rs) against a C clone3+exec+waitid loop (bench/src/clone3_loop.c).
# If the x86_64-unknown-linux-musl target is installed, a musl build of lxns is timed too
# (same code, no glibc start-up; see BENCHMARKS.md).
# Usage (as root): bench/spawn.sh     [RUNS=200 WARMUP=20 ITERS=300 REPS=7]
# Leaves nothing behind: the enter target is stopped by its pids; every process is waited for.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/common.sh"
command -v hyperfine >/dev/null || apt_install hyperfine
command -v bwrap >/dev/null || apt_install bubblewrap || echo "bwrap could not be installed: its rows are missing" >&2
export RUNS=${RUNS:-200} WARMUP=${WARMUP:-20}
ITERS=${ITERS:-300} REPS=${REPS:-7}
scratch_dir
(cd "$ROOT" && cargo build --quiet "${STATIC[@]}" -p lxns-cli && cargo build --quiet "${STATIC[@]}" -p lxns --example spawn_loop)
BIN="$RESULTS_DIR/bin"; mkdir -p "$BIN"
F=$(floor_build)
cc -O2 -o "$BIN/clone3_loop" "$HERE/src/clone3_loop.c"
M=$(musl_build || true)
as_installed "$L" "$F" ${M:+"$M"}
OUT="$RESULTS_DIR/spawn.md"
: >"$OUT"

{
  echo "## section 01: spawning /bin/true in new namespaces"
  machine_line
  table_head
  hf "floor: /bin/true" "/bin/true"
  hf "unshare user+net" "unshare -Urn /bin/true"
  hf "unshare user+mnt+pid+fork+proc" "unshare -Urmpf --mount-proc /bin/true"
  hf "unshare (root) mnt+net+pid+ipc+uts+fork+proc" "unshare -mnpiuf --mount-proc /bin/true"
  hf "unshare (root) net only" "unshare -n /bin/true"
  hf "unshare (root) uts only" "unshare -u /bin/true"
  if command -v bwrap >/dev/null; then
    hf "bwrap all ns (user,ipc,pid,net,uts,cgroup)" "bwrap --unshare-all --dev-bind / / /bin/true"
    hf "bwrap user+net" "bwrap --unshare-user --unshare-net --dev-bind / / /bin/true"
  fi
  hf "lxns user+net" "$L run -Urn -- /bin/true"
  hf "lxns user+mnt+pid+fork+proc" "$L run -Urmpf --mount-proc -- /bin/true"
  hf "lxns (root) mnt+net+pid+ipc+uts+fork+proc" "$L run -mnpiuf --mount-proc -- /bin/true"
  hf "lxns (root) net only" "$L run -n -- /bin/true"
  hf "lxns (root) uts only" "$L run -u -- /bin/true"
  hf "C floor user+net" "$F urn /bin/true"
  hf "C floor mnt+net+pid+ipc+uts+fork+proc" "$F mnpiuf /bin/true"
  if [ -n "$M" ]; then
    hf "lxns musl user+net" "$M run -Urn -- /bin/true"
    hf "lxns musl mnt+net+pid+ipc+uts+fork+proc" "$M run -mnpiuf --mount-proc -- /bin/true"
  fi
} | tee -a "$OUT"

# The target of the enter benchmarks: new mnt+net+pid+ipc+uts namespaces held by a sleep that
# is pid 1 of its pid namespace (unshare -f's child, which --kill-child ends with unshare);
# both are stopped by pid at the end.
trap stop_started EXIT
unshare -mnpiuf --kill-child --mount-proc sleep 3600 </dev/null >/dev/null 2>&1 &
STARTED+=("$!")
T=$(first_child "$!")
STARTED+=("$T")
in_other_ns "$T" net
{
  echo "## section 02: entering the namespaces of pid $T ($(readlink /proc/$T/ns/net))"
  machine_line
  table_head
  hf "floor: /bin/true" "/bin/true"
  hf "nsenter all ns (-a)" "nsenter -t $T -a /bin/true"
  hf "nsenter net only (-n)" "nsenter -t $T -n /bin/true"
  hf "nsenter mnt only (-m)" "nsenter -t $T -m /bin/true"
  hf "lxns all ns (-a)" "$L enter -t $T -a -- /bin/true"
  hf "lxns net only (-n)" "$L enter -t $T -n -- /bin/true"
  hf "lxns mnt only (-m)" "$L enter -t $T -m -- /bin/true"
  hf "C floor net" "$F setns-net $T /bin/true"
  [ -z "$M" ] || hf "lxns musl net only (-n)" "$M enter -t $T -n -- /bin/true"
} | tee -a "$OUT"

echo "## section loop: spawn+wait of /bin/true in new user+net namespaces, $ITERS x $REPS" | tee -a "$OUT"
"$BIN/clone3_loop" "$ITERS" "$REPS" | sed 's/^ITER /C /' | tee -a "$OUT"
"$REL/examples/spawn_loop" "$ITERS" "$REPS" | sed 's/^ITER /lxns /' | tee -a "$OUT"

python3 - "$OUT" "$L" "$M" "$F" <<'PY'
import re, statistics, sys
out, L, M, floor = sys.argv[1:5]
rows, loops = {}, {}
for line in open(out):
    m = re.match(r"\| (.+?) \| `(.+?)` \| ([0-9.]+) ms", line)
    if m:
        rows[m.group(2)] = float(m.group(3))
    m = re.match(r"(C|lxns) (plain|maps|plain-clone|maps-clone) ([0-9]+)$", line.strip())
    if m:
        loops.setdefault((m.group(1), m.group(2)), []).append(int(m.group(3)) / 1000)
def find(prefix):
    for cmd, ms in rows.items():
        if cmd.startswith(prefix):
            return cmd, ms
    return prefix, None
pairs = [
    (f"{L} run -Urn", "unshare -Urn", "1.3x"),
    (f"{L} run -Urn", "bwrap --unshare-user --unshare-net", "2x"),
    (f"{L} run -Urmpf", "unshare -Urmpf", ""),
    (f"{L} run -mnpiuf", "unshare -mnpiuf", "1.3x"),
    (f"{L} run -mnpiuf", "bwrap --unshare-all", "2x"),
    (f"{L} run -n", "unshare -n", ""),
    (f"{L} run -u", "unshare -u", ""),
    (f"{floor} urn", "unshare -Urn", "(floor)"),
    (f"{floor} mnpiuf", "unshare -mnpiuf", "(floor)"),
]
print("\n| lxns (or floor) | ms | anchor | ms | anchor / lxns | target |")
print("|---|---|---|---|---|---|")
def show(a, b, target):
    (ca, ma), (cb, mb) = find(a), find(b)
    if ma and mb:
        print(f"| `{ca}` | {ma:.3f} | `{cb}` | {mb:.3f} | {mb/ma:.2f}x | {target} |")
for a, b, t in pairs:
    show(a, b, t)
for flag in ["-a", "-n", "-m"]:
    for cmd, ms in rows.items():
        if cmd.startswith(f"{L} enter -t") and f" {flag} " in cmd:
            for cmd2, ms2 in rows.items():
                if cmd2.startswith("nsenter -t") and f" {flag} " in cmd2:
                    print(f"| `{cmd}` | {ms:.3f} | `{cmd2}` | {ms2:.3f} | {ms2/ms:.2f}x | {'1.3x' if flag == '-n' else ''} |")
for cmd, ms in rows.items():
    if cmd.startswith(floor + " setns-net"):
        for cmd2, ms2 in rows.items():
            if cmd2.startswith("nsenter -t") and " -n " in cmd2:
                print(f"| `{cmd}` | {ms:.3f} | `{cmd2}` | {ms2:.3f} | {ms2/ms:.2f}x | (floor) |")
if M:
    show(f"{M} run -Urn", "unshare -Urn", "(musl build)")
    show(f"{M} run -mnpiuf", "unshare -mnpiuf", "(musl build)")
    for cmd, ms in rows.items():
        if cmd.startswith(f"{M} enter"):
            for cmd2, ms2 in rows.items():
                if cmd2.startswith("nsenter -t") and " -n " in cmd2:
                    print(f"| `{cmd}` | {ms:.3f} | `{cmd2}` | {ms2:.3f} | {ms2/ms:.2f}x | (musl build) |")
print("\n| loop (us per spawn+wait, median of reps) | lxns | C clone3 | lxns / C | target |")
print("|---|---|---|---|---|")
# "-clone": lxns on a thread whose seccomp filter blocks clone3 (the clone(2) fallback),
# against the same C clone3 loop.
for mode, target in [("plain", "within 1.05x"), ("maps", "within 1.05x"),
                     ("plain-clone", "within 1.1x"), ("maps-clone", "within 1.1x")]:
    a, b = loops.get(("lxns", mode)), loops.get(("C", mode.removesuffix("-clone")))
    if a and b:
        a, b = statistics.median(a), statistics.median(b)
        print(f"| {mode} | {a:.1f} | {b:.1f} | {a/b:.2f}x | {target} |")
PY
