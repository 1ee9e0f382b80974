#!/usr/bin/env bash
# The `sim` tool end to end: exit codes, located errors, run, sweep, check,
# and shrink producing a smaller scenario that still fails.
set -uo pipefail
source "${TEST_SRCDIR}/${TEST_WORKSPACE}/tests/sim_lib.sh" sim_cli
scenarios="$root/scenario/scenarios"
mkdir -p "$tmp/drawn"

out=$("$sim" frobnicate x 2>&1); rc=$?
[ $rc -eq 2 ] && grep -q "unknown command 'frobnicate'" <<<"$out" && grep -q "usage:" <<<"$out" \
  || fail "bad command: rc=$rc $out"

out=$("$sim" run "$scenarios/steady_round_robin.textproto" --bogus 2>&1); rc=$?
[ $rc -eq 2 ] && grep -q "unknown flag --bogus" <<<"$out" || fail "bad flag: rc=$rc $out"
out=$("$sim" sweep "$scenarios/weighted.textproto" --jobs=999 2>&1); rc=$?
[ $rc -eq 2 ] && grep -q -- "--jobs must be in \[0, 256\]" <<<"$out" || fail "--jobs: rc=$rc $out"
out=$("$sim" sweep "$scenarios/weighted.textproto" --json=x.json 2>&1); rc=$?
[ $rc -eq 2 ] && grep -q -- "--json does nothing for 'sweep'" <<<"$out" || fail "sweep --json: rc=$rc $out"
out=$("$sim" run "$scenarios/weighted.textproto" --max_duration=0s 2>&1); rc=$?
[ $rc -eq 2 ] && grep -q -- "--max_duration must be positive" <<<"$out" || fail "--max_duration=0: rc=$rc $out"
out=$("$sim" sweep "$scenarios/weighted.textproto" --seeds=0 2>&1); rc=$?
[ $rc -eq 2 ] && grep -q -- "--seeds must be in" <<<"$out" || fail "--seeds: rc=$rc $out"

# A malformed scenario next to the shipped ones (so relative paths work).
mkdir -p "$tmp/sim"; cp -rL "$scenarios" "$tmp/sim/scenarios"; chmod -R u+w "$tmp/sim"
cp -rL "$root/nginx" "$tmp/nginx"; chmod -R u+w "$tmp/nginx"
printf 'name: "x"\nduration: "soon"\n' > "$tmp/sim/scenarios/bad.textproto"
out=$("$sim" run "$tmp/sim/scenarios/bad.textproto" 2>&1); rc=$?
[ $rc -eq 2 ] && grep -q "bad.textproto:2:1: duration: expected a duration" <<<"$out" \
  || fail "malformed scenario: rc=$rc $out"

# nginx -t runs first and speaks with the user's file:line; the twin's own
# check says the same where nginx is not asked.
sed 's/fail_timeout=10s/fail_timeout=1500ms/' "$tmp/nginx/nginx.conf" > "$tmp/nginx/ms.conf"
sed 's|nginx_config: ".*"|nginx_config: "../../nginx/ms.conf"|' \
  "$tmp/sim/scenarios/steady_round_robin.textproto" > "$tmp/sim/scenarios/ms.textproto"
out=$("$sim" check "$tmp/sim/scenarios/ms.textproto" 2>&1); rc=$?
[ $rc -eq 2 ] && grep -q "nginx -t rejected" <<<"$out" \
  && grep -q 'invalid parameter "fail_timeout=1500ms" in .*nginx/ms.conf:39' <<<"$out" \
  || fail "nginx -t first: rc=$rc $out"
out=$("$sim" check "$tmp/sim/scenarios/ms.textproto" --nginx_check=off 2>&1); rc=$?
[ $rc -eq 2 ] && ! grep -q "nginx -t" <<<"$out" \
  && grep -q 'ms.conf:39:.*invalid parameter "fail_timeout=1500ms"' <<<"$out" \
  || fail "--nginx_check=off: rc=$rc $out"
out=$(SALUDO_NGINX=/nonexistent "$sim" check "$scenarios/steady_round_robin.textproto" --nginx_check=on 2>&1); rc=$?
[ $rc -eq 2 ] && grep -q "no nginx at /nonexistent" <<<"$out" || fail "--nginx_check=on: rc=$rc $out"
out=$(SALUDO_NGINX=/nonexistent "$sim" check "$scenarios/steady_round_robin.textproto" 2>&1); rc=$?
[ $rc -eq 0 ] || fail "--nginx_check=auto without nginx: rc=$rc $out"
out=$("$sim" check "$scenarios/steady_round_robin.textproto" --nginx_check=maybe 2>&1); rc=$?
[ $rc -eq 2 ] && grep -q -- "--nginx_check takes auto, on or off" <<<"$out" || fail "--nginx_check=maybe: rc=$rc $out"

out=$("$sim" run "$scenarios/steady_round_robin.textproto" --json="$tmp/r.json" --trace="$tmp/t.json" 2>&1); rc=$?
[ $rc -eq 0 ] && grep -q "HOLDS  balanced share" <<<"$out" || fail "run: rc=$rc $out"
grep -q '"ok": true' "$tmp/r.json" || fail "json report"
grep -q '"traceEvents"' "$tmp/t.json" || fail "chrome trace"
grep -q '"calls": \[\]' "$tmp/r.json" || fail "json report lists calls without --calls"
"$sim" run "$scenarios/crashed_server.textproto" --json="$tmp/c.json" --calls >/dev/null 2>&1
grep -q '"outcome": "refused"' "$tmp/c.json" && grep -q '"peer": "server2"' "$tmp/c.json" \
  || fail "json report with --calls: $(head -c 600 "$tmp/c.json")"
out=$("$sim" run "$scenarios/crashed_server.textproto" --calls 2>&1); rc=$?
[ $rc -eq 2 ] && grep -q -- "--calls goes with --json" <<<"$out" || fail "--calls alone: rc=$rc $out"

# A scenario that fails: the hung server with a perfect success rate demanded,
# and extra faults that shrinking should drop.
sed -e 's/success_rate { at_least: 0.98 }/success_rate { at_least: 1.0 }/' \
    "$tmp/sim/scenarios/hung_server_nginx_conf.textproto" > "$tmp/sim/scenarios/failing.textproto"
cat >> "$tmp/sim/scenarios/failing.textproto" <<'EOT'
faults { at: "20s" node: "server2" slow { delay: "1ms" } }
faults { at: "30s" node: "server2" clock_jump { by: "1s" } }
EOT
out=$("$sim" run "$tmp/sim/scenarios/failing.textproto" --seed=3 2>&1); rc=$?
[ $rc -eq 1 ] && grep -q "FAILS  success rate" <<<"$out" && \
  grep -q "replay: bazel run //sim -- run .*failing.textproto --seed=3" <<<"$out" \
  || fail "failing run: rc=$rc $out"

out=$("$sim" shrink "$tmp/sim/scenarios/failing.textproto" --seed=3 2>&1); rc=$?
[ $rc -eq 0 ] || fail "shrink: rc=$rc $out"
shrunk="$tmp/sim/scenarios/failing.shrunk.textproto"
[ -f "$shrunk" ] || fail "no shrunk file: $out"
before=$(grep -c '^faults' "$tmp/sim/scenarios/failing.textproto")
after=$(grep -c '^faults' "$shrunk" || true)
[ "$after" -lt "$before" ] || fail "shrink kept $after of $before faults"
"$sim" run "$shrunk" --seed=3 >/dev/null 2>&1; rc=$?
[ $rc -eq 1 ] || fail "the shrunk scenario no longer fails (rc=$rc)"

out=$("$sim" sweep "$scenarios/weighted.textproto" --seeds=4 --jobs=2 2>/dev/null); rc=$?
[ $rc -eq 0 ] && grep -q "4 passed, 0 failed" <<<"$out" || fail "sweep: rc=$rc $out"
out=$("$sim" sweep "$tmp/sim/scenarios/failing.textproto" --seeds=3 --jobs=1 2>/dev/null); rc=$?
[ $rc -eq 1 ] && grep -q "failed seed 1: replay with: bazel run //sim -- run" <<<"$out" \
  || fail "failing sweep: rc=$rc $out"

out=$("$sim" check "$scenarios/flaky_network.textproto" --max_duration=10s 2>&1); rc=$?
[ $rc -eq 0 ] && grep -q "^deterministic: flaky network, seed 1" <<<"$out" || fail "check: $out"
# A chaos seed's drawn timeline, written as a file elsewhere, is the same run.
out=$("$sim" run "$scenarios/chaos_round_robin.textproto" --seed=9 \
      --write_scenario="$tmp/drawn/seed9.textproto" 2>&1); rc=$?
h1=$(sed -n 's/^trace hash //p' <<<"$out")
grep -q "^drawn faults (" <<<"$out" && [ -n "$h1" ] && [ -f "$tmp/drawn/seed9.textproto" ] \
  || fail "chaos run: rc=$rc $out"
grep -q "^chaos" "$tmp/drawn/seed9.textproto" && fail "the written file still has a chaos section"
h2=$("$sim" run "$tmp/drawn/seed9.textproto" --seed=9 2>&1 | sed -n 's/^trace hash //p')
[ "$h1" = "$h2" ] || fail "written timeline: trace hash $h2, the chaos run had $h1"
# A sweep of a chaos scenario groups its failures by signature.
sed -e 's/^properties { circuit_breaker {} }$/properties { success_rate { at_least: 0.99 } }/' \
    "$tmp/sim/scenarios/chaos_round_robin.textproto" > "$tmp/sim/scenarios/chaos_strict.textproto"
out=$("$sim" sweep "$tmp/sim/scenarios/chaos_strict.textproto" --seeds=20 --jobs=2 \
      --out_json="$tmp/seeds.jsonl" 2>/dev/null); rc=$?
[ "$(wc -l < "$tmp/seeds.jsonl")" -eq 20 ] && \
  [ "$(grep -c '^{"scenario":"chaos round robin",.*"seed":"[0-9]*","ok":\(true\|false\),"trace_hash":"[0-9a-f]\{16\}"' "$tmp/seeds.jsonl")" -eq 20 ] && \
  grep -q '"ok":false,.*"signatures":\["success rate \\u003e= 0.99 \[' "$tmp/seeds.jsonl" \
  || fail "--out_json: $(head -3 "$tmp/seeds.jsonl")"
if command -v node >/dev/null; then
  node -e 'require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").forEach(l => JSON.parse(l))' \
    "$tmp/seeds.jsonl" || fail "--out_json lines are not JSON"
fi
[ $rc -eq 1 ] && grep -q "^failure signatures (" <<<"$out" && \
  grep -q "success rate >= 0.99 \[" <<<"$out" && grep -q "smallest seed [0-9]* drew: " <<<"$out" \
  || fail "chaos sweep signatures: rc=$rc $out"
# Sharded: two shards' --out_json merged give the unsharded sweep's report
# (its first line aside) and exit code; --junit the same XML.
"$sim" sweep "$tmp/sim/scenarios/chaos_strict.textproto" --seeds=20 --jobs=2 \
  --junit="$tmp/whole.xml" > "$tmp/whole.out" 2>/dev/null; whole_rc=$?
for i in 0 1; do
  "$sim" sweep "$tmp/sim/scenarios/chaos_strict.textproto" --seeds=20 --jobs=2 \
    --shard_index=$i --shard_count=2 --out_json="$tmp/shard$i.jsonl" >/dev/null 2>&1
done
"$sim" merge "$tmp/shard1.jsonl" "$tmp/shard0.jsonl" --junit="$tmp/merged.xml" \
  > "$tmp/merged.out" 2>&1; merged_rc=$?
[ $whole_rc -eq 1 ] && [ $merged_rc -eq 1 ] \
  && grep -q "^chaos round robin: 20 seeds merged from 2 files: " "$tmp/merged.out" \
  && diff <(tail -n +2 "$tmp/whole.out") <(tail -n +2 "$tmp/merged.out") \
  && diff <(grep -v "time=" "$tmp/whole.xml") <(grep -v "time=" "$tmp/merged.xml") \
  || fail "merge: rc=$whole_rc/$merged_rc $(cat "$tmp/merged.out")"
grep -q '<testcase classname="chaos round robin" name="success rate &gt;= 0.99">' "$tmp/merged.xml" \
  && grep -q '<failure type="property" message="broke in [0-9]* of 20 seeds">' "$tmp/merged.xml" \
  || fail "junit: $(cat "$tmp/merged.xml")"
if command -v python3 >/dev/null; then
  python3 -c 'import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])' "$tmp/merged.xml" \
    || fail "--junit is not XML"
fi
out=$("$sim" merge "$tmp/shard0.jsonl" "$tmp/shard0.jsonl" 2>&1); rc=$?
[ $rc -eq 2 ] && grep -q "shard0.jsonl:1: seed [0-9]* is counted twice" <<<"$out" || fail "merge twice: rc=$rc $out"
echo 'not json' > "$tmp/bad.jsonl"
out=$("$sim" merge "$tmp/bad.jsonl" 2>&1); rc=$?
[ $rc -eq 2 ] && grep -q "bad.jsonl:1: expected one seed's JSON line" <<<"$out" || fail "merge bad: rc=$rc $out"
out=$("$sim" run "$scenarios/chaos_round_robin.textproto" --write_scenario=x --max_duration=5s 2>&1); rc=$?
[ $rc -eq 2 ] || fail "--write_scenario with --max_duration: rc=$rc"

# SIGINT during a sweep: it stops promptly and still prints the summary of
# the seeds done (bounded: the sweep would take hours).
interrupted "$tmp/sweep.out" "$sim" sweep "$scenarios/flaky_network.textproto" \
  --seeds=1000000 --jobs=2
echo "sim tool: all checks passed"
