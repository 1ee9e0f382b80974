#!/usr/bin/env bash
# Runs one shard of a scenario sweep (see sim/defs.bzl).
set -euo pipefail
[ -n "${TEST_SHARD_STATUS_FILE:-}" ] && touch "$TEST_SHARD_STATUS_FILE"
scenario="$1"; shift
cd "${TEST_SRCDIR}/${TEST_WORKSPACE}"
# Each shard's seeds as JSON lines and JUnit, among Bazel's test outputs
# (bazel-testlogs/.../shard_N_of_M/test.outputs/outputs.zip): `sim merge`
# combines them (docs/SCALING.md).
outputs=()
if [ -n "${TEST_UNDECLARED_OUTPUTS_DIR:-}" ]; then
  outputs=(--out_json="$TEST_UNDECLARED_OUTPUTS_DIR/seeds.jsonl"
           --junit="$TEST_UNDECLARED_OUTPUTS_DIR/sweep.xml")
fi
exec tools/sim_cli/sim sweep "$scenario" --jobs=1 "${outputs[@]}" "$@"
