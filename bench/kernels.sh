#!/usr/bin/env bash
# The enter/return loops on each kernel: this machine's, then Debian 12's 6.1 and 6.12 in
# qemu VMs (tests/vm/lib.sh), lxns beside its C floor in the same run and the same VM.
#
#   bench/kernels.sh [SERIES...]        # default: 6.1 6.12
#
# lxns: crates/lxns/examples/setns_loop.rs (`Namespace::of_process` + enter + return +
# drop; on 6.1 of_process takes the /proc fallback). C: bench/src/setns_loop.c (open +
# setns + setns + close, and the "pidfd-floor": the least C that gives lxns's guarantee). Prints, per kernel and variant, the median ns per iteration of
# each and the ratio lxns/C; writes the table to bench/results/DATE/kernels.md.
# Under qemu's software emulation absolute times are slow; the ratios are what compare.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=tests/vm/lib.sh
source tests/vm/lib.sh
series=("$@")
[ ${#series[@]} -gt 0 ] || series=(6.1 6.12)
vm_setup
out=$vm_dir/bench
rm -rf "$out" && mkdir -p "$out"
cargo build --release --locked --quiet -p lxns --example setns_loop
gcc -O2 -o "$out/setns_loop_c" bench/src/setns_loop.c
rust=$vm_root/target/release/examples/setns_loop
iters=${ITERS:-5000}
reps=${REPS:-7}

# The measurement, the same on the host and in a guest: a holder in a new network
# namespace, then C and lxns interleaved, twice.
cat >"$out/measure.sh" <<EOS
set -eu
dest=\$1
unshare -n sleep 600 &
holder=\$!
# Wait until the holder is in its own network namespace.
while [ "\$(readlink /proc/\$holder/ns/net)" = "\$(readlink /proc/self/ns/net)" ]; do :; done
: >"\$dest"
for round in 1 2; do
  "$out/setns_loop_c" \$holder $iters $reps | sed 's/^ITER /c /' >>"\$dest"
  "$rust" \$holder $iters $reps | sed 's/^ITER /lxns /' >>"\$dest"
done
kill \$holder
wait \$holder 2>/dev/null || true
uname -r >"\$dest.kernel"
EOS

bash "$out/measure.sh" "$out/host.txt"
for s in "${series[@]}"; do
  echo "bash $out/measure.sh $out/$s.txt" >"$out/guest-$s.sh"
  vm_boot "$(vm_kernel "$s")" "$out/guest-$s.sh" "$out/console-$s.log"
done

median() { sort -n | awk '{a[NR]=$1} END {if (NR==0) print "nan"; else if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
table=$out/kernels.md
{
  echo "| kernel | lxns variant | C variant | C ns/iter | lxns ns/iter | lxns/C |"
  echo "|---|---|---|---|---|---|"
  for f in host "${series[@]}"; do
    [ -s "$out/$f.txt" ] || { echo "| $f | (no result: see $out/console-$f.log) | | | |"; continue; }
    kernel=$(cat "$out/$f.txt.kernel")
    # lxns's of_process loop against the plain C open loop, and against the C floor of the
    # same guarantee (pidfd first, the namespace, the liveness check, fstat).
    for pair in "open-setns-back-close open-setns-back-close" \
                "open-setns-back-close pidfd-floor" \
                "setns-pair(pre-opened) setns-pair(pre-opened)"; do
      lv=${pair% *} cv=${pair#* }
      c=$(awk -v v="$cv" '$1=="c" && $2==v {print $3}' "$out/$f.txt" | median)
      l=$(awk -v v="$lv" '$1=="lxns" && $2==v {print $3}' "$out/$f.txt" | median)
      r=$(awk -v c="$c" -v l="$l" 'BEGIN {printf "%.2f", l / c}')
      echo "| $kernel | $lv | $cv | $c | $l | $r |"
    done
  done
} >"$table"
cat "$table"
dest=bench/results/$(date +%F)
mkdir -p "$dest"
cp "$table" "$dest/kernels.md"
