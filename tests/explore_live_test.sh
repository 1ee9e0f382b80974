#!/usr/bin/env bash
# The loop end to end, for two flaws: `sim explore` finds the failure in
# simulation, `sim shrink` writes it down as a small fixed-timeline scenario,
# and `sim live` plays that scenario against real nginx and real servers,
# where the same failure signature shows again.
#  - nginx/seed.conf (no `error` in grpc_next_upstream): a crashed backend's
#    refused connections are not retried;
#  - nginx/explore/max_fails_zero.conf: a hung backend is never taken out.
set -uo pipefail
source "${TEST_SRCDIR}/${TEST_WORKSPACE}/tests/sim_lib.sh" explore_live

confirm() {  # confirm CONF SEEDS CAUSE
  explore_and_shrink "$@"
  out=$("$sim" live "$tmp/$name.shrunk.textproto" 2>&1); rc=$?
  [ $rc -eq 1 ] && grep -qF "reproduced live: $sig" <<<"$out" \
    || fail "$name live: rc=$rc (expected the failure '$sig' to reproduce) $out"
  echo "ok: $name seed $seed reproduced live: $sig"
  grep -E "FAILS|first lost" <<<"$out"
}
confirm "$root/nginx/seed.conf" 20 "grpc_next_upstream without error"
confirm "$root/nginx/explore/max_fails_zero.conf" 10 "max_fails=0"
echo PASS
