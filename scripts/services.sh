#!/usr/bin/env bash
# Start the local services jayul's tests use (PostgreSQL, Mosquitto) when they are down.
# Idempotent: a running service is left alone.
set -u
up() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
if ! up 5432 && command -v pg_ctlcluster >/dev/null; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
fi
if ! up 1883 && command -v mosquitto >/dev/null; then
  mosquitto -d -c /etc/mosquitto/mosquitto.conf || true
fi
for _ in $(seq 1 30); do up 5432 && break; sleep 1; done
exit 0
