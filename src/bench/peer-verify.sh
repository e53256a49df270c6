#!/usr/bin/env bash
# The FastAPI peer (../shared/peer) against edgeserve on POST /verify, with each server's own
# CPU: the peer's compare.sh records only the whole box's cpu%, which cannot tell a peer that
# serves from one gunicorn worker (1 core) from one that uses both, and the issue's ratios are
# to be read against the peer at full CPU. Starts both servers (the peer with 2 workers,
# edgeserve as `bun src/cli.ts serve` with MAX_QUEUE_WAIT_MS=0 so that it queues like the peer),
# alternates wrk runs (the peer's wrk_run.sh: same requests as compare.sh) per round and
# concurrency, and prints one JSON line per run: req/s, p50/p99, the server's cores (all threads
# of its process tree, from /proc/<pid>/task/*/stat) and its CPU ms per request. Stops both.
#
#   src/bench/peer-verify.sh            env: CONCS ["8 64"] ROUNDS [3] DUR [10s]
#     PEER [../shared/peer] PEER_PORT [8321] EDGE_PORT [8320]
#     IMAGE1 [test/fixtures/astronaut.jpg] IMAGE2 [test/fixtures/grace_hopper.jpg]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
PEER="${PEER:-$ROOT/../shared/peer}"; PEER_PORT="${PEER_PORT:-8321}"; EDGE_PORT="${EDGE_PORT:-8320}"
export PEER_LOG_DIR="${PEER_LOG_DIR:-$(mktemp -d)}"
export WRK_FILE="$ROOT/${IMAGE1:-test/fixtures/astronaut.jpg}" WRK_FILE2="$ROOT/${IMAGE2:-test/fixtures/grace_hopper.jpg}"
PEER_PID=$("$PEER/run_peer.sh" "$PEER_PORT" 2 | tail -1)
PULL=0 LOG_LEVEL=warn HOST=127.0.0.1 PORT="$EDGE_PORT" GRPC_PORT=off MAX_QUEUE_WAIT_MS=0 \
  node_modules/.bin/bun src/cli.ts serve >"$PEER_LOG_DIR/edgeserve.log" 2>&1 &
EDGE_PID=$!
trap 'kill -TERM $EDGE_PID 2>/dev/null || true; "$PEER/run_peer.sh" stop "$PEER_PORT" >/dev/null || true' EXIT
for _ in $(seq 1 180); do curl -sf "http://127.0.0.1:$EDGE_PORT/v2/health/ready" >/dev/null && break; sleep 0.5; done

# CPU ticks (1/100 s) of every thread of the given processes and their children.
ticks() { local t=0 p s; for p in "$@"; do for s in /proc/"$p"/task/*/stat; do t=$(( t + $(awk '{print $14 + $15}' "$s" 2>/dev/null || echo 0) )); done; done; echo "$t"; }
tree() { echo "$1" $(pgrep -P "$1" || true); }

run() { # label url route field1 field2 conc pid
  local a b line
  a=$(ticks $(tree "$7"))
  line=$(WRK_ROUTE=$3 WRK_FIELD=$4 WRK_FIELD2=$5 "$PEER/load/wrk_run.sh" "$2" "$6" "${DUR:-10s}" "$1")
  b=$(ticks $(tree "$7"))
  /usr/bin/python3 -c '
import json, sys
d = json.loads(sys.argv[1]); t = int(sys.argv[2])
print(json.dumps({"label": d["label"], "c": d["conc"], "rps": d["rps"], "p50_ms": round(d["lat_p50_us"] / 1000), "p99_ms": round(d["lat_p99_us"] / 1000),
  "server_cores": round(t / 100 / d["duration_s"], 2), "cpu_ms_per_req": round(t * 10 / max(1, d["requests"]), 1), "box_cpu_pct": d["cpu_busy_pct"], "requests": d["requests"]}))' "$line" "$(( b - a ))"
}
peer() { run peer "http://127.0.0.1:$PEER_PORT" /verify file1 file2 "$1" "$PEER_PID"; }
edge() { run edgeserve "http://127.0.0.1:$EDGE_PORT" /v1/faces/verify image1 image2 "$1" "$EDGE_PID"; }

DUR=3s peer 8 >/dev/null; DUR=3s edge 8 >/dev/null   # warm-up
for r in $(seq 1 "${ROUNDS:-3}"); do
  for c in ${CONCS:-8 64}; do
    # Each server first finishes what it still holds from the closed connections.
    peer "$c"; sleep $(( 3 + c / 4 ))
    edge "$c"; sleep $(( 3 + c / 8 ))
  done
done
