#!/usr/bin/env bash
# Service, client and simulator code must reach time, sleeping, threads,
# sockets and randomness only through the runtime seam (runtime/*.h); the live
# implementation (runtime/live), tests, and tooling outside these directories
# (e.g. tools/sim_cli, which runs independent worlds on threads and shows
# progress in real time) are exempt. This test greps
# the sources given as data, and first proves it can fail on a fixture.
set -euo pipefail

banned='std::chrono::(system|steady|high_resolution)_clock::now|absl::Now\(|absl::SleepFor|sleep_for|usleep\(|nanosleep|std::thread|pthread_create|[^_a-z]socket\(|std::random_device|std::(uniform|normal|exponential|lognormal|bernoulli|poisson)_[a-z_]*distribution|absl::BitGen|[^_a-z]s?rand\(|gettimeofday|clock_gettime|[^_a-z]time\((nullptr|NULL|0)\)|isSimulated|if \(simulated'

check() {  # prints offending lines of the given files (comments ignored)
  local hits
  hits=$(awk '{ line = $0; sub(/\/\/.*$/, "", line); print FILENAME ":" FNR ": " line }' "$@" |
         grep -E "$banned" || true)
  if [ -n "$hits" ]; then echo "$hits"; return 1; fi
  return 0
}

root="${TEST_SRCDIR:-.}/${TEST_WORKSPACE:-saludo_sim}"
fixture="$root/tests/banned_calls_fixture.cc.txt"
if check "$fixture" >/dev/null; then
  echo "FAIL: the checker did not catch the banned call in $fixture"; exit 1
fi

mapfile -t files < <(find -L "$root/services" "$root/client" "$root/runtime" "$root/sim" "$root/sim/scenario" \
  -maxdepth 1 \( -name '*.cc' -o -name '*.h' \) ! -name '*_test.cc' | sort)
if [ "${#files[@]}" -lt 5 ]; then
  echo "FAIL: expected the sources as data, found ${#files[@]} files"; exit 1
fi
if ! out=$(check "${files[@]}"); then
  echo "FAIL: nondeterministic calls outside the runtime seam:"
  echo "$out" | sed "s|$root/||"
  exit 1
fi
echo "checked ${#files[@]} files: no banned calls"
