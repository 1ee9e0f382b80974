#!/usr/bin/env bash
# The loop end to end, for two flaws: `sim explore` finds the failure in
# simulation, `sim shrink` writes it down as a small fixed-timeline scenario,
# and `sim live` plays that scenario against real nginx and real servers,
# where the same failure signature shows again.
#  - nginx/seed.conf (no `error` in grpc_next_upstream): a crashed backend's
#    refused connections are not retried;
#  - nginx/explore/max_fails_zero.conf: a hung backend is never taken out.
set -uo pipefail
root="${TEST_SRCDIR}/${TEST_WORKSPACE}"
sim="$root/tools/sim_cli/sim"
tmp="${TEST_TMPDIR:-/tmp}/explore_live"
mkdir -p "$tmp"
fail() { echo "FAIL: $*"; exit 1; }

confirm() {  # confirm CONF SEEDS CAUSE
  local name; name=$(basename "$1" .conf)
  out=$("$sim" explore "$1" --seeds="$2" --jobs=2 --write_scenario="$tmp/$name.textproto" 2>&1); rc=$?
  [ $rc -eq 1 ] || fail "$name explore: rc=$rc $out"
  sig=$(grep -m1 -E "^  [0-9]+ seeds?: availability \($3" <<<"$out" | sed -E 's/^  [0-9]+ seeds?: //')
  [ -n "$sig" ] || fail "$name: no signature naming '$3': $out"
  seed=$(grep -A1 -F "$sig" <<<"$out" | grep -m1 -oE "smallest seed [0-9]+" | grep -oE "[0-9]+")
  out=$("$sim" shrink "$tmp/$name.textproto" --seed="$seed" --signature="$sig" \
        --out="$tmp/$name.shrunk.textproto" 2>&1); rc=$?
  [ $rc -eq 0 ] || fail "$name shrink: rc=$rc $out"
  out=$("$sim" live "$tmp/$name.shrunk.textproto" 2>&1); rc=$?
  [ $rc -eq 1 ] && grep -qF "reproduced live: $sig" <<<"$out" \
    || fail "$name live: rc=$rc (expected the failure '$sig' to reproduce) $out"
  echo "ok: $name seed $seed reproduced live: $sig"
  grep -E "FAILS|first lost" <<<"$out"
}
confirm "$root/nginx/seed.conf" 20 "grpc_next_upstream without error"
confirm "$root/nginx/explore/max_fails_zero.conf" 10 "max_fails=0"
echo PASS
