#!/bin/sh
# PID 1 of the tenant lab's User-Mode Linux kernel (lab/uml/tenants.py boots it).
# The kernel passes fg_job (the job folder on the machine's filesystem, seen over
# hostfs) and fg_root (this worktree) as environment variables. Everything the guest
# writes at run time stays on its tmpfs mounts, except result.json in the job folder.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
# lab/uml/xstate_shim.c: AVX-512 state is not switched between the guest's threads
export GLIBC_TUNABLES=glibc.cpu.hwcaps=-AVX512F,-AVX512VL,-AVX512BW,-AVX512DQ,-AVX512CD
export HOME=/root PYTHONDONTWRITEBYTECODE=1
mount -t proc proc /proc; mount -t sysfs sys /sys
mount -t tmpfs -o mode=755 tmpfs /run; mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs -o mode=755 tmpfs /var/log
# root's shell start-up files on the machine (toolchains' env scripts) would run at every
# SSH session into a switch: inside the guest they read as empty
for f in .bashrc .profile .bash_profile .bash_login; do
  [ -f "/root/$f" ] && mount --bind /dev/null "/root/$f"
done
mkdir -p /run/netns /var/log/frr; chown frr:frr /var/log/frr
modprobe -a vrf bridge vxlan 8021q veth
ip link set lo up
cd "$fg_root" && "$fg_root/.venv/bin/python" -m lab.uml.tenant_guest "$fg_job" \
  >"$fg_job/guest.log" 2>&1
echo "guest exit $?" >>"$fg_job/guest.log"
halt -f -p
