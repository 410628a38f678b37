# Shared by deploy/services.sh and deploy/replicas.sh (sourced; needs $state): processes
# recorded by pid under .state/, ports on 127.0.0.1.
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# a killed process may linger as a zombie until it is reaped: that is not alive
live_pid() { kill -0 "$1" 2>/dev/null && ! grep -qs '^[0-9]* (.*) Z' "/proc/$1/stat"; }
alive() { [ -f "$1" ] && live_pid "$(cat "$1")"; }
wait_port() {  # port name pidfile
  local t0=$SECONDS
  until port_busy "$1"; do
    if ! alive "$3"; then echo "$2: exited during start; see $state/logs/$2.log" >&2; tail -20 "$state/logs/$2.log" >&2; exit 1; fi
    if (( SECONDS - t0 > 60 )); then echo "$2: not listening on $1 after 60 s" >&2; exit 1; fi
    sleep 0.3
  done
}
stop_pid() {  # name pidfile
  local name=$1 pidfile=$2
  if alive "$pidfile"; then
    local pid; pid=$(cat "$pidfile")
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 40); do live_pid "$pid" || break; sleep 0.25; done
    live_pid "$pid" && { kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid"; }
    echo "$name: stopped (pid $pid)"
  fi
  rm -f "$pidfile"
}
