#!/usr/bin/env bash
# Real nginx vs the nginx twin: the named seed cases and 150 random cases.
set -euo pipefail
root="${TEST_SRCDIR}/${TEST_WORKSPACE}"
# Under --config=tsan the suppressions path is relative to the runfiles root;
# the harness runs from elsewhere, so make it absolute.
if [ -n "${TSAN_OPTIONS:-}" ]; then
  export TSAN_OPTIONS="${TSAN_OPTIONS//suppressions=tests\//suppressions=$root/tests/}"
fi
exec "$root/tests/nginx_differential" --cases=150
