#!/usr/bin/env bash
# Command lines behave like their neighbours': --help exits 0 with a usage
# line naming the binary that was run and the program's own flags; an
# unknown flag exits 2; relative paths under `bazel run` are the user's
# (BUILD_WORKING_DIRECTORY); gRPC core's log stays quiet unless asked.
set -uo pipefail
source "${TEST_SRCDIR}/${TEST_WORKSPACE}/tests/sim_lib.sh" cli_conventions

# binary path, the flag its help must list
check_help() {
  local bin="$1" flag="$2" name out rc
  name=$(basename "$bin")
  out=$("$bin" --help 2>&1); rc=$?
  [ $rc -eq 0 ] || fail "$name --help: rc=$rc $out"
  grep -qE "usage: $name( |$)" <<<"$out" || fail "$name --help does not name $name: $out"
  [ -z "$flag" ] || grep -q -- "--$flag (default: " <<<"$out" || fail "$name --help lacks --$flag: $out"
  grep -q -- "--help\b\|--flagfile" <<<"$out" && fail "$name --help lists Abseil's own flags"
  out=$("$bin" --no_such_flag 2>&1); rc=$?
  [ $rc -eq 2 ] && grep -q "$name: unknown flag --no_such_flag" <<<"$out" \
    || fail "$name --no_such_flag: rc=$rc $out"
}
check_help "$root/services/service1" clock_offset
check_help "$root/examples/counter/counter_server" port
check_help "$root/client/client" deadline
check_help "$root/client/control" hang
check_help "$root/nginx/balancer" port_map
check_help "$root/stack/live" nginx_config
check_help "$root/tools/sim_cli/sim" seeds
check_help "$root/tools/sim_cli/simulate_seed" hang_server1
check_help "$root/tools/sim_cli/clock_sync_experiments" ""  # no flags of its own
check_help "$root/tools/grpc_probe/grpc_probe" watch

# `bazel run //sim -- run scenarios/weighted.textproto` typed in scenario/.
out=$(cd "$tmp" && BUILD_WORKING_DIRECTORY="$root/scenario" \
      "$sim" run scenarios/weighted.textproto --max_duration=2s 2>&1); rc=$?
[ $rc -eq 0 ] && grep -q "HOLDS" <<<"$out" || fail "relative path under bazel run: rc=$rc $out"

# simulate_seed exits 1 when calls failed, as the client does.
"$root/tools/sim_cli/simulate_seed" --requests=6 >/dev/null 2>&1 || fail "simulate_seed: all ok, rc=$?"
"$root/tools/sim_cli/simulate_seed" --requests=6 --hang_server1=41s >/dev/null 2>&1; rc=$?
[ $rc -eq 1 ] || fail "simulate_seed with failed calls: rc=$rc"

# gRPC core's own log lines: none by default (a client with nothing to
# call), all of them when GRPC_VERBOSITY says so.
out=$("$root/client/client" --target=127.0.0.1:1 --requests=1 --deadline=200ms 2>&1)
grep -qE '^[EIWD][0-9]{4} ' <<<"$out" && fail "gRPC core log lines by default: $out"
out=$(GRPC_VERBOSITY=DEBUG "$root/client/client" --target=127.0.0.1:1 --requests=1 --deadline=200ms 2>&1)
grep -qE '^[EIWD][0-9]{4} ' <<<"$out" || fail "GRPC_VERBOSITY=DEBUG shows nothing: $out"
# The client's summary as JSON (as ghz and k6 print theirs).
out=$("$root/client/client" --target=127.0.0.1:1 --requests=2 --deadline=200ms --format=json 2>&1); rc=$?
[ $rc -eq 1 ] && grep -q '^{"calls":2,"ok":0,"failed":2,"per_server":{},"per_status":{"UNAVAILABLE":2},"latency_ms":{"p50":' <<<"$out" \
  || fail "client --format=json: rc=$rc $out"
if command -v python3 >/dev/null; then
  python3 -c 'import json, sys; json.loads(sys.argv[1])' "$out" || fail "not JSON: $out"
fi

# control prints what is set in words and units. A server of our own, on
# free ports, stopped however this test ends.
server="$root/services/service1"
"$server" --id=1 --port=0 --control --control_port=0 --log_calls=false > "$tmp/server.out" 2>&1 &
server_pid=$!
trap 'kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null' EXIT
for _ in $(seq 1 50); do grep -q "(control " "$tmp/server.out" && break; sleep 0.1; done
control_at=$(sed -n 's/.*(control \([0-9.:]*\)).*/\1/p' "$tmp/server.out")
[ -n "$control_at" ] || fail "server did not start: $(cat "$tmp/server.out")"
out=$("$root/client/control" --target="$control_at" --delay=200ms --error_rate=0.5 --error_code=14 2>&1); rc=$?
[ $rc -eq 0 ] && grep -q "^reply delay: 200ms$" <<<"$out" \
  && grep -q "^errors: 50.0% of calls fail with UNAVAILABLE$" <<<"$out" || fail "control: rc=$rc $out"
out=$("$root/client/control" --target="$control_at" --clear 2>&1)
grep -q "^no faults$" <<<"$out" || fail "control --clear: $out"
echo PASS
