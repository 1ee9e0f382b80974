#!/usr/bin/env bash
# Runs one shard of a scenario sweep (see sim/defs.bzl).
set -euo pipefail
[ -n "${TEST_SHARD_STATUS_FILE:-}" ] && touch "$TEST_SHARD_STATUS_FILE"
scenario="$1"; shift
cd "${TEST_SRCDIR}/${TEST_WORKSPACE}"
exec tools/sim_cli/sim sweep "$scenario" --jobs=1 "$@"
