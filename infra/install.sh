#!/usr/bin/env bash
# Installs the local infrastructure packages (RabbitMQ, Redis, PostgreSQL, MariaDB, curl, jq, Prometheus for the tests)
# via apt-get, only if they are missing. Non-interactive and idempotent.
# Services are NOT started here (and are prevented from auto-starting during the
# install); use infra/start.sh for that.
set -euo pipefail

# chromium: the console's browser tests (Playwright drives the system Chromium; fonts for readable screenshots).
# prometheus: the observability test runs its own Prometheus (and promtool) on loopback against the services and RabbitMQ.
# mariadb-server: the `mysql` storage target (a real MariaDB for its tests), started by infra/start.sh.
PACKAGES=(rabbitmq-server redis-server postgresql mariadb-server curl jq ca-certificates make chromium fonts-dejavu-core prometheus)

log() { printf '[install] %s\n' "$*"; }
die() { printf '[install] ERROR: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "must run as root (try: sudo bash $0)"
command -v apt-get >/dev/null 2>&1 || die "apt-get not found: this script supports Debian/Ubuntu only"

is_installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

# Debian's prometheus package enables a system Prometheus on :9090 (with its own data in /var/lib/prometheus). Nothing
# here uses it: the observability test runs its own on a loopback port of its own. Keep it disabled and stopped.
quiet_prometheus() {
  is_installed prometheus || return 0
  if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
    systemctl disable --now prometheus.service >/dev/null 2>&1 || true
  else
    # No systemd running (containers, CI): what `systemctl disable` would remove, and the SysV links.
    rm -f /etc/systemd/system/multi-user.target.wants/prometheus.service
    if command -v update-rc.d >/dev/null 2>&1 && [ -e /etc/init.d/prometheus ]; then update-rc.d prometheus disable >/dev/null 2>&1 || true; fi
  fi
  if [ -e /etc/init.d/prometheus ] && pgrep -u prometheus -x prometheus >/dev/null 2>&1; then /etc/init.d/prometheus stop >/dev/null 2>&1 || true; fi
}

missing=()
for p in "${PACKAGES[@]}"; do
  is_installed "$p" || missing+=("$p")
done

if [ "${#missing[@]}" -eq 0 ]; then
  quiet_prometheus
  log "all packages already installed: ${PACKAGES[*]}"
  exit 0
fi

# Another apt/dpkg run (e.g. a background install) may hold the locks: wait for it
# instead of failing. apt's own Lock::Timeout covers the dpkg frontend lock too.
wait_for_apt() {
  local waited=0 limit="${APT_LOCK_TIMEOUT:-900}"
  while pgrep -x apt-get >/dev/null 2>&1 || pgrep -x apt >/dev/null 2>&1 || pgrep -x dpkg >/dev/null 2>&1; do
    if [ "$waited" -eq 0 ]; then log "another apt-get/dpkg is running; waiting (up to ${limit}s)..."; fi
    sleep 5; waited=$((waited + 5))
    [ "$waited" -lt "$limit" ] || die "timed out after ${limit}s waiting for another apt-get/dpkg to finish"
  done
}
wait_for_apt

# Re-check: the concurrent install may have installed what we need.
still_missing=()
for p in "${missing[@]}"; do
  is_installed "$p" || still_missing+=("$p")
done
if [ "${#still_missing[@]}" -eq 0 ]; then
  quiet_prometheus
  log "all packages installed (by a concurrent apt run): ${PACKAGES[*]}"
  exit 0
fi

export DEBIAN_FRONTEND=noninteractive
APT_OPTS=(-y -q -o DPkg::Lock::Timeout=600 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)

# Stop the package maintainer scripts from starting services with their default
# configuration (we start them ourselves, loopback-only, in infra/start.sh).
# Only done when no policy-rc.d exists; removed again afterwards.
POLICY=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$POLICY" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$POLICY"
  chmod 755 "$POLICY"
  created_policy=1
  trap 'rm -f "$POLICY"' EXIT
fi

log "installing: ${still_missing[*]}"
apt-get "${APT_OPTS[@]}" update
apt-get "${APT_OPTS[@]}" install --no-install-recommends "${still_missing[@]}"

for p in "${PACKAGES[@]}"; do
  is_installed "$p" || die "package $p is still not installed"
done
quiet_prometheus
[ "$created_policy" -eq 1 ] && rm -f "$POLICY"
log "done: ${PACKAGES[*]} installed"
