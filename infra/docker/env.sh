#!/usr/bin/env bash
# Writes .env for docker compose from .env.example, with a generated administrator key and passwords (as make run
# generates its key), and prints the key. An existing .env is kept: only its empty values are filled in.
#   bash infra/docker/env.sh && docker compose up --build
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
env="$root/.env"
secret() { head -c 32 /dev/urandom | base64 | tr -d '=+/\n'; }

[[ -f "$env" ]] || { (umask 077; cp "$root/.env.example" "$env"); echo "[env] wrote $env from .env.example"; }
for name in ADMIN_API_KEY RABBITMQ_PASSWORD POSTGRES_PASSWORD REDIS_PASSWORD GRAFANA_ADMIN_PASSWORD; do
  if ! grep -q "^$name=." "$env"; then
    if grep -q "^$name=" "$env"; then sed -i "s|^$name=.*|$name=$(secret)|" "$env"; else echo "$name=$(secret)" >>"$env"; fi
    echo "[env] generated $name"
  fi
done
echo "[env] administrator key: $(sed -n 's/^ADMIN_API_KEY=//p' "$env")  (header X-Api-Key, console sign-in; kept in .env)"
