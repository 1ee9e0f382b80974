#!/usr/bin/env bash
# `sim explore` end to end: flags checked, the shipped nginx.conf explored
# with nothing broken, each shipped flawed configuration found with a
# signature that names its flaw, and shrink keeping that signature in a
# scenario that `sim run` fails with it again.
set -uo pipefail
root="${TEST_SRCDIR}/${TEST_WORKSPACE}"
sim="$root/tools/sim_cli/sim"
tmp="${TEST_TMPDIR:-/tmp}/explore_cli"
mkdir -p "$tmp"
fail() { echo "FAIL: $*"; exit 1; }
conf="$root/nginx/nginx.conf"

expect_usage() {  # expect_usage MESSAGE ARGS...
  local want="$1"; shift
  out=$("$sim" explore "$@" 2>&1); rc=$?
  [ $rc -eq 2 ] && grep -qF -- "$want" <<<"$out" || fail "explore $*: rc=$rc $out"
}
expect_usage "--duration must be in (0, 1h]" "$conf" --duration=0s
expect_usage "--concurrency must be in [1, 1000]" "$conf" --concurrency=0
expect_usage "--max_attempts must be in [1, 100]" "$conf" --max_attempts=101
expect_usage "--seed does nothing for 'explore'" "$conf" --seed=3
expect_usage "missing.conf: No such file or directory" "$tmp/missing.conf"
printf 'events {}\nhttp { server { listen 80; location / { return 204; } } }\n' > "$tmp/none.conf"
expect_usage "no server block has a location with grpc_pass" "$tmp/none.conf"
printf 'faults { fault { crash {} } per_minute: 1 duration { fixed: "1s" }\n' > "$tmp/chaos.txt"
expect_usage "chaos.txt:2:1:" "$conf" --chaos="$tmp/chaos.txt"

# The shipped nginx.conf: nothing breaks (docs/EXPLORE.md has 1,000 seeds).
out=$("$sim" explore "$conf" --seeds=60 --jobs=2 --write_scenario="$tmp/good.textproto" \
      --out_json="$tmp/good.jsonl" 2>&1); rc=$?
[ $rc -eq 0 ] && grep -q "60 passed, 0 failed" <<<"$out" && ! grep -q BROKE <<<"$out" \
  && grep -q "HOLDS  availability" <<<"$out" || fail "nginx.conf: rc=$rc $out"
[ "$(wc -l < "$tmp/good.jsonl")" -eq 60 ] || fail "--out_json lines"
grep -q 'nginx_config: ".*nginx/nginx.conf"' "$tmp/good.textproto" || fail "scenario written"

# A realistic configuration without a flaw: 3 weighted primaries and a backup.
out=$("$sim" explore "$root/nginx/explore/weighted_backup.conf" --seeds=20 --jobs=2 \
      --write_scenario="$tmp/wb.textproto" 2>&1); rc=$?
[ $rc -eq 0 ] && grep -q "4 backends" <<<"$out" \
  && grep -q "HOLDS  balanced share of server1, server2, server3 within 0.05" <<<"$out" \
  || fail "weighted_backup.conf: rc=$rc $out"

# Ctrl-C stops an exploration promptly with the summary of the seeds done.
"$sim" explore "$conf" --seeds=100000 --jobs=2 --write_scenario="$tmp/int.textproto" \
  > "$tmp/int.out" 2>/dev/null &
pid=$!
sleep 3
kill -INT "$pid"
for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid"; fail "explore ignored SIGINT for 10 s"; fi
wait "$pid"; rc=$?
[ $rc -eq 130 ] && grep -q "interrupted by signal 2 after" "$tmp/int.out" \
  && grep -q "HOLDS  availability" "$tmp/int.out" || fail "interrupted explore: rc=$rc $(cat "$tmp/int.out")"

# Each flaw, found within a bounded number of seeds, named in its signature,
# then shrunk to a scenario that fails with the same signature.
check_flaw() {  # check_flaw CONF SEEDS CAUSE
  local name; name=$(basename "$1" .conf)
  out=$("$sim" explore "$1" --seeds="$2" --jobs=2 --write_scenario="$tmp/$name.textproto" 2>&1); rc=$?
  [ $rc -eq 1 ] && grep -q "BROKE  availability" <<<"$out" || fail "$name: rc=$rc $out"
  sig=$(grep -m1 -E "^  [0-9]+ seeds?: availability \($3" <<<"$out" | sed -E 's/^  [0-9]+ seeds?: //')
  [ -n "$sig" ] || fail "$name: no signature naming '$3': $out"
  seed=$(grep -A1 -F "$sig" <<<"$out" | grep -m1 -oE "smallest seed [0-9]+" | grep -oE "[0-9]+")
  out=$("$sim" shrink "$tmp/$name.textproto" --seed="$seed" --signature="$sig" \
        --out="$tmp/$name.shrunk.textproto" 2>&1); rc=$?
  [ $rc -eq 0 ] && grep -qF "keeping the failure: $sig" <<<"$out" || fail "$name shrink: rc=$rc $out"
  out=$("$sim" run "$tmp/$name.shrunk.textproto" --seed="$seed" 2>&1); rc=$?
  [ $rc -eq 1 ] && grep -qF "signature: $sig" <<<"$out" || fail "$name shrunk run: rc=$rc $out"
  faults=$(grep -c '^faults' "$tmp/$name.shrunk.textproto")
  [ "$faults" -le 2 ] || fail "$name: shrunk to $faults faults"
  echo "ok: $name seed $seed: $sig ($faults fault(s) after shrinking)"
}
check_flaw "$root/nginx/seed.conf" 20 "grpc_next_upstream without error"
check_flaw "$root/nginx/explore/one_try.conf" 20 "grpc_next_upstream_tries 1"
check_flaw "$root/nginx/explore/max_fails_zero.conf" 10 "max_fails=0"
check_flaw "$root/nginx/explore/read_timeout_over_deadline.conf" 60 "grpc_read_timeout 10s"
echo PASS
