#!/usr/bin/env bash
# Service, client and simulator code must reach time, sleeping, threads,
# sockets and randomness only through the runtime seam (runtime/*.h); the live
# implementation (runtime/live), tests, and tooling outside these directories
# (e.g. tools/sim_cli, which runs independent worlds on threads and shows
# progress in real time) are exempt. This test greps
# the sources given as data, and first proves it can fail on a fixture.
set -euo pipefail

banned='std::chrono::(system|steady|high_resolution)_clock::now|absl::Now\(|absl::SleepFor|sleep_for|usleep\(|nanosleep|std::thread|pthread_create|[^_a-z]socket\(|std::random_device|std::(uniform|normal|exponential|lognormal|bernoulli|poisson)_[a-z_]*distribution|absl::BitGen|[^_a-z]s?rand\(|gettimeofday|clock_gettime|[^_a-z]time\((nullptr|NULL|0)\)|isSimulated|if \(simulated'

check() {  # check PATTERN FILE...: prints offending lines (comments ignored)
  local pattern="$1" hits
  shift
  hits=$(awk '{ line = $0; sub(/\/\/.*$/, "", line); print FILENAME ":" FNR ": " line }' "$@" |
         grep -E "$pattern" || true)
  if [ -n "$hits" ]; then echo "$hits"; return 1; fi
  return 0
}

# enforce PATTERN FIXTURE MIN_FILES WHAT FILE...: the check must reject the
# fixture (so it can fail), see at least MIN_FILES files (so the sources
# really are its data), and find PATTERN in none of them.
enforce() {
  local pattern="$1" fixture="$2" min_files="$3" what="$4" out
  shift 4
  if check "$pattern" "$fixture" >/dev/null; then
    echo "FAIL: the checker did not catch $fixture"; exit 1
  fi
  if [ "$#" -lt "$min_files" ]; then
    echo "FAIL: expected the sources as data, found $# files"; exit 1
  fi
  if ! out=$(check "$pattern" "$@"); then
    echo "FAIL: $what:"
    echo "$out" | sed "s|$root/||"
    exit 1
  fi
}

root="${TEST_SRCDIR:-.}/${TEST_WORKSPACE:-saludo_sim}"

mapfile -t files < <(find -L "$root/services" "$root/client" "$root/runtime" "$root/sim" "$root/scenario" "$root/examples/counter" \
  -maxdepth 1 \( -name '*.cc' -o -name '*.h' \) ! -name '*_test.cc' | sort)
enforce "$banned" "$root/tests/banned_calls_fixture.cc.txt" 5 \
  "nondeterministic calls outside the runtime seam" "${files[@]}"

# The same sources, less the ones that only draw charts: no C library
# transcendental functions. Their last bits differ between libraries and CPUs,
# and what the simulator draws or schedules must be the same on every machine
# (sim/portable_math.h has exp and log; sqrt and rounding are exact in IEEE
# 754, so they are allowed). The chart files turn figures already computed
# into pictures and histogram bins.
banned_math='std::(exp|exp2|expm1|log|log2|log10|log1p|pow|sin|cos|tan|sinh|cosh|tanh|asin|acos|atan|atan2|erf|erfc|tgamma|lgamma|cbrt|hypot)\('
mapfile -t computing < <(printf '%s\n' "${files[@]}" |
  grep -vE '/scenario/(svg_chart|report_charts|html_report|sweep_summary)\.cc$')
enforce "$banned_math" "$root/tests/banned_math_fixture.cc.txt" 5 \
  "C library math where the result must be the same on every machine" "${computing[@]}"

# Every C++ file of ours, tests included: locks come from runtime/sync.h, not
# Abseil's (the system's Abseil is not built with TSan, so its locks would be
# invisible to the TSan gate; runtime/sync.h says more).
banned_locks='absl::(Mutex|MutexLock|ReaderMutexLock|WriterMutexLock|CondVar|Notification|BlockingCounter|Barrier)[^_a-zA-Z]|absl/synchronization/'
mapfile -t all < <(find -L "$root/services" "$root/client" "$root/runtime" "$root/sim" "$root/scenario" "$root/stack" \
  "$root/tools" "$root/examples" "$root/fuzz" "$root/nginx" "$root/tests" \( -name '*.cc' -o -name '*.h' \) | sort -u)
enforce "$banned_locks" "$root/tests/banned_locks_fixture.cc.txt" 40 \
  "Abseil locks (use runtime/sync.h)" "${all[@]}"

echo "checked ${#files[@]} files: no banned calls; ${#computing[@]}: no C library math; ${#all[@]} files: no Abseil locks"
