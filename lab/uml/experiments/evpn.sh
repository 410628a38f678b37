#!/bin/sh
# Boot the lab's UML kernel with evpn_init.sh as PID 1 (no network, nothing left behind).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d /tmp/fg-uml-evpn.XXXXXX)
trap 'rm -rf "$dir"' EXIT
gcc -O2 -shared -fPIC -o "$dir/shim.so" "$here/../xstate_shim.c" -ldl
LD_PRELOAD="$dir/shim.so" timeout 600 linux.uml mem=512M umid=fg-evpn uml_dir="$dir" \
  root=/dev/root rootfstype=hostfs rootflags=/ rw init="$here/evpn_init.sh" \
  con=null con0=null,fd:1 </dev/null 2>&1 | grep -v '^\[' | sed -n '/^OK\|^FAIL\|Route Distinguisher\|^ *\*>\|VNI\|Remote\|Bonding\|MII\|Aggregator\|Partner\|^BGP\|^Network/p'
