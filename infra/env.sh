# shellcheck shell=bash
# Source this file:  source infra/env.sh
# Exports the connection settings for the local infrastructure started by
# infra/start.sh. Values already set by the caller are kept.
: "${RABBITMQ_URL:=amqp://guest:guest@127.0.0.1:5672/}"
: "${REDIS_URL:=127.0.0.1:6379}"
: "${POSTGRES_URL:=Host=127.0.0.1;Port=5432;Database=jobs;Username=jobs;Password=jobs}"
: "${MYSQL_URL:=Server=127.0.0.1;Port=3306;Database=jobs;User ID=jobs;Password=jobs}"
export RABBITMQ_URL REDIS_URL POSTGRES_URL MYSQL_URL
