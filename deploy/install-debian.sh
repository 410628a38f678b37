#!/usr/bin/env bash
# Install the Debian packages Fabricgraph needs (idempotent; root only).
set -euo pipefail
# prometheus and chromium: the operations views' tests (a real Prometheus, a headless
# browser); the dashboard schema check also needs Node.js with npm (present on this machine kind)
# haproxy: one address in front of the API replicas (deploy/replicas.sh)
# user-mode-linux, kmod, gcc, libc6-dev: the tenant lab in a full kernel (lab/README.md)
# dnsmasq-base, isc-dhcp-client, curl, ethtool: the lab's management network (DHCP server,
# the switches' DHCP client, their ZTP agent's downloads, checksum offload off; lab/mgmt.py)
# libvirt-daemon, its LXC driver and libvirt-clients: the virtual layer's libvirt source
# (a private daemon, deploy/libvirt.sh; virsh as its client)
pkgs=(redis-server frr frr-pythontools lldpd iproute2 iputils-ping openssh-server procps maven
      prometheus chromium haproxy user-mode-linux kmod gcc libc6-dev dnsmasq-base
      isc-dhcp-client curl ethtool libvirt-daemon libvirt-daemon-driver-lxc libvirt-clients)
# UML's modprobe looks in /lib/modules/<release>; Debian ships them under /usr/lib/uml/modules
uml_modules() {
  [ "$(id -u)" = 0 ] || return 0
  for dir in /usr/lib/uml/modules/*/; do
    [ -d "$dir" ] || continue
    rel=$(basename "$dir"); [ -e "/lib/modules/$rel" ] && continue
    mkdir -p /lib/modules && ln -sfn "/usr/lib/uml/modules/$rel" "/lib/modules/$rel"
  done
}
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
[ ${#missing[@]} -eq 0 ] && { uml_modules; echo "debian packages: all present"; exit 0; }
if [ "$(id -u)" != 0 ]; then
  echo "missing Debian packages: ${missing[*]}; run as root or: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "debian packages: installing ${missing[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The project runs its own Redis, FRR, lldpd and Prometheus instances (by pid, per namespace,
# own ports); an auto-started distribution prometheus service is left alone.
# nothing here starts or stops the distribution's services.
uml_modules
