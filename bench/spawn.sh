#!/usr/bin/env bash
# Spawning and entering, against the anchors, in one run with ratios:
#  - ../shared/bench/01-spawn.sh (unshare, bwrap) and 02-enter.sh (nsenter), with `lxns run`
#    and `lxns enter` as their ALT lines, plus bench/src/floor.c: the least any tool can do
#    for the same job (its system calls only), the bound on any ratio;
#  - the library's spawn+wait of /bin/true in new user+net namespaces
#    (examples/spawn_loop.rs) against a C clone3+exec+waitid loop (bench/src/clone3_loop.c).
# If the x86_64-unknown-linux-musl target is installed, a musl build of lxns is timed too
# (same code, no glibc start-up; see BENCHMARKS.md).
# Usage (as root): bench/spawn.sh     [RUNS=200 WARMUP=20 ITERS=300 REPS=7 ANCHORS=…]
# Leaves nothing behind: the anchors kill their targets; every process here is waited for.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/common.sh"
need_anchors 01-spawn.sh
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

ALT="$L run -Urn -- /bin/true
$L run -Urmpf --mount-proc -- /bin/true
$L run -mnpiuf --mount-proc -- /bin/true
$L run -n -- /bin/true
$L run -u -- /bin/true
$F urn /bin/true
$F mnpiuf /bin/true"
[ -n "$M" ] && ALT="$ALT
$M run -Urn -- /bin/true
$M run -mnpiuf --mount-proc -- /bin/true"
echo "## section 01: 01-spawn.sh" | tee -a "$OUT"
ALT="$ALT" bash "$ANCHORS/01-spawn.sh" | tee -a "$OUT"

ALT="$L enter -t {pid} -a -- /bin/true
$L enter -t {pid} -n -- /bin/true
$L enter -t {pid} -m -- /bin/true
$F setns-net {pid} /bin/true"
[ -n "$M" ] && ALT="$ALT
$M enter -t {pid} -n -- /bin/true"
echo "## section 02: 02-enter.sh" | tee -a "$OUT"
ALT="$ALT" bash "$ANCHORS/02-enter.sh" | tee -a "$OUT"

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
