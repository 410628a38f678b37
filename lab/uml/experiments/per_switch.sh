#!/bin/sh
# Boot N UML kernels at once, one switch's daemons each (switch_init.sh); print each
# kernel's boot timings, then the kernels' memory (PSS) and CPU while the daemons idle.
set -eu
n=${1:-6}; idle=${2:-60}
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d /tmp/fg-uml-per-switch.XXXXXX)
trap 'rm -rf "$dir"' EXIT
gcc -O2 -shared -fPIC -o "$dir/shim.so" "$here/../xstate_shim.c" -ldl
start=$(date +%s.%N)
for i in $(seq 1 "$n"); do
  mkdir -p "$dir/k$i"
  LD_PRELOAD="$dir/shim.so" setsid nice -n -10 linux.uml mem=256M umid="fg-sw$i" uml_dir="$dir/k$i" \
    root=/dev/root rootfstype=hostfs rootflags=/ rw init="$here/switch_init.sh" fg_idle="$idle" \
    con=null con0=null,fd:1 </dev/null >"$dir/k$i.log" 2>&1 &
  echo $! > "$dir/k$i.pid"
done
until [ "$(grep -l daemons_up "$dir"/k*.log 2>/dev/null | wc -l)" -ge "$n" ]; do sleep 0.5; done
up=$(date +%s.%N)
echo "all $n kernels with daemons up after $(echo "$up - $start" | bc) s"
pids() { for f in "$dir"/k*.pid; do pgrep -g "$(cat "$f")" 2>/dev/null || true; done; }
ticks() { for p in $(pids); do awk '{print $14+$15}' /proc/$p/stat 2>/dev/null; done | paste -sd+ | bc; }
sleep 5; t0=$(ticks); sleep 30; t1=$(ticks)
pss=$(for p in $(pids); do awk '/^Pss:/{print $2}' /proc/$p/smaps_rollup 2>/dev/null; done | paste -sd+ | bc)
echo "idle CPU over 30 s: $(echo "($t1 - $t0) / 100" | bc -l | cut -c1-5) s; PSS total $((pss / 1024)) MB"
grep -h "^T \|Mem:" "$dir"/k1.log
wait
