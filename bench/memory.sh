#!/usr/bin/env bash
# Peak RSS (max resident set, KiB; GNU time's %M) of each lxns command beside the tool it
# replaces, same machine, same moment. Usage (as root): bench/memory.sh
# Leaves nothing behind: the netns names it adds are deleted, the target it starts is killed.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/common.sh"
(cd "$ROOT" && cargo build --quiet "${STATIC[@]}" -p lxns-cli)
as_installed "$L"
TIME=/usr/bin/time
[ -x "$TIME" ] || apt_install time
RUN_NETNS_EXISTED=0; [ -d /run/netns ] && RUN_NETNS_EXISTED=1
NAME="lxns-mem-$$"
cleanup() {
  stop_started
  ip netns del "$NAME-ip" 2>/dev/null || true; "$L" netns del "$NAME-lxns" 2>/dev/null || true
  if [ "$RUN_NETNS_EXISTED" = 0 ] && [ -d /run/netns ] && [ -z "$(ls -A /run/netns)" ]; then
    umount /run/netns 2>/dev/null || true; rmdir /run/netns 2>/dev/null || true
  fi
}
trap cleanup EXIT
net_holder
TARGET=$HOLDER
rss() { "$TIME" -f %M "$@" 2>&1 >/dev/null | tail -1; }
echo "| command | peak RSS KiB | anchor | peak RSS KiB |"
echo "|---|---|---|---|"
row() { printf '| `%s` | %s | `%s` | %s |\n' "$1" "$(rss $1)" "$2" "$(rss $2)"; }
row "$L ls" "lsns"
row "$L ls -J" "lsns -J"
row "$L enter -t $TARGET -n -- /bin/true" "nsenter -t $TARGET -n /bin/true"
row "$L run -Urn -- /bin/true" "unshare -Urn /bin/true"
row "$L run -mnpiuf --mount-proc -- /bin/true" "unshare -mnpiuf --mount-proc /bin/true"
row "$L netns add $NAME-lxns" "ip netns add $NAME-ip"
row "$L netns list" "ip netns list"
row "$L netns del $NAME-lxns" "ip netns del $NAME-ip"
