#!/usr/bin/env bash
# Starts RabbitMQ, Redis, PostgreSQL and MariaDB on loopback for local development / CI,
# without systemd, and waits until each one answers. Idempotent: services that
# are already running are left running (and fixed up where needed).
#
# Usage: bash infra/start.sh [rabbitmq] [redis] [postgres] [mariadb]   (default: all four)
#
# Env overrides: INFRA_START_TIMEOUT (seconds per service, default 180),
#                PG_VERSION (default 15, or the newest installed), PG_CLUSTER (main).
set -euo pipefail

INFRA_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TIMEOUT="${INFRA_START_TIMEOUT:-180}"

RABBIT_NODE=rabbit@localhost
RABBIT_LOG_DIR=/var/log/rabbitmq
RABBIT_STDOUT_LOG="$RABBIT_LOG_DIR/rabbitmq-server.log"
RABBIT_NODE_LOG="$RABBIT_LOG_DIR/$RABBIT_NODE.log"

REDIS_CONF="$INFRA_DIR/redis/redis.conf"
REDIS_LOG=/var/log/redis/redis-server.log

PG_CLUSTER="${PG_CLUSTER:-main}"
PG_PORT=5432
PG_USER="jobs"
PG_PASSWORD="jobs"
PG_DB="jobs"

# MariaDB: the `mysql` storage target of the data-landing platforms (README "Storage targets") and its tests.
MARIADB_CONF="$INFRA_DIR/mariadb/jobs.cnf"
MARIADB_PORT=3306
MARIADB_USER="jobs"
MARIADB_PASSWORD="jobs"
MARIADB_DB="jobs"
MARIADB_LOG=/var/log/mysql/error.log

log()  { printf '[start] %s\n' "$*"; }
warn() { printf '[start] WARNING: %s\n' "$*" >&2; }
die()  { printf '[start] ERROR: %s\n' "$*" >&2; exit 1; }
show_logs() {
  local f
  for f in "$@"; do
    if [ -s "$f" ]; then
      printf -- '----- last 40 lines of %s -----\n' "$f" >&2
      tail -n 40 "$f" >&2
      printf -- '-----\n' >&2
    fi
  done
}
port_open() { timeout 3 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; }
install_file() { # install_file SRC DST OWNER MODE -> returns 0 if changed
  if [ -f "$2" ] && cmp -s "$1" "$2"; then return 1; fi
  install -m "$4" -o "${3%%:*}" -g "${3##*:}" "$1" "$2"
  return 0
}

[ "$(id -u)" -eq 0 ] || die "must run as root (try: sudo bash $0)"
for cmd in rabbitmq-server rabbitmqctl rabbitmq-plugins redis-server redis-cli pg_ctlcluster pg_lsclusters psql pg_isready mysqld_safe mariadb mariadb-admin curl; do
  command -v "$cmd" >/dev/null 2>&1 || die "'$cmd' not found - run: bash $INFRA_DIR/install.sh"
done

if [ -z "${PG_VERSION:-}" ]; then
  if [ -x /usr/lib/postgresql/15/bin/postgres ]; then PG_VERSION=15
  else PG_VERSION="$(find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null | sort -n | tail -n 1)"; fi
fi
if [ -z "$PG_VERSION" ] || [ ! -x "/usr/lib/postgresql/$PG_VERSION/bin/postgres" ]; then
  die "PostgreSQL server binaries not found - run: bash $INFRA_DIR/install.sh"
fi
PG_LOG="/var/log/postgresql/postgresql-$PG_VERSION-$PG_CLUSTER.log"

# ---------------------------------------------------------------- RabbitMQ ---
rabbit_api_ok() { curl -fsS -m 5 -u guest:guest http://127.0.0.1:15672/api/overview >/dev/null 2>&1; }

# The broker's own Prometheus metrics (plugin rabbitmq_prometheus, port 15692): enabled on a running node that lacks them.
rabbit_prometheus_online() {
  if curl -fsS -m 5 -o /dev/null http://127.0.0.1:15692/metrics 2>/dev/null; then return 0; fi
  log "RabbitMQ: enabling plugin rabbitmq_prometheus on the running node (metrics on port 15692)"
  rabbitmq-plugins -q -n "$RABBIT_NODE" enable rabbitmq_prometheus >/dev/null \
    || die "RabbitMQ: could not enable rabbitmq_prometheus on the running node"
  [ -f /etc/rabbitmq/enabled_plugins ] && chown rabbitmq:rabbitmq /etc/rabbitmq/enabled_plugins
}

RABBIT_PID=""
RABBIT_T0=0
rabbit_begin() {
  RABBIT_T0=$SECONDS
  if rabbit_api_ok; then
    log "RabbitMQ: already running (management API answers on 127.0.0.1:15672)"
    rabbit_prometheus_online
    return 0
  fi

  # Configuration (copied to /etc/rabbitmq; the Debian wrapper scripts run the
  # server and the CLI as user 'rabbitmq', which reads /etc/rabbitmq).
  mkdir -p /etc/rabbitmq "$RABBIT_LOG_DIR" /var/lib/rabbitmq
  chown rabbitmq:rabbitmq "$RABBIT_LOG_DIR" /var/lib/rabbitmq
  if install_file "$INFRA_DIR/rabbitmq/rabbitmq.conf" /etc/rabbitmq/rabbitmq.conf rabbitmq:rabbitmq 644; then
    log "RabbitMQ: installed /etc/rabbitmq/rabbitmq.conf"
  fi
  if install_file "$INFRA_DIR/rabbitmq/rabbitmq-env.conf" /etc/rabbitmq/rabbitmq-env.conf rabbitmq:rabbitmq 644; then
    log "RabbitMQ: installed /etc/rabbitmq/rabbitmq-env.conf (node $RABBIT_NODE)"
  fi

  # Erlang cookie: the server and the CLI (run through the Debian wrapper as user
  # rabbitmq) use /var/lib/rabbitmq/.erlang.cookie. Create it if missing, and copy it
  # to root's home so the CLI also works when invoked directly as root.
  local cookie=/var/lib/rabbitmq/.erlang.cookie
  if [ ! -s "$cookie" ]; then
    ( umask 077; head -c 48 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 32 > "$cookie" )
    log "RabbitMQ: created Erlang cookie $cookie"
  fi
  chown rabbitmq:rabbitmq "$cookie"; chmod 400 "$cookie"
  local root_home; root_home="$(getent passwd root | cut -d: -f6)"; root_home="${root_home:-/root}"
  if [ -d "$root_home" ] && ! cmp -s "$cookie" "$root_home/.erlang.cookie"; then
    install -m 400 -o root -g root "$cookie" "$root_home/.erlang.cookie"
  fi

  # The broker's Erlang VM is identified by its "-s rabbit boot" argument (the
  # node name is not on its command line in 3.10).
  local pid; pid="$(pgrep -u rabbitmq -f -- '-s rabbit boot' | head -n 1 || true)"
  if [ -n "$pid" ]; then
    log "RabbitMQ: broker process $pid exists; waiting for it to finish booting (rabbitmqctl await_startup)"
    if ! timeout "$TIMEOUT" rabbitmqctl -q -n "$RABBIT_NODE" await_startup >/dev/null 2>&1; then
      show_logs "$RABBIT_STDOUT_LOG" "$RABBIT_NODE_LOG"
      die "RabbitMQ: broker process $pid did not finish booting as node $RABBIT_NODE within ${TIMEOUT}s (stop it and retry)"
    fi
    if ! rabbit_api_ok; then
      log "RabbitMQ: node $RABBIT_NODE is running but the management API does not answer; enabling rabbitmq_management"
      rabbitmq-plugins -q -n "$RABBIT_NODE" enable rabbitmq_management >/dev/null \
        || die "RabbitMQ: could not enable rabbitmq_management on the running node"
    fi
    rabbit_prometheus_online
    RABBIT_PID="$pid"
    return 0
  fi

  if port_open 127.0.0.1 5672; then
    show_logs "$RABBIT_NODE_LOG"
    die "RabbitMQ: port 127.0.0.1:5672 is in use by something that is not node $RABBIT_NODE (a broker started with another node name? stop it first)"
  fi

  if ! grep -qs rabbitmq_management /etc/rabbitmq/enabled_plugins; then
    log "RabbitMQ: enabling plugin rabbitmq_management (offline)"
    rabbitmq-plugins enable --offline rabbitmq_management >/dev/null
  fi
  if ! grep -qs rabbitmq_prometheus /etc/rabbitmq/enabled_plugins; then
    log "RabbitMQ: enabling plugin rabbitmq_prometheus (offline; metrics on 127.0.0.1:15692)"
    rabbitmq-plugins enable --offline rabbitmq_prometheus >/dev/null
  fi
  [ -f /etc/rabbitmq/enabled_plugins ] && chown rabbitmq:rabbitmq /etc/rabbitmq/enabled_plugins

  # No systemd: run the server in the foreground as user rabbitmq, in its own
  # session (setsid) so it survives this script; output appended to a log file.
  log "RabbitMQ: starting node $RABBIT_NODE (log: $RABBIT_NODE_LOG, stdout: $RABBIT_STDOUT_LOG)"
  printf '\n===== %s infra/start.sh starting rabbitmq-server =====\n' "$(date -Is)" >> "$RABBIT_STDOUT_LOG"
  chown rabbitmq:rabbitmq "$RABBIT_STDOUT_LOG"
  (
    cd /var/lib/rabbitmq
    ulimit -n 65536 2>/dev/null || true
    exec setsid runuser -u rabbitmq -- env HOME=/var/lib/rabbitmq /usr/lib/rabbitmq/bin/rabbitmq-server
  ) >> "$RABBIT_STDOUT_LOG" 2>&1 < /dev/null &
  RABBIT_PID=$!
}

rabbit_wait() {
  local deadline=$((SECONDS + TIMEOUT))
  until rabbit_api_ok; do
    if [ -n "$RABBIT_PID" ] && ! kill -0 "$RABBIT_PID" 2>/dev/null; then
      show_logs "$RABBIT_STDOUT_LOG" "$RABBIT_NODE_LOG"
      die "RabbitMQ: rabbitmq-server exited during startup (see logs above)"
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      show_logs "$RABBIT_STDOUT_LOG" "$RABBIT_NODE_LOG"
      die "RabbitMQ: management API http://127.0.0.1:15672/api/overview did not answer within ${TIMEOUT}s (the broker may still be booting: rerun this script, or run infra/stop.sh first)"
    fi
    sleep 1
  done
  port_open 127.0.0.1 5672 || die "RabbitMQ: management API answers but AMQP port 127.0.0.1:5672 is closed"
  log "RabbitMQ: ready on 127.0.0.1:5672, management on 127.0.0.1:15672, metrics on :15692 ($((SECONDS - RABBIT_T0))s)"
}

# ------------------------------------------------------------------- Redis ---
redis_cli() { redis-cli -h 127.0.0.1 -p 6379 "$@"; }
redis_ping() { [ "$(redis_cli ping 2>/dev/null)" = "PONG" ]; }

redis_start() {
  local t0=$SECONDS
  if redis_ping; then
    log "Redis: already running on 127.0.0.1:6379"
  else
    if port_open 127.0.0.1 6379; then
      die "Redis: port 127.0.0.1:6379 is in use but does not answer PING (password protected or not Redis?)"
    fi
    mkdir -p /var/lib/redis /var/log/redis /run/redis
    local as_user=root
    if id redis >/dev/null 2>&1; then
      chown redis:redis /var/lib/redis /var/log/redis /run/redis
      [ -e "$REDIS_LOG" ] && chown redis:redis "$REDIS_LOG"
      [ -d /var/lib/redis/appendonlydir ] && chown -R redis:redis /var/lib/redis/appendonlydir
      # Run as the 'redis' user if it can read the config (the repo may live in a private home dir).
      if runuser -u redis -- test -r "$REDIS_CONF"; then as_user=redis; fi
    fi
    log "Redis: starting as user $as_user with $REDIS_CONF (log: $REDIS_LOG)"
    if [ "$as_user" = redis ]; then
      runuser -u redis -- redis-server "$REDIS_CONF" || { show_logs "$REDIS_LOG"; die "Redis: redis-server failed to start"; }
    else
      redis-server "$REDIS_CONF" || { show_logs "$REDIS_LOG"; die "Redis: redis-server failed to start"; }
    fi
    local deadline=$((SECONDS + TIMEOUT))
    until redis_ping; do
      if [ "$SECONDS" -ge "$deadline" ]; then
        show_logs "$REDIS_LOG"
        die "Redis: no PONG from 127.0.0.1:6379 within ${TIMEOUT}s"
      fi
      sleep 0.5
    done
  fi

  # A Redis that was started elsewhere (e.g. with the Debian default config) may
  # have AOF off: switch it on at runtime.
  if [ "$(redis_cli config get appendonly | sed -n 2p)" != "yes" ]; then
    log "Redis: AOF is off on the running instance; enabling (config set appendonly yes)"
    redis_cli config set appendonly yes >/dev/null
    redis_cli config set appendfsync everysec >/dev/null
  fi
  [ "$(redis_cli config get appendonly | sed -n 2p)" = "yes" ] || die "Redis: could not enable AOF"
  log "Redis: ready on 127.0.0.1:6379, appendonly=yes appendfsync=$(redis_cli config get appendfsync | sed -n 2p) ($((SECONDS - t0))s)"
}

# -------------------------------------------------------------- PostgreSQL ---
pg_psql() { runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -p "$PG_PORT" "$@"; }
pg_running() { pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" status >/dev/null 2>&1; }

postgres_start() {
  local t0=$SECONDS restart=0 reload=0
  if ! pg_lsclusters -h 2>/dev/null | awk -v v="$PG_VERSION" -v c="$PG_CLUSTER" '$1==v && $2==c {f=1} END {exit !f}'; then
    log "PostgreSQL: cluster $PG_VERSION/$PG_CLUSTER does not exist; creating it"
    pg_createcluster "$PG_VERSION" "$PG_CLUSTER" --port "$PG_PORT" >/dev/null
  fi
  local conf_dir="/etc/postgresql/$PG_VERSION/$PG_CLUSTER"

  # Port 5432, loopback only ('localhost' = 127.0.0.1 and ::1, the default).
  local port; port="$(pg_conftool -s "$PG_VERSION" "$PG_CLUSTER" get port 2>/dev/null || true)"
  if [ "$port" != "$PG_PORT" ]; then
    log "PostgreSQL: setting port = $PG_PORT (was '${port:-unset}')"
    pg_conftool "$PG_VERSION" "$PG_CLUSTER" set port "$PG_PORT"; restart=1
  fi
  local listen; listen="$(pg_conftool -s "$PG_VERSION" "$PG_CLUSTER" get listen_addresses 2>/dev/null || true)"
  case "$listen" in
    ""|localhost|127.0.0.1) ;;
    *) log "PostgreSQL: setting listen_addresses = '127.0.0.1' (was '$listen')"
       pg_conftool "$PG_VERSION" "$PG_CLUSTER" set listen_addresses 127.0.0.1; restart=1 ;;
  esac

  # Password (scram/md5) auth over TCP on 127.0.0.1. Debian's default pg_hba.conf
  # already has "host all all 127.0.0.1/32 scram-sha-256"; add it if absent.
  local hba="$conf_dir/pg_hba.conf"
  if ! grep -Eq '^[[:space:]]*host[[:space:]]+all[[:space:]]+all[[:space:]]+127\.0\.0\.1/32[[:space:]]+(scram-sha-256|md5|password)' "$hba"; then
    log "PostgreSQL: adding 'host all all 127.0.0.1/32 scram-sha-256' to $hba"
    sed -i '1i host    all             all             127.0.0.1/32            scram-sha-256' "$hba"
    reload=1
  fi

  if pg_running; then
    if [ "$restart" -eq 1 ]; then
      log "PostgreSQL: restarting cluster $PG_VERSION/$PG_CLUSTER to apply configuration"
      pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" restart || { show_logs "$PG_LOG"; die "PostgreSQL: restart failed"; }
    elif [ "$reload" -eq 1 ]; then
      pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" reload
    else
      log "PostgreSQL: cluster $PG_VERSION/$PG_CLUSTER already running"
    fi
  else
    log "PostgreSQL: starting cluster $PG_VERSION/$PG_CLUSTER (log: $PG_LOG)"
    pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" start || { show_logs "$PG_LOG"; die "PostgreSQL: pg_ctlcluster $PG_VERSION $PG_CLUSTER start failed"; }
  fi

  local deadline=$((SECONDS + TIMEOUT))
  until pg_isready -q -h 127.0.0.1 -p "$PG_PORT"; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      show_logs "$PG_LOG"
      die "PostgreSQL: pg_isready -h 127.0.0.1 -p $PG_PORT did not succeed within ${TIMEOUT}s"
    fi
    sleep 0.5
  done

  # Role and database (idempotent; the password is (re)set every time).
  pg_psql -d postgres <<SQL
DO \$\$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$PG_USER') THEN
    CREATE ROLE $PG_USER LOGIN CREATEDB PASSWORD '$PG_PASSWORD';
  ELSE
    ALTER ROLE $PG_USER LOGIN CREATEDB PASSWORD '$PG_PASSWORD';
  END IF;
END
\$\$;
SQL
  if [ "$(pg_psql -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$PG_DB'")" != "1" ]; then
    log "PostgreSQL: creating database $PG_DB owned by $PG_USER"
    pg_psql -d postgres -c "CREATE DATABASE $PG_DB OWNER $PG_USER"
  else
    pg_psql -d postgres -c "ALTER DATABASE $PG_DB OWNER TO $PG_USER"
  fi

  # One role per owner of tables (infra/postgres/roles.sql) and their privileges in template1 (so every database created
  # from it, such as the tests' own) and in the jobs database (infra/postgres/database.sql).
  pg_psql -d postgres -v owner="$PG_USER" -v password="$PG_PASSWORD" -f - < "$INFRA_DIR/postgres/roles.sql" >/dev/null
  local db
  for db in template1 "$PG_DB"; do
    pg_psql -d "$db" -v owner="$PG_USER" -f - < "$INFRA_DIR/postgres/database.sql" >/dev/null
  done

  PGPASSWORD="$PG_PASSWORD" psql -X -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" -d "$PG_DB" -tAc 'SELECT 1' >/dev/null \
    || { show_logs "$PG_LOG"; die "PostgreSQL: password login as $PG_USER@127.0.0.1:$PG_PORT/$PG_DB failed (check $hba)"; }
  log "PostgreSQL: ready on 127.0.0.1:$PG_PORT, role/database '$PG_USER'/'$PG_DB' ok ($((SECONDS - t0))s)"
}

# ----------------------------------------------------------------- MariaDB ---
mariadb_ping() { mariadb-admin --protocol=socket -uroot ping >/dev/null 2>&1; }

mariadb_start() {
  local t0=$SECONDS restart=0
  install_file "$MARIADB_CONF" /etc/mysql/mariadb.conf.d/90-jobs.cnf root:root 644 && restart=1
  install -d -o mysql -g mysql -m 755 /run/mysqld /var/log/mysql
  if [ ! -d /var/lib/mysql/mysql ]; then
    log "MariaDB: initialising /var/lib/mysql"
    mariadb-install-db --user=mysql --datadir=/var/lib/mysql --auth-root-authentication-method=socket >/dev/null \
      || die "MariaDB: mariadb-install-db failed"
  fi
  if mariadb_ping && [ "$restart" -eq 1 ]; then
    log "MariaDB: configuration changed, restarting"
    mariadb-admin --protocol=socket -uroot shutdown >/dev/null 2>&1 || true
    for _ in $(seq 1 60); do mariadb_ping || break; sleep 0.5; done
  fi
  if mariadb_ping; then
    log "MariaDB: already running"
  else
    log "MariaDB: starting (127.0.0.1:$MARIADB_PORT)"
    # mysqld_safe restarts the server if it dies; it keeps running detached from this shell.
    setsid mysqld_safe --user=mysql >/dev/null 2>&1 < /dev/null &
    until mariadb_ping; do
      sleep 0.5
      if [ $((SECONDS - t0)) -ge "$TIMEOUT" ]; then show_logs "$MARIADB_LOG"; die "MariaDB: no answer within ${TIMEOUT}s"; fi
    done
  fi
  mariadb --protocol=socket -uroot <<SQL || die "MariaDB: could not create database/user '$MARIADB_DB'/'$MARIADB_USER'"
CREATE DATABASE IF NOT EXISTS \`$MARIADB_DB\` CHARACTER SET utf8mb4;
CREATE USER IF NOT EXISTS '$MARIADB_USER'@'127.0.0.1' IDENTIFIED BY '$MARIADB_PASSWORD';
CREATE USER IF NOT EXISTS '$MARIADB_USER'@'localhost' IDENTIFIED BY '$MARIADB_PASSWORD';
GRANT ALL PRIVILEGES ON \`$MARIADB_DB\`.* TO '$MARIADB_USER'@'127.0.0.1';
GRANT ALL PRIVILEGES ON \`$MARIADB_DB\`.* TO '$MARIADB_USER'@'localhost';
SQL
  mariadb -h 127.0.0.1 -P "$MARIADB_PORT" -u"$MARIADB_USER" -p"$MARIADB_PASSWORD" "$MARIADB_DB" -e 'SELECT 1' >/dev/null \
    || { show_logs "$MARIADB_LOG"; die "MariaDB: password login as $MARIADB_USER@127.0.0.1:$MARIADB_PORT/$MARIADB_DB failed"; }
  log "MariaDB: ready on 127.0.0.1:$MARIADB_PORT, user/database '$MARIADB_USER'/'$MARIADB_DB' ok ($((SECONDS - t0))s)"
}

# -------------------------------------------------------------------- main ---
# RabbitMQ is by far the slowest: kick it off first, do Redis and PostgreSQL
# meanwhile, then wait for it.
# Arguments name the servers to start (rabbitmq, redis, postgres, mariadb); none: all four. The fault tests restart one at a time.
targets="${*:-rabbitmq redis postgres mariadb}"
for target in $targets; do
  case "$target" in rabbitmq|redis|postgres|mariadb) ;; *) die "unknown server '$target' (rabbitmq, redis, postgres or mariadb)";; esac
done
wants() { [[ " $targets " == *" $1 "* ]]; }
if wants rabbitmq; then rabbit_begin; fi
if wants redis; then redis_start; fi
if wants postgres; then postgres_start; fi
if wants mariadb; then mariadb_start; fi
if wants rabbitmq; then rabbit_wait; fi
[ $# -eq 0 ] || exit 0

cat <<EOT

All infrastructure is up (loopback only):
  RABBITMQ_URL=amqp://guest:guest@127.0.0.1:5672/
  REDIS_URL=127.0.0.1:6379
  POSTGRES_URL=Host=127.0.0.1;Port=$PG_PORT;Database=$PG_DB;Username=$PG_USER;Password=$PG_PASSWORD
  MYSQL_URL=Server=127.0.0.1;Port=$MARIADB_PORT;Database=$MARIADB_DB;User ID=$MARIADB_USER;Password=$MARIADB_PASSWORD
  RabbitMQ management UI: http://127.0.0.1:15672 (guest/guest)
  RabbitMQ Prometheus metrics: http://127.0.0.1:15692/metrics/per-object

To export these variables: source $INFRA_DIR/env.sh
EOT
