#!/usr/bin/env bash
# `sim explore` end to end: flags checked, the shipped nginx.conf explored
# with nothing broken, each shipped flawed configuration found with a
# signature that names its flaw, and shrink keeping that signature in a
# scenario that `sim run` fails with it again.
set -uo pipefail
source "${TEST_SRCDIR}/${TEST_WORKSPACE}/tests/sim_lib.sh" explore_cli
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
out=$("$sim" explore "$conf" --seeds=40 --jobs=2 --write_scenario="$tmp/good.textproto" \
      --out_json="$tmp/good.jsonl" 2>&1); rc=$?
[ $rc -eq 0 ] && grep -q "40 passed, 0 failed" <<<"$out" && ! grep -q BROKE <<<"$out" \
  && grep -q "HOLDS  availability" <<<"$out" || fail "nginx.conf: rc=$rc $out"
[ "$(wc -l < "$tmp/good.jsonl")" -eq 40 ] || fail "--out_json lines"
grep -q 'nginx_config: ".*nginx/nginx.conf"' "$tmp/good.textproto" || fail "scenario written"

# A realistic configuration without a flaw: 3 weighted primaries and a backup.
out=$("$sim" explore "$root/nginx/explore/weighted_backup.conf" --seeds=20 --jobs=2 \
      --write_scenario="$tmp/wb.textproto" 2>&1); rc=$?
[ $rc -eq 0 ] && grep -q "4 backends" <<<"$out" \
  && grep -q "HOLDS  balanced share of server1, server2, server3 within 0.05" <<<"$out" \
  || fail "weighted_backup.conf: rc=$rc $out"

# Ctrl-C stops an exploration promptly with the summary of the seeds done.
interrupted "$tmp/int.out" "$sim" explore "$conf" --seeds=100000 --jobs=2 \
  --write_scenario="$tmp/int.textproto"
grep -q "HOLDS  availability" "$tmp/int.out" || fail "interrupted explore: $(cat "$tmp/int.out")"

# Each flaw, found within a bounded number of seeds, named in its signature,
# then shrunk to a scenario that fails with the same signature.
check_flaw() {  # check_flaw CONF SEEDS CAUSE
  explore_and_shrink "$@"
  out=$("$sim" run "$tmp/$name.shrunk.textproto" --seed="$seed" 2>&1); rc=$?
  [ $rc -eq 1 ] && grep -qF "signature: $sig" <<<"$out" || fail "$name shrunk run: rc=$rc $out"
  faults=$(grep -c '^faults' "$tmp/$name.shrunk.textproto")
  [ "$faults" -le 2 ] || fail "$name: shrunk to $faults faults"
  echo "ok: $name seed $seed: $sig ($faults fault(s) after shrinking)"
}
check_flaw "$root/nginx/seed.conf" 10 "grpc_next_upstream without error"
check_flaw "$root/nginx/explore/one_try.conf" 10 "grpc_next_upstream_tries 1"
check_flaw "$root/nginx/explore/max_fails_zero.conf" 5 "max_fails=0"
check_flaw "$root/nginx/explore/read_timeout_over_deadline.conf" 40 "grpc_read_timeout 10s"
echo PASS
