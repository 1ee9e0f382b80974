# Shared by the shell tests (sim tool, live stack): sourced after `set -uo pipefail`.
# Sets root, sim, tmp (TEST_TMPDIR/$1) and fail; defines the helpers below.
root="${TEST_SRCDIR}/${TEST_WORKSPACE}"
sim="$root/tools/sim_cli/sim"
tmp="${TEST_TMPDIR:-/tmp}/$1"
mkdir -p "$tmp"
fail() { echo "FAIL: $*"; exit 1; }

# interrupted OUT CMD...: runs CMD in the background, sends SIGINT after 2 s
# and expects it to stop within 10 s with exit 130 and "interrupted by
# signal 2 after" in OUT (its stdout). Kills it if it does not.
interrupted() {
  local out="$1"; shift
  "$@" > "$out" 2>/dev/null &
  local pid=$!
  sleep 2
  kill -INT "$pid"
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid"; fail "$* ignored SIGINT for 10 s"; fi
  wait "$pid"; local rc=$?
  [ $rc -eq 130 ] && grep -q "interrupted by signal 2 after" "$out" \
    || fail "interrupted $*: rc=$rc $(cat "$out")"
}

# explore_and_shrink CONF SEEDS CAUSE: explores CONF over SEEDS seeds,
# expects a broken availability whose signature names CAUSE, and shrinks its
# smallest seed keeping that signature into $tmp/NAME.shrunk.textproto.
# Sets name, sig and seed.
explore_and_shrink() {
  name=$(basename "$1" .conf)
  local out rc
  out=$("$sim" explore "$1" --seeds="$2" --jobs=2 --write_scenario="$tmp/$name.textproto" 2>&1); rc=$?
  [ $rc -eq 1 ] && grep -q "BROKE  availability" <<<"$out" || fail "$name: rc=$rc $out"
  sig=$(grep -m1 -E "^  [0-9]+ seeds?: availability \($3" <<<"$out" | sed -E 's/^  [0-9]+ seeds?: //')
  [ -n "$sig" ] || fail "$name: no signature naming '$3': $out"
  seed=$(grep -A1 -F "$sig" <<<"$out" | grep -m1 -oE "smallest seed [0-9]+" | grep -oE "[0-9]+")
  out=$("$sim" shrink "$tmp/$name.textproto" --seed="$seed" --signature="$sig" \
        --out="$tmp/$name.shrunk.textproto" 2>&1); rc=$?
  [ $rc -eq 0 ] && grep -qF "keeping the failure: $sig" <<<"$out" || fail "$name shrink: rc=$rc $out"
}

# start_server ID [FLAGS...]: starts $root/services/serviceID on a free
# loopback port, appends its pid to the array `pids` (the test stops them),
# and sets `port`.
start_server() {
  local id="$1"; shift
  "$root/services/service$id" --id="$id" --port=0 --log_calls=false "$@" > "$tmp/s$id.out" 2>&1 &
  pids+=($!)
  port=""
  for _ in $(seq 1 100); do
    port=$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$tmp/s$id.out" 2>/dev/null)
    [ -n "$port" ] && return
    sleep 0.05
  done
  fail "server $id did not start: $(cat "$tmp/s$id.out")"
}
