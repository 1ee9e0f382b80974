#!/usr/bin/env bash
# pgo_build.sh: builds the simulator's command line (//tools/sim_cli:sim) with
# GCC's profile-guided optimisation, for sweeps and explores of many seeds
# (docs/BENCHMARKS.md, "Profile-guided build"). From the workspace root:
#
#   tools/sim_cli/pgo_build.sh [--seeds=N]
#
# 1. Builds an instrumented sim (-fprofile-generate) with -c opt
#    --config=pgo, which has its own output directory.
# 2. Trains it: a sweep of N seeds (default 20) of every shipped scenario and
#    an explore of nginx/nginx.conf, one job each, so the counts are exact.
# 3. Rebuilds it in the same directory with -fprofile-use, from a copy of
#    the profile in a directory named by the profile's hash (so the compile
#    flags change with the profile). GCC finds a profile by its object's
#    path, and the inline functions of generated headers by theirs, so both
#    builds must share one output directory: each run recompiles the
#    simulator's own code twice (about 6 minutes on 2 cores).
# 4. Runs the pinned traces in the optimised build (//tests:trace_pins_test):
#    the optimisation may not move a trace hash.
# The last line printed is the built binary's path. The profiles live in
# Bazel's output base (saludo-pgo/), which `bazel clean --expunge` removes.
# Exits non-zero if a build, the training or the pins fail.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

usage() {
  echo "usage: tools/sim_cli/pgo_build.sh [--seeds=N]   (N in [1, 10000], default 20)" >&2
  exit 2
}
seeds=20
for arg in "$@"; do
  case "$arg" in
    --seeds=*) seeds="${arg#--seeds=}" ;;
    -h|--help) usage ;;
    *) echo "pgo_build.sh: unknown argument '$arg'" >&2; usage ;;
  esac
done
if ! [[ "$seeds" =~ ^[0-9]+$ ]] || [ "$seeds" -lt 1 ] || [ "$seeds" -gt 10000 ]; then
  echo "pgo_build.sh: --seeds must be an integer in [1, 10000], got '$seeds'" >&2
  usage
fi

profiles="$(./bazelw info output_base)/saludo-pgo"
raw="$profiles/raw"
flags=(-c opt --config=pgo)

echo "pgo_build: 1/4 instrumented build" >&2
./bazelw build "${flags[@]}" --copt=-fprofile-generate="$raw" \
  --copt=-fprofile-update=atomic --linkopt=-fprofile-generate="$raw" \
  //tools/sim_cli:sim
bin="$(./bazelw info "${flags[@]}" bazel-bin)/tools/sim_cli/sim"
rm -rf "$raw" && mkdir -p "$raw"

# Exit 1 is a run whose properties fail (some scenarios are meant to); a
# crash or a usage error is not training.
train() {
  local rc=0
  "$bin" "$@" --jobs=1 --nginx_check=off > /dev/null 2>&1 || rc=$?
  if [ "$rc" -gt 1 ]; then
    echo "pgo_build.sh: training run failed (exit $rc): sim $*" >&2
    exit 1
  fi
}
echo "pgo_build: 2/4 training, $seeds seeds a scenario" >&2
for scenario in scenario/scenarios/*.textproto; do
  train sweep "$scenario" --seeds="$seeds"
done
train explore nginx/nginx.conf --seeds="$seeds" \
  --write_scenario="$profiles/explore.textproto"  # not into the workspace
count=$(find "$raw" -name '*.gcda' | wc -l)
if [ "$count" -eq 0 ]; then
  echo "pgo_build.sh: the training wrote no profile into $raw" >&2
  exit 1
fi
hash=$(cd "$raw" && find . -name '*.gcda' -print0 | LC_ALL=C sort -z |
       xargs -0 sha256sum | sha256sum | cut -c1-16)
use="$profiles/use-$hash"
if [ ! -d "$use" ]; then
  rm -rf "$profiles"/use-*
  cp -r "$raw" "$use"
fi
echo "pgo_build: 3/4 optimised build ($count profiles, $use)" >&2
./bazelw build "${flags[@]}" --copt=-fprofile-use="$use" //tools/sim_cli:sim

echo "pgo_build: 4/4 pinned traces in this build" >&2
./bazelw test "${flags[@]}" --copt=-fprofile-use="$use" \
  //tests:trace_pins_test --test_output=errors --nocache_test_results
echo "$bin"
