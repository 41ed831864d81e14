#!/usr/bin/env bash
# Runs BrokerChat as separate processes on this machine: connector A hosts the embedded Kafka, connector B and two
# function workers join it. Open http://127.0.0.1:5001/ and http://127.0.0.1:5002/ in two windows: a message sent
# through one connector reaches members on the other.
#
#   infra/local/run-cluster.sh            # embedded Kafka inside connector A
#   KAFKA=host:9092 infra/local/run-cluster.sh   # an existing Kafka instead
#
# Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/../.."

KEY="${BROKERCHAT_ACCESS_KEY:-local-cluster-key-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')}"
COMMON=(--Auth:AccessKeys:0 "$KEY" --Auth:EnableNegotiate true --Functions:InProcessWorkers 0)
LOGS="$(mktemp -d)"
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

dotnet build -c Release BrokerChat.sln -v quiet -nologo
CONNECTOR=connector/bin/Release/net10.0/BrokerChat.Connector.dll
FUNCTIONS=functions/bin/Release/net10.0/BrokerChat.Functions.dll

if [[ -z "${KAFKA:-}" ]]; then
  dotnet "$CONNECTOR" --urls http://127.0.0.1:5001 "${COMMON[@]}" >"$LOGS/connector-a.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 100); do
    KAFKA="$(grep -ho 'Kafka bootstrap servers: [0-9.:,]*' "$LOGS/connector-a.log" | head -n1 | sed 's/.*: //')" || true
    [[ -n "$KAFKA" ]] && break
    sleep 0.2
  done
  [[ -n "$KAFKA" ]] || { echo "connector A did not start; see $LOGS/connector-a.log"; exit 1; }
else
  dotnet "$CONNECTOR" --urls http://127.0.0.1:5001 --Kafka:BootstrapServers "$KAFKA" "${COMMON[@]}" >"$LOGS/connector-a.log" 2>&1 &
  pids+=($!)
fi
echo "Kafka bootstrap servers: $KAFKA"

dotnet "$CONNECTOR" --urls http://127.0.0.1:5002 --Kafka:BootstrapServers "$KAFKA" "${COMMON[@]}" >"$LOGS/connector-b.log" 2>&1 &
pids+=($!)
for n in 1 2; do
  dotnet "$FUNCTIONS" --Kafka:BootstrapServers "$KAFKA" >"$LOGS/functions-$n.log" 2>&1 &
  pids+=($!)
done

echo "Connectors: http://127.0.0.1:5001/ and http://127.0.0.1:5002/ (logs in $LOGS)"
wait -n "${pids[@]}"
echo "A process exited; stopping the rest. Logs are in $LOGS."
