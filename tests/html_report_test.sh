#!/usr/bin/env bash
# The HTML reports in a real browser (Debian's chromium, headless, through
# tests/browser/check_report.mjs): a run of the hung-server scenario, a run
# that fails (its verdict links to its first failed call), a run with clock
# skew (the clock chart), a live-versus-simulated comparison and an
# exploration's seeds (signatures, distributions). Each page:
# no console error, no request, the charts present with the series and
# points they declare; a screenshot of each is a test output
# (bazel-testlogs/tests/html_report_test/test.outputs/).
set -uo pipefail
source "${TEST_SRCDIR}/${TEST_WORKSPACE}/tests/sim_lib.sh" html_report
shots="${TEST_UNDECLARED_OUTPUTS_DIR:-$tmp}"
checker="$root/tests/browser/check_report.mjs"
[ -x /usr/bin/chromium ] || fail "chromium is missing: ./bazelw installs it"
run_charts=calls,latency,histogram,cdf,balancer,attempts

# report NAME CHARTS BACKENDS SIM_ARGS...: writes NAME.html with sim, then
# checks it in the browser.
report() {
  local name="$1" charts="$2" backends="$3" out rc; shift 3
  out=$("$sim" "$@" --html="$tmp/$name.html" 2>&1); rc=$?
  [ -s "$tmp/$name.html" ] || fail "$name: no page written (rc=$rc): $out"
  grep -q "HTML report: $tmp/$name.html" <<<"$out" || fail "$name: path not printed: $out"
  out=$(node "$checker" "$tmp/$name.html" "$shots/$name.png" "$charts" "$backends" 2>&1 | grep -v "unexpected operator"); rc=${PIPESTATUS[0]}
  echo "$out"
  [ $rc -eq 0 ] || fail "$name in the browser"
}

report hung_server "$run_charts" 2 run "$root/scenario/scenarios/hung_server_nginx_conf.textproto"
grep -q 'data-chart="latency"' "$tmp/hung_server.html" || fail "no latency chart"
grep -q '>hang server1<' "$tmp/hung_server.html" || fail "the hang is not labelled on the calls chart"

report failing "$run_charts" 2 run "$root/tests/testdata/hung_failing.textproto"
links=$(grep -o 'href="#call-[0-9]*"' "$tmp/failing.html" | wc -l)
[ "$links" -ge 2 ] || fail "failing run: $links verdicts linked to their call, want 2 (success rate, latency)"

report clock_skew "calls,latency,clocks" 2 run "$root/scenario/scenarios/clock_skew.textproto"

report compare "calls_compare,cdf_compare" 2 compare "$root/docs/scenarios/step1_topology.textproto"
grep -q '<table class="metrics">' "$tmp/compare.html" || fail "no metric table in the comparison"
# A sweep's page (explore of the seed's nginx settings: availability breaks).
report explore "failures,success_rates,p99_latencies" 0 explore "$root/nginx/seed.conf" \
  --seeds=20 --jobs=2 --write_scenario="$tmp/seed.explore.textproto"
grep -q '<table class="signatures">' "$tmp/explore.html" || fail "explore: no signature table"
grep -q 'grpc_next_upstream without error' "$tmp/explore.html" || fail "explore: the signature is not named"
echo PASS
