#!/bin/sh
# One switch per UML kernel (the alternative measured in lab/README.md): FRR's
# zebra/bgpd/staticd and lldpd started as the lab starts them, then the kernel idles
# for $fg_idle seconds so its CPU use can be read from the machine; prints timings.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
export GLIBC_TUNABLES=glibc.cpu.hwcaps=-AVX512F,-AVX512VL,-AVX512BW,-AVX512DQ,-AVX512CD
mount -t proc proc /proc; mount -t sysfs sys /sys
mount -t tmpfs -o mode=755 tmpfs /run; mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs -o mode=755 tmpfs /var/log
mkdir -p /run/frr/sw /var/log/frr /run/lldpd; chown -R frr:frr /run/frr /var/log/frr
modprobe -a vrf bridge veth
echo "T kernel_up $(cut -d' ' -f1 /proc/uptime)"
for p in 1 2 3 4 5 6 7 8; do ip link add swp$p type veth peer name peer$p; done
d=/run/frr/sw
printf 'frr defaults datacenter\nhostname sw\nlog syslog informational\n!\n' > $d/frr.conf
touch $d/vtysh.conf; chown frr:frr $d/frr.conf
for daemon in zebra bgpd staticd; do
  /usr/lib/frr/$daemon -d -N sw -z $d/zserv.api -i $d/$daemon.pid --vty_socket $d -P 0 -f $d/frr.conf
  [ $daemon = zebra ] && while [ ! -S $d/zserv.api ]; do sleep 0.05; done
done
lldpd -u /run/lldpd.socket -I 'swp*'
vtysh --vty_socket $d -c 'show version' >/dev/null && echo "T daemons_up $(cut -d' ' -f1 /proc/uptime)"
free -m | sed -n 2p
sleep "${fg_idle:-60}"
echo "T done $(cut -d' ' -f1 /proc/uptime)"
halt -f
