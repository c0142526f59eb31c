#!/usr/bin/env bash
# Start the local services jayul's tests use (PostgreSQL, Mosquitto, NATS with JetStream)
# when they are down.
# Idempotent: a running service is left alone.
set -u
up() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
if ! up 5432 && command -v pg_ctlcluster >/dev/null; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
fi
if ! up 1883 && command -v mosquitto >/dev/null; then
  mosquitto -d -c /etc/mosquitto/mosquitto.conf || true
fi
if ! up 4222 && command -v nats-server >/dev/null; then
  # JetStream (-js) for the fleet (docs/fleet.md); its store survives a restart
  mkdir -p "${NATS_STORE:-/var/lib/nats-server}"
  nohup nats-server -a 127.0.0.1 -p 4222 -js -sd "${NATS_STORE:-/var/lib/nats-server}" \
    >/dev/null 2>&1 &
fi
for _ in $(seq 1 30); do up 5432 && break; sleep 1; done
for _ in $(seq 1 10); do ! command -v nats-server >/dev/null || up 4222 && break; sleep 1; done
exit 0
