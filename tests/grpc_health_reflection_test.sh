#!/usr/bin/env bash
# gRPC's standard health and reflection services on the live stack, asked
# with a real client of each protocol (//tools/grpc_probe: the protocols'
# generated stubs, no proto file of ours), directly and through real nginx:
# Check and Watch follow the server's state (NOT_SERVING while it drains on
# SIGTERM), reflection lists the services and describes Saludo well enough
# to call it from JSON. Every process is stopped however the test ends.
set -uo pipefail
source "${TEST_SRCDIR}/${TEST_WORKSPACE}/tests/sim_lib.sh" grpc_health_reflection
probe="$root/tools/grpc_probe/grpc_probe"
pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; }
trap cleanup EXIT
# A failure also shows what the servers printed (a sanitizer's report).
fail() { echo "FAIL: $*"; for f in "$tmp"/s*.out; do echo "== $f"; tail -60 "$f"; done; exit 1; }


start_server 1; p1=$port
start_server 2 --drain=3s; p2=$port; s2_pid=${pids[-1]}
lb_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$root/nginx/balancer" --port_map="3001=$p1,3002=$p2,3005=$lb_port" > "$tmp/nginx.out" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do grep -q "nginx listening" "$tmp/nginx.out" && break; sleep 0.05; done
grep -q "nginx listening" "$tmp/nginx.out" || fail "nginx did not start: $(cat "$tmp/nginx.out")"

# expect WHAT WANT_RC PATTERN PROBE_ARGS...: runs the probe, checks its exit
# code and that its output (stdout and stderr) matches PATTERN (grep -E).
expect() {
  local what="$1" want_rc="$2" pattern="$3" out rc; shift 3
  out=$("$probe" "$@" 2>&1); rc=$?
  [ $rc -eq "$want_rc" ] && grep -qE "$pattern" <<<"$out" \
    || fail "$what: rc=$rc (want $want_rc), want /$pattern/: $out"
  echo "ok: $what"
}

for target in "127.0.0.1:$p1" "127.0.0.1:$lb_port"; do
  expect "health $target" 0 '^SERVING$' health "$target"
  expect "health of Saludo $target" 0 '^SERVING$' health "$target" --service=Saludo
  expect "health of an unknown service $target" 1 'NOT_FOUND: unknown service Nope' \
    health "$target" --service=Nope
  expect "watch $target" 0 '^SERVING$' health "$target" --watch=1
  for version in v1alpha v1; do
    out=$("$probe" list "$target" --reflection=$version 2>&1) || fail "list $target $version: $out"
    for service in Saludo grpc.health.v1.Health grpc.reflection.v1.ServerReflection \
                   grpc.reflection.v1alpha.ServerReflection; do
      grep -qx "$service" <<<"$out" || fail "list $target $version lacks $service: $out"
    done
    echo "ok: list $target $version"
  done
  expect "call by reflection $target" 0 '^\{"mensaje":"Hola, Ana, te saluda el servidor [12]","serverId":[12],' \
    call "$target" Saludo/saludar '{"nombre":"Ana"}'
  expect "bad JSON $target" 1 'JSON is not a saludoReq' call "$target" Saludo/saludar '{"nombr":"Ana"}'
done
# The control service is never reachable through nginx, and reflection does
# not list it (it is on its own listener, only with --control).
expect "no control through nginx" 1 'UNIMPLEMENTED' \
  call "127.0.0.1:$lb_port" saludo.control.Control/GetFaults '{}'

# Draining: SIGTERM to server 2 (--drain=3s). A watcher sees SERVING then
# NOT_SERVING; Check says NOT_SERVING; calls are still served; then it exits.
"$probe" health "127.0.0.1:$p2" --watch=2 --timeout=10s > "$tmp/watch.out" 2>&1 &
watch_pid=$!
pids+=($watch_pid)
for _ in $(seq 1 100); do grep -q SERVING "$tmp/watch.out" && break; sleep 0.05; done
kill -TERM "$s2_pid"
for _ in $(seq 1 100); do grep -q draining "$tmp/s2.out" && break; sleep 0.05; done
expect "health while draining" 1 'unhealthy: NOT_SERVING' health "127.0.0.1:$p2"
expect "calls while draining" 0 'te saluda el servidor 2' call "127.0.0.1:$p2" Saludo/saludar '{"nombre":"Ana"}'
wait "$watch_pid" || fail "watch while draining: $(cat "$tmp/watch.out")"
[ "$(cat "$tmp/watch.out")" = $'SERVING\nNOT_SERVING' ] || fail "watch while draining: $(cat "$tmp/watch.out")"
echo "ok: watch saw SERVING then NOT_SERVING"
for _ in $(seq 1 100); do kill -0 "$s2_pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$s2_pid" 2>/dev/null && fail "server 2 still running 10 s after SIGTERM with --drain=3s"
wait "$s2_pid"; rc=$?
[ $rc -eq 0 ] || fail "server 2 exit code $rc: $(cat "$tmp/s2.out")"
grep -q "draining for 3s (signal 15)" "$tmp/s2.out" || fail "no drain line: $(cat "$tmp/s2.out")"
echo PASS
