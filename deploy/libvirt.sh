#!/usr/bin/env bash
# A private libvirt daemon (LXC driver only) for the virtual layer's libvirt source.
# Usage: deploy/libvirt.sh start|stop|status|uri
#
# It runs as root in a mount namespace of its own: libvirt's fixed root paths
# (/run/libvirt, /var/lib/libvirt, /var/log/libvirt, /etc/libvirt) are bind mounts of
# directories under $FG_STATE_DIR/libvirt there, so the machine's own libvirt (if any) and
# other checkouts' daemons are untouched; clients reach it by its socket (`uri`). Only the
# LXC driver is loaded (LIBVIRT_DRIVER_DIR), and the namespace hides the cgroup v2 mount
# (libvirt 9.0's LXC driver refuses a host with both hierarchies mounted). `stop` destroys
# the daemon's running domains (their host veths go with them), then stops it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
state="${FG_STATE_DIR:-$root/.state}"
dir="$state/libvirt"
pidfile="$dir/run/libvirtd.pid"
drivers=/usr/lib/x86_64-linux-gnu/libvirt/connection-driver
mounts=(/run/libvirt /var/lib/libvirt /var/log/libvirt /etc/libvirt)
mkdir -p "$state/logs"
source "$here/pids.sh"

uri() { echo "lxc:///system?socket=$dir/run/libvirt-sock"; }
virsh_() { timeout 20 virsh -q -c "$(uri)" "$@"; }

start() {
  if alive "$pidfile"; then echo "libvirt: already running (pid $(cat "$pidfile"))"; return; fi
  command -v libvirtd >/dev/null && [ -e "$drivers/libvirt_driver_lxc.so" ] || {
    echo "libvirt: libvirtd or its LXC driver is missing (apt-get install libvirt-daemon libvirt-daemon-driver-lxc libvirt-clients)" >&2; exit 1; }
  mkdir -p "$dir"/{run,lib,log,etc,drivers}
  ln -sfn "$drivers/libvirt_driver_lxc.so" "$dir/drivers/libvirt_driver_lxc.so"
  for m in "${mounts[@]}"; do
    # a mount point the machine lacks is made once and recorded, so `stop` removes it
    [ -d "$m" ] || { mkdir -p "$m"; echo "$m" >> "$dir/made-mount-points"; }
  done
  cat > "$dir/namespace.sh" <<EOF
#!/bin/sh
set -e
mount --make-rprivate /
mount --bind "$dir/run" /run/libvirt
mount --bind "$dir/lib" /var/lib/libvirt
mount --bind "$dir/log" /var/log/libvirt
mount --bind "$dir/etc" /etc/libvirt
umount -l /sys/fs/cgroup/unified 2>/dev/null || true
LIBVIRT_DRIVER_DIR="$dir/drivers" exec /usr/sbin/libvirtd --pid-file "$dir/run/libvirtd.pid"
EOF
  chmod 700 "$dir/namespace.sh"
  rm -f "$pidfile"
  setsid unshare -m "$dir/namespace.sh" > "$state/logs/libvirt.log" 2>&1 &
  local t0=$SECONDS
  until [ -S "$dir/run/libvirt-sock" ] && alive "$pidfile" && virsh_ uri >/dev/null 2>&1; do
    if (( SECONDS - t0 > 30 )); then
      echo "libvirt: not answering after 30 s; see $state/logs/libvirt.log" >&2
      tail -5 "$state/logs/libvirt.log" >&2; exit 1
    fi
    sleep 0.3
  done
  echo "libvirt: up ($(uri), pid $(cat "$pidfile"))"
}

stop() {
  if alive "$pidfile"; then
    for dom in $(virsh_ list --uuid 2>/dev/null || true); do
      virsh_ destroy "$dom" >/dev/null 2>&1 || true
    done
    stop_pid libvirt "$pidfile"
  fi
  # the "machine" cgroups libvirt made for its domains, once empty (others' stay)
  for d in /sys/fs/cgroup/*/machine; do [ -d "$d" ] && rmdir "$d" 2>/dev/null || true; done
  if [ -f "$dir/made-mount-points" ]; then
    while read -r m; do rmdir "$m" 2>/dev/null || true; done < "$dir/made-mount-points"
    rm -f "$dir/made-mount-points"
  fi
}

status() {
  if alive "$pidfile"; then echo "libvirt: running (pid $(cat "$pidfile")), $(virsh_ list --all --name | grep -c . || true) domain(s)"
  else echo "libvirt: stopped"; fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  uri) uri ;;
  *) echo "usage: $0 start|stop|status|uri" >&2; exit 2 ;;
esac
