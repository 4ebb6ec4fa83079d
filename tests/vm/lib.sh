# Sourced by tests/vm/run.sh and bench/kernels.sh: boots Debian 12's kernels in qemu with
# virtme-ng. Needs root on Debian 12, x86_64. Sets: vm_root (the checkout), vm_dir
# (target/vm). Functions: vm_setup, vm_kernel SERIES (prints the vmlinuz path), vm_boot
# VMLINUZ SCRIPT LOG (runs `bash SCRIPT` in the guest; 45 minutes at most).
#
# The guest boots the kernel on a copy-on-write view of the host's filesystem (virtme-ng),
# so binaries built here run there unchanged; target/ is shared read-write, and /root is an
# overlay (cargo may write there). qemu runs in software emulation (TCG): /dev/kvm on these
# machines is PVM-backed and hangs stock kernels. virtme-ng's own exit status and console
# are unreliable without udev in the guest, so guest scripts write results to files.

vm_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
vm_dir=$vm_root/target/vm

vm_setup() {
  [ "$(uname -m)" = x86_64 ] || { echo "vm: x86_64 hosts only (Debian amd64 kernels)" >&2; return 2; }
  [ "$(id -u)" = 0 ] || { echo "vm: run as root" >&2; return 2; }
  mkdir -p "$vm_dir/kernels" "$vm_dir/results"
  local missing=()
  command -v qemu-system-x86_64 >/dev/null || missing+=(qemu-system-x86)
  command -v modprobe >/dev/null || missing+=(kmod)
  # virtme-ng builds the guest's initramfs with busybox.
  command -v busybox >/dev/null || missing+=(busybox-static)
  if [ ${#missing[@]} -gt 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  if [ ! -x "$vm_dir/venv/bin/vng" ]; then
    python3 -m venv "$vm_dir/venv"
    "$vm_dir/venv/bin/pip" install -q --disable-pip-version-check 'virtme-ng==1.42'
  fi
}

# The newest Debian package of a kernel series (generic amd64 flavour; not cloud, rt, dbg).
vm_package() {
  local re=${1//./\\.}
  apt-cache search --names-only "^linux-image-$re\\.[0-9]" 2>/dev/null | awk '{print $1}' |
    grep -E "^linux-image-$re\\.[0-9]+(-[0-9]+|\\+deb[0-9]+)-amd64\$" | sort -V | tail -1
}

vm_kernel() {
  local series=$1 pkg dir
  pkg=$(vm_package "$series")
  if [ -z "$pkg" ]; then
    apt-get update -qq
    pkg=$(vm_package "$series")
  fi
  [ -n "$pkg" ] || { echo "vm: no Debian package for Linux $series" >&2; return 1; }
  dir=$vm_dir/kernels/$pkg
  if ! ls "$dir"/boot/vmlinuz-* >/dev/null 2>&1; then
    rm -rf "$dir" && mkdir -p "$dir"
    (cd "$vm_dir/kernels" && rm -f "${pkg}"_*.deb && apt-get download -q "$pkg" >/dev/null 2>&1 &&
      dpkg-deb -x "${pkg}"_*.deb "$dir" && rm -f "${pkg}"_*.deb) || return 1
  fi
  ls "$dir"/boot/vmlinuz-*
}

vm_boot() {
  local vmlinuz=$1 script=$2 log=$3
  # 2 vCPUs and 4 GiB, as on the host kind. vng runs virtme-run by name, so the venv's bin
  # must be on PATH (on a fresh machine nothing else provides it).
  PATH="$vm_dir/venv/bin:$PATH" timeout 2700 "$vm_dir/venv/bin/vng" -r "$vmlinuz" --disable-kvm -p 2 -m 4G \
    --rwdir "$vm_root/target" --overlay-rwdir /root --cwd "$vm_root" \
    -- "bash $script" >"$log" 2>&1 </dev/null || true
}
