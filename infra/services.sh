#!/usr/bin/env bash
# Builds and starts the five services in the background (pids and logs under .run/), waits until each
# answers /health/ready; `infra/services.sh stop` stops them.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
run="$root/.run"
services=(Integrations Integrator Auditor Scheduler Reporting)
declare -A ports=([Reporting]=5080 [Scheduler]=5081 [Integrator]=5082 [Integrations]=5083 [Auditor]=5084)
configuration="${CONFIGURATION:-Release}"
# No MSBuild or compiler servers left behind holding the caller's terminal or pipe.
export MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_USE_MSBUILD_SERVER=0 UseSharedCompilation=false

stop() {
  for name in "${services[@]}"; do
    pidfile="$run/$name.pid"
    [[ -f "$pidfile" ]] || continue
    pid="$(cat "$pidfile")"
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      # The whole session: supervise.sh and the service it runs.
      kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
      echo "[services] stopped $name (pid $pid)"
    fi
    rm -f "$pidfile"
  done
}

start() {
  mkdir -p "$run/logs"
  # The administrator API key (role internal): made once, kept in .run/admin.key, given to Reporting.
  if [[ ! -s "$run/admin.key" ]]; then
    (umask 077; head -c 32 /dev/urandom | base64 | tr -d '=+/\n' >"$run/admin.key")
    echo "[services] generated the administrator API key in .run/admin.key"
  fi
  export Security__AdminKey
  Security__AdminKey="$(cat "$run/admin.key")"
  # shellcheck source=/dev/null
  source "$root/infra/env.sh"
  echo "[services] building ($configuration)"
  dotnet build "$root/Microservices.sln" -c "$configuration" -v quiet -nologo >"$run/logs/build.log" 2>&1 \
    || { tail -n 40 "$run/logs/build.log"; echo "[services] build failed (full log: $run/logs/build.log)" >&2; exit 1; }
  for name in "${services[@]}"; do
    pidfile="$run/$name.pid"
    if [[ -f "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
      echo "[services] $name already running (pid $(cat "$pidfile"))"
      continue
    fi
    dll="$root/services/$name/bin/$configuration/net10.0/$name.dll"
    cd "$root/services/$name/bin/$configuration/net10.0"
    # setsid: the service outlives this script and holds none of its file descriptors; supervise.sh starts it again when it asks
    # to be (exit 75, the send watchdog), as Kubernetes or systemd would.
    Urls="http://127.0.0.1:${ports[$name]}" setsid bash "$root/infra/supervise.sh" dotnet "$dll" >>"$run/logs/$name.log" 2>&1 </dev/null &
    echo $! >"$pidfile"
    cd "$root"
    echo "[services] started $name on http://127.0.0.1:${ports[$name]} (pid $(cat "$pidfile"), log .run/logs/$name.log)"
  done
  for name in "${services[@]}"; do
    url="http://127.0.0.1:${ports[$name]}/health/ready"
    for i in $(seq 1 120); do
      if curl -fsS -o /dev/null "$url" 2>/dev/null; then echo "[services] $name ready"; break; fi
      if ! kill -0 "$(cat "$run/$name.pid")" 2>/dev/null; then
        tail -n 30 "$run/logs/$name.log"; echo "[services] $name exited during start-up" >&2; exit 1
      fi
      if [[ $i == 120 ]]; then
        tail -n 30 "$run/logs/$name.log"; curl -sS "$url" || true
        echo "[services] $name not ready after 60 s" >&2; exit 1
      fi
      sleep 0.5
    done
  done
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 [start|stop]" >&2; exit 2 ;;
esac
