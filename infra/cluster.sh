#!/usr/bin/env bash
# A three-node RabbitMQ cluster on loopback, beside the one-node broker of infra/start.sh (which it leaves alone), for the
# cluster tests (`make test-cluster`) and for trying quorum queues by hand.
#
#   bash infra/cluster.sh up         start the nodes rabbit-c1..c3@localhost from empty data directories, join them, wait
#   bash infra/cluster.sh down       stop the three nodes and remove their data
#   bash infra/cluster.sh kill N     kill -9 node N (1-3)
#   bash infra/cluster.sh start N    start node N again on its data (it rejoins the cluster) and wait for it
#   bash infra/cluster.sh status     the cluster as node 1 (or the first live one) sees it
#   bash infra/cluster.sh env        the variables that point the services at the cluster (eval "$(bash infra/cluster.sh env)")
#
# Node N: AMQP 127.0.0.1:568N, management http://127.0.0.1:1568N, Erlang distribution port 2568N, data and logs under
# $RABBIT_CLUSTER_DIR/cN (default /var/lib/rabbitmq-cluster). Needs what infra/install.sh installs and the Erlang cookie
# infra/start.sh creates (every node and the CLI share it).
set -euo pipefail

INFRA_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BASE="${RABBIT_CLUSTER_DIR:-/var/lib/rabbitmq-cluster}"
TIMEOUT="${INFRA_START_TIMEOUT:-180}"
NODES=(1 2 3)

log() { printf '[cluster] %s\n' "$*"; }
die() { printf '[cluster] ERROR: %s\n' "$*" >&2; exit 1; }

node_name() { echo "rabbit-c$1@localhost"; }
amqp_port() { echo "568$1"; }
http_port() { echo "1568$1"; }
dir_of() { echo "$BASE/c$1"; }
ctl() { local n="$1"; shift; timeout 120 rabbitmqctl -q -n "$(node_name "$n")" "$@"; }
api_ok() { curl -fsS -m 5 -u guest:guest "http://127.0.0.1:$(http_port "$1")/api/overview" >/dev/null 2>&1; }
pid_of() { local f; f="$(dir_of "$1")/rabbit.pid"; [ -s "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null && cat "$f"; }

configure() {
  local n="$1" d; d="$(dir_of "$n")"
  mkdir -p "$d/mnesia" "$d/log"
  cat > "$d/rabbitmq.conf" <<EOF
# Node $n of the loopback cluster (written by infra/cluster.sh).
listeners.tcp.default = 127.0.0.1:$(amqp_port "$n")
listeners.ssl = none
management.tcp.ip = 127.0.0.1
management.tcp.port = $(http_port "$n")
loopback_users.guest = true
default_user = guest
default_pass = guest
default_vhost = /
log.file.level = info
log.console = false
disk_free_limit.absolute = 50MB
# A node that comes back after a kill -9 finds its peers and rejoins; a partition pauses the minority side.
cluster_partition_handling = pause_minority
EOF
  echo "[rabbitmq_management]." > "$d/enabled_plugins"
  chown -R rabbitmq:rabbitmq "$d"
}

start_node() {
  local n="$1" d; d="$(dir_of "$n")"
  if pid_of "$n" >/dev/null; then log "node $(node_name "$n") is running"; return; fi
  [ -f "$d/rabbitmq.conf" ] || configure "$n"
  log "starting node $(node_name "$n") (AMQP $(amqp_port "$n"), management $(http_port "$n"), log $d/log)"
  (
    cd "$d"
    ulimit -n 65536 2>/dev/null || true
    exec setsid runuser -u rabbitmq -- env HOME=/var/lib/rabbitmq \
      RABBITMQ_NODENAME="$(node_name "$n")" RABBITMQ_CONFIG_FILE="$d/rabbitmq.conf" RABBITMQ_MNESIA_BASE="$d/mnesia" \
      RABBITMQ_LOG_BASE="$d/log" RABBITMQ_ENABLED_PLUGINS_FILE="$d/enabled_plugins" RABBITMQ_PID_FILE="$d/rabbit.pid" \
      RABBITMQ_DIST_PORT="2568$n" \
      /usr/lib/rabbitmq/bin/rabbitmq-server
  ) >> "$d/log/stdout.log" 2>&1 < /dev/null &
}

wait_node() {
  local n="$1" deadline=$((SECONDS + TIMEOUT))
  until api_ok "$n"; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      tail -n 40 "$(dir_of "$n")/log/stdout.log" >&2 || true
      die "node $(node_name "$n") did not answer on http://127.0.0.1:$(http_port "$n") within ${TIMEOUT}s"
    fi
    sleep 1
  done
}

stop_node() {
  local n="$1" pid
  pid="$(pid_of "$n" || true)"
  [ -n "$pid" ] || return 0
  ctl "$n" stop >/dev/null 2>&1 || kill -9 "$pid" 2>/dev/null || true
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || return 0; sleep 1; done
  kill -9 "$pid" 2>/dev/null || true
}

live_node() {
  local n
  for n in "${NODES[@]}"; do api_ok "$n" && { echo "$n"; return; }; done
  return 1
}

[ "$(id -u)" -eq 0 ] || die "must run as root"
command -v rabbitmq-server >/dev/null 2>&1 || die "RabbitMQ is not installed - run: bash $INFRA_DIR/install.sh"
[ -s /var/lib/rabbitmq/.erlang.cookie ] || die "no Erlang cookie - run: bash $INFRA_DIR/start.sh rabbitmq first"

case "${1:-}" in
  up)
    for n in "${NODES[@]}"; do stop_node "$n"; done
    rm -rf "$BASE"
    for n in "${NODES[@]}"; do configure "$n"; start_node "$n"; done
    for n in "${NODES[@]}"; do wait_node "$n"; done
    for n in 2 3; do
      log "joining $(node_name "$n") to $(node_name 1)"
      ctl "$n" stop_app
      ctl "$n" join_cluster "$(node_name 1)"
      ctl "$n" start_app
      wait_node "$n"
    done
    running="$(curl -fsS -m 5 -u guest:guest "http://127.0.0.1:$(http_port 1)/api/nodes" | grep -o '"running":true' | wc -l)"
    [ "$running" -eq 3 ] || die "the cluster has $running running nodes, not 3"
    log "cluster of 3 nodes up: $(bash "$0" env | tr '\n' ' ')"
    ;;
  down)
    for n in "${NODES[@]}"; do stop_node "$n"; done
    rm -rf "$BASE"
    log "cluster stopped, data removed"
    ;;
  kill)
    n="${2:?node number 1-3}"
    pid="$(pid_of "$n" || true)"
    [ -n "$pid" ] || die "node $(node_name "$n") is not running"
    kill -9 "$pid"
    log "killed node $(node_name "$n") (pid $pid)"
    ;;
  start)
    n="${2:?node number 1-3}"
    start_node "$n"
    wait_node "$n"
    log "node $(node_name "$n") is up"
    ;;
  status)
    n="$(live_node)" || die "no node of the cluster answers"
    ctl "$n" cluster_status
    ;;
  env)
    echo "RABBITMQ_URL=amqp://guest:guest@127.0.0.1:$(amqp_port 1),127.0.0.1:$(amqp_port 2),127.0.0.1:$(amqp_port 3)/"
    echo "RABBITMQ_MANAGEMENT_URL=http://127.0.0.1:$(http_port 1)/"
    echo "RABBITMQ_CLUSTER_MANAGEMENT_URLS=http://127.0.0.1:$(http_port 1)/,http://127.0.0.1:$(http_port 2)/,http://127.0.0.1:$(http_port 3)/"
    echo "RabbitMq__QueueType=Quorum"
    ;;
  *)
    sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
