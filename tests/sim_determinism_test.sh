#!/usr/bin/env bash
# The same seed gives the same trace hash in separate processes; different
# seeds give different hashes; the in-process self-check passes.
set -euo pipefail
bin="${TEST_SRCDIR}/${TEST_WORKSPACE}/tools/sim_cli/simulate_seed"
args=(--requests=2000 --concurrency=16 --deadline=20ms
      --latency=lognormal:300us:0.8 --loss=0.01 --hang_server1=50ms)

# Exit 1 = some calls failed (the lossy, hung setup makes sure of it).
hash_of() {
  { "$bin" --seed="$1" "${args[@]}" || [ $? -eq 1 ]; } |
    sed -n 's/.*trace hash \([0-9a-f]*\)$/\1/p'
}

declare -A seen=()
for seed in 1 2 3 4 5; do
  a=$(hash_of "$seed"); b=$(hash_of "$seed")
  if [ -z "$a" ] || [ "$a" != "$b" ]; then
    echo "FAIL: seed $seed gave trace hashes '$a' and '$b' in two processes"; exit 1
  fi
  if [ -n "${seen[$a]:-}" ]; then
    echo "FAIL: seeds ${seen[$a]} and $seed gave the same hash $a"; exit 1
  fi
  seen[$a]=$seed
  echo "seed $seed: $a (twice)"
done
"$bin" --seed=9 "${args[@]}" --check
