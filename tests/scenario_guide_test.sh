#!/usr/bin/env bash
# docs/SCENARIOS.md's examples do what the guide says: each step of the
# worked example is valid and its properties hold over several seeds; each
# common mistake is refused by `sim check` (exit 2) with the message its
# "# expect:" line quotes, at a file:line:column; every example file is
# linked from the guide and every linked file exists.
set -uo pipefail
source "${TEST_SRCDIR}/${TEST_WORKSPACE}/tests/sim_lib.sh" scenario_guide
docs="$root/docs"
cd "$root" || fail "no runfiles root"

steps=(docs/scenarios/step*.textproto)
[ ${#steps[@]} -ge 4 ] || fail "expected the four steps, found ${steps[*]}"
for f in "${steps[@]}"; do
  out=$("$sim" sweep "$f" --seeds=10 --jobs=2 2>&1); rc=$?
  [ $rc -eq 0 ] && grep -q ": 10 passed, 0 failed" <<<"$out" || fail "$f: rc=$rc $out"
  echo "ok: $f holds over 10 seeds"
done

mistakes=(docs/scenarios/mistakes/*.textproto)
[ ${#mistakes[@]} -ge 10 ] || fail "expected at least 10 mistakes, found ${#mistakes[@]}"
for f in "${mistakes[@]}"; do
  want=$(sed -n 's/^# expect: //p' "$f")
  [ -n "$want" ] || fail "$f has no '# expect:' line"
  out=$("$sim" check "$f" 2>&1); rc=$?
  [ $rc -eq 2 ] || fail "$f: sim check rc=$rc (want 2): $out"
  grep -qF -- "$want" <<<"$out" || fail "$f: want '$want', got: $out"
  grep -qE "^sim: $f:[0-9]+:[0-9]+: " <<<"$out" || fail "$f: no file:line:column: $out"
  # The guide quotes the same message.
  grep -qF -- "$want" "$docs/SCENARIOS.md" || grep -qF -- "${want//\"/\\\"}" "$docs/SCENARIOS.md" \
    || fail "docs/SCENARIOS.md does not quote '$want'"
  echo "ok: $f is refused with its message"
done

for f in "${steps[@]}" "${mistakes[@]}"; do
  grep -qF "(${f#docs/})" "$docs/SCENARIOS.md" || fail "docs/SCENARIOS.md does not link $f"
done
for link in $(grep -oE '\]\((scenarios/[^)]+)\)' "$docs/SCENARIOS.md" | sed -E 's/^\]\((.*)\)$/\1/'); do
  [ -f "$docs/$link" ] || fail "docs/SCENARIOS.md links $link, which does not exist"
done
echo PASS
