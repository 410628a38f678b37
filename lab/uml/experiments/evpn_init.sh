#!/bin/sh
# The next slices' kernel features inside the lab's UML kernel, checked by hand:
# a VRF, a vlan_filtering bridge with a VXLAN device, an 802.3ad bond between two
# namespaces, and FRR's advertise-all-vni exchanging EVPN type-3 routes between two
# switches. Boot it with lab/uml/experiments/evpn.sh; every check prints "OK <what>".
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
export GLIBC_TUNABLES=glibc.cpu.hwcaps=-AVX512F,-AVX512VL,-AVX512BW,-AVX512DQ,-AVX512CD
mount -t proc proc /proc; mount -t sysfs sys /sys
mount -t tmpfs -o mode=755 tmpfs /run; mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs -o mode=755 tmpfs /var/log
mkdir -p /run/netns /var/log/frr; chown frr:frr /var/log/frr
modprobe -a vrf bonding bridge vxlan 8021q dummy veth
ok() { echo "OK $*"; }
fail() { echo "FAIL $*"; }
for s in s1 s2; do
  ip netns add $s; ip -n $s link set lo up
  ip netns exec $s sysctl -q -w net.ipv4.ip_forward=1
done
# underlay: one routed link, loopbacks 10.0.0.1 / 10.0.0.2 as VTEP addresses
ip link add name swp1 netns s1 type veth peer name swp1 netns s2
ip -n s1 addr add 10.1.0.0/31 dev swp1; ip -n s2 addr add 10.1.0.1/31 dev swp1
ip -n s1 addr add 10.0.0.1/32 dev lo; ip -n s2 addr add 10.0.0.2/32 dev lo
ip -n s1 link set swp1 up; ip -n s2 link set swp1 up
i=1
for s in s1 s2; do
  # routing zone: VRF with a table
  ip -n $s link add red type vrf table 1001 && ip -n $s link set red up && ok "$s vrf red"
  # VLAN-aware bridge, VXLAN device (VNI 10010) mapped to VLAN 10
  ip -n $s link add br0 type bridge vlan_filtering 1 vlan_default_pvid 0 && ok "$s vlan_filtering bridge"
  ip -n $s link add vni10010 type vxlan id 10010 local 10.0.0.$i dstport 4789 nolearning \
    && ok "$s vxlan 10010"
  ip -n $s link set vni10010 master br0
  bridge -n $s vlan add dev vni10010 vid 10 pvid untagged
  bridge -n $s vlan add dev br0 vid 10 self
  ip -n $s link add link br0 name vlan10 type vlan id 10 && ok "$s svi vlan10"
  ip -n $s link set vlan10 master red
  ip -n $s addr add 10.10.0.254/24 dev vlan10
  for d in br0 vni10010 vlan10; do ip -n $s link set $d up; done
  i=$((i + 1))
done
bridge -n s1 vlan show dev vni10010 | grep -q "10 PVID" && ok "vlan 10 on vni10010"
# 802.3ad bond between two namespaces: server h1 with two members towards s1 (bond1)
ip netns add h1; ip -n h1 link set lo up
for m in 1 2; do ip link add name eth$m netns h1 type veth peer name sv$m netns s1; done
for ns in h1 s1; do
  ip -n $ns link add bond1 type bond mode 802.3ad miimon 100 lacp_rate fast && ok "$ns bond 802.3ad"
done
for m in 1 2; do
  ip -n h1 link set eth$m master bond1; ip -n s1 link set sv$m master bond1
done
ip -n h1 link set bond1 up; ip -n s1 link set bond1 up
FRR=/usr/lib/frr
for s in s1 s2; do
  d=/run/frr/$s; mkdir -p $d; chown frr:frr $d
  n=$([ $s = s1 ] && echo 1 || echo 2); peer=$([ $s = s1 ] && echo 10.1.0.1 || echo 10.1.0.0)
  cat > $d/frr.conf <<CONF
frr defaults datacenter
hostname $s
router bgp 6510$n
 bgp router-id 10.0.0.$n
 neighbor $peer remote-as external
 address-family ipv4 unicast
  network 10.0.0.$n/32
 exit-address-family
 address-family l2vpn evpn
  neighbor $peer activate
  advertise-all-vni
 exit-address-family
CONF
  chown frr:frr $d/frr.conf; touch $d/vtysh.conf
  for daemon in zebra bgpd; do
    ip netns exec $s $FRR/$daemon -d -N $s -z $d/zserv.api -i $d/$daemon.pid \
      --vty_socket $d -P 0 -f $d/frr.conf
    [ $daemon = zebra ] && sleep 2
  done
done
n=0
while [ $n -lt 60 ]; do
  grep -q "(bond1)" /proc/net/bonding/bond1 2>/dev/null
  out=$(ip netns exec s1 vtysh --vty_socket /run/frr/s1 -c 'show bgp l2vpn evpn route type multicast' 2>/dev/null)
  echo "$out" | grep -q "\[3\]:\[0\]:\[32\]:\[10.0.0.2\]" && break
  sleep 2; n=$((n + 1))
done
echo "$out"
echo "$out" | grep -q "\[3\]:\[0\]:\[32\]:\[10.0.0.2\]" && ok "s1 learned s2's EVPN type-3 route (VTEP 10.0.0.2)" \
  || fail "no type-3 route from s2"
ip netns exec s1 vtysh --vty_socket /run/frr/s1 -c 'show evpn vni 10010' | sed -n 1,12p
ip netns exec s1 vtysh --vty_socket /run/frr/s1 -c 'show evpn vni 10010' | grep -q "10.0.0.2" && ok "s1 has remote VTEP 10.0.0.2 for VNI 10010"
bridge -n s1 fdb show dev vni10010 | grep -q "dst 10.0.0.2" && ok "flood entry towards 10.0.0.2 in the VXLAN fdb"
grep -E "Bonding Mode|MII Status|Aggregator ID|Partner Mac" /proc/net/bonding/bond1 2>/dev/null | head -6
ip netns exec s1 cat /proc/net/bonding/bond1 | grep -q "IEEE 802.3ad" && ok "bond1 in 802.3ad mode"
ip netns exec h1 cat /proc/net/bonding/bond1 | grep -A2 "Partner Mac" | head -3
halt -f
