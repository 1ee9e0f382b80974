#!/usr/bin/env bash
# deploy/k8s's manifests say what they run: they parse as YAML, the Indexed
# Job has as many completions as shards, and their command lines, run here
# with a few seeds (3 shards), give the same report as an unsharded sweep.
set -uo pipefail
root="${TEST_SRCDIR}/${TEST_WORKSPACE}"
sim="$root/tools/sim_cli/sim"
job="$root/deploy/k8s/sweep-job.yaml"
merge="$root/deploy/k8s/merge-job.yaml"
tmp="${TEST_TMPDIR:-/tmp}/scaling"
mkdir -p "$tmp/results"
fail() { echo "FAIL: $*"; exit 1; }

if python3 -c 'import yaml' 2>/dev/null; then
  for f in "$job" "$merge"; do
    python3 -c 'import sys, yaml; list(yaml.safe_load_all(open(sys.argv[1])))' "$f" \
      || fail "$f is not YAML"
  done
fi
completions=$(grep -oE '^  completions: [0-9]+' "$job" | grep -oE '[0-9]+')
shards=$(grep -oE -- '--shard_count=[0-9]+' "$job" | grep -oE '[0-9]+')
[ -n "$completions" ] && [ "$completions" = "$shards" ] \
  || fail "completions ($completions) and --shard_count ($shards) differ"
grep -q "completionMode: Indexed" "$job" || fail "not an Indexed Job"

# The manifests' command lines, for this machine: the binary, the volume, and
# 9 seeds in 3 shards instead of a million in 100.
local_cmd() {  # local_cmd FILE PATTERN SHARD
  grep -E "^ *- /opt/saludo/sim $2 " "$1" | sed -E \
    -e 's/^ *- //' -e "s#/opt/saludo/sim#$sim#" -e "s#/results#$tmp/results#g" \
    -e "s#\\\$\\(SHARD\\)#$3#g" -e 's/--seeds=[0-9]+/--seeds=9/' \
    -e 's/--shard_count=[0-9]+/--shard_count=3/'
}
cd "$root"
for i in 0 1 2; do
  cmd=$(local_cmd "$job" sweep "$i")
  [ -n "$cmd" ] || fail "no sim sweep line in $job"
  sh -c "$cmd" >/dev/null 2>&1 || fail "shard $i: $cmd"
  [ -s "$tmp/results/shard-$i.jsonl" ] || fail "shard $i wrote nothing"
done
cmd=$(local_cmd "$merge" merge x)
[ -n "$cmd" ] || fail "no sim merge line in $merge"
sh -c "$cmd" > "$tmp/merged.out" 2>&1 || fail "merge: $cmd: $(cat "$tmp/merged.out")"
[ -s "$tmp/results/junit.xml" ] || fail "no junit.xml"
whole=$(grep -oE 'sim sweep [^ ]+' "$job" | cut -d' ' -f3)
"$sim" sweep "$whole" --seeds=9 --jobs=2 > "$tmp/whole.out" 2>/dev/null
diff <(tail -n +2 "$tmp/whole.out") <(tail -n +2 "$tmp/merged.out") \
  || fail "merged shards differ from the unsharded sweep"
grep -q "9 seeds merged from 3 files" "$tmp/merged.out" || fail "$(cat "$tmp/merged.out")"
echo PASS
