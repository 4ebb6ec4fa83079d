#!/usr/bin/env bash
# The whole test suite on other kernels: boots each of Debian 12's kernels named on the
# command line (default: 6.1 and 6.12, the LTS kernels Debian 12 ships) in a qemu VM and
# runs `CI=true cargo test --workspace` inside, then the thread-exit tests 20 more times.
#
#   tests/vm/run.sh [6.1] [6.12] ...
#
# Needs root (the tests do) on Debian 12, x86_64. Installs what is missing: qemu-system-x86
# and kmod from Debian, virtme-ng from PyPI (in a venv under target/vm). Kernels come from
# Debian's archive (`apt-get download`, unpacked with `dpkg-deb -x`; nothing is installed on
# the host) and are cached in target/vm/kernels. How the VM works: tests/vm/lib.sh.
# Results (logs per kernel): target/vm/results/SERIES/. In the guest LXNS_TEST_VM=1 makes
# the loops that hunt rare races run a twentieth of their rounds (emulation is ~20x slower).
#
# Prints one line per kernel (tests run, passed, failed, wall time) and exits 1 if any
# kernel's run failed, did not finish, or ran no test.
set -euo pipefail
# shellcheck source=tests/vm/lib.sh
source "$(dirname "$0")/lib.sh"
root=$vm_root
vm=$vm_dir
cd "$root"

kernels=("$@")
[ ${#kernels[@]} -gt 0 ] || kernels=(6.1 6.12)
vm_setup

# Build everything the guest runs, here (the guest's cargo then only runs the tests).
cargo test --workspace --locked --no-run --quiet 2>/dev/null || cargo test --workspace --locked --no-run
# The two test binaries the repeats run directly (cargo's own start is slow under emulation).
mapfile -t repeat_bins < <(cargo test -p lxns --locked --test run --test run_pool_failure \
  --no-run --message-format=json 2>/dev/null | grep -o '"executable":"[^"]*"' | cut -d'"' -f4)
run_bin=$(printf '%s\n' "${repeat_bins[@]}" | grep '/run-')
pool_bin=$(printf '%s\n' "${repeat_bins[@]}" | grep '/run_pool_failure-')
[ -x "$run_bin" ] && [ -x "$pool_bin" ] || { echo "tests/vm/run.sh: test binaries not found" >&2; exit 1; }

cargo_bin=$(dirname "$(command -v cargo)")
failed=0
summary=()
for series in "${kernels[@]}"; do
  vmlinuz=$(vm_kernel "$series")
  out=$vm/results/$series
  rm -rf "$out" && mkdir -p "$out"
  cat >"$out/guest.sh" <<EOF
set -u
export PATH=$cargo_bin:\$PATH CI=true LXNS_TEST_STRICT=1 LXNS_TEST_VM=1
cd $root
uname -r >$out/kernel
cargo test --workspace --offline --locked --no-fail-fast >$out/test.log 2>&1
echo \$? >$out/test.rc
# The thread-exit guarantee, 20 more times (the 200-thread and the failure-half-way tests).
: >$out/repeat.log
ok=0
cd $root/crates/lxns
for i in \$(seq 20); do
  if $run_bin --exact two_hundred_threads_each_land_in_their_namespace \
       failing_half_way_names_the_namespace_and_discards_the_thread >>$out/repeat.log 2>&1 &&
     $pool_bin >>$out/repeat.log 2>&1; then
    ok=\$((ok + 1))
  fi
done
echo \$ok >$out/repeat.ok
EOF
  start=$(date +%s)
  vm_boot "$vmlinuz" "$out/guest.sh" "$out/console.log"
  wall=$(($(date +%s) - start))
  kernel=$(cat "$out/kernel" 2>/dev/null || echo "did not boot")
  rc=$(cat "$out/test.rc" 2>/dev/null || echo none)
  passed=$({ grep -hoE '^test result: [a-zA-Z]+\. [0-9]+ passed' "$out/test.log" 2>/dev/null || true; } | awk '{s+=$4} END {print s+0}')
  nfailed=$({ grep -hoE '[0-9]+ failed;' "$out/test.log" 2>/dev/null || true; } | awk '{s+=$1} END {print s+0}')
  repeat=$(cat "$out/repeat.ok" 2>/dev/null || echo 0)
  line="Linux $series ($kernel): $((passed + nfailed)) tests run, $passed passed, $nfailed failed; thread-exit repeats $repeat/20 passed; ${wall}s"
  summary+=("$line")
  if [ "$rc" != 0 ] || [ "$nfailed" != 0 ] || [ "$passed" = 0 ] || [ "$repeat" != 20 ]; then
    failed=1
    summary+=("  FAILED (exit $rc): see $out/test.log, repeat.log and console.log")
    grep -hE '^test .* FAILED$|^    [a-z_:0-9]+$' "$out/test.log" 2>/dev/null | sort -u | sed 's/^/  /' | head -40 || true
  fi
done
printf '%s\n' "${summary[@]}"
exit $failed
