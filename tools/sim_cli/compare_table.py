#!/usr/bin/env python3
"""Live against simulated, one row per scenario: the table in docs/LIVE_FAULTS.md.

usage: compare_table.py SIM SCENARIO.textproto...

Runs `SIM compare FILE --json=...` for each file (real processes behind real nginx, in a private
network namespace, then the simulator with the file's default seed) and prints a Markdown table:
calls, success rate, successful calls per backend, p50 and p99 latency, circuit-breaker openings,
and what the live run skipped. SIM is the `sim` binary (bazel-bin/tools/sim_cli/sim).
"""
import json
import os
import subprocess
import sys
import tempfile


def cell(live, sim, fmt="{}"):
    return f"{fmt.format(live)} / {fmt.format(sim)}"


def row(name, both):
    live, sim = both["live"]["summary"], both["simulated"]["summary"]

    def rate(s):
        return 100.0 * int(s.get("ok", 0)) / max(1, int(s.get("calls", 0)))

    def backends(s):
        per = s.get("successful_calls_per_backend", {})
        return " ".join(f"{k}={per[k]}" for k in sorted(per))

    def ms(s, p):
        return s.get("latency_ms", {}).get(p, 0.0)

    skipped = [n[len("skipped: "):].split(" (")[0] for n in both["live"].get("notes", [])
               if n.startswith("skipped: ")]
    return "| " + " | ".join([
        name,
        cell(live.get("calls", 0), sim.get("calls", 0)),
        cell(rate(live), rate(sim), "{:.2f} %"),
        f"{backends(live)} / {backends(sim)}",
        cell(ms(live, "p50"), ms(sim, "p50"), "{:.2f}"),
        cell(ms(live, "p99"), ms(sim, "p99"), "{:.1f}"),
        cell(live.get("breaker_openings", 0), sim.get("breaker_openings", 0)),
        ", ".join(skipped) or "nothing",
    ]) + " |"


def main(argv):
    if len(argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    sim, files = argv[1], argv[2:]
    print("| scenario | calls (live / sim) | success | successful calls per backend | "
          "p50 ms | p99 ms | breaker openings | skipped live |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    with tempfile.TemporaryDirectory() as tmp:
        for f in files:
            out = os.path.join(tmp, "compare.json")
            name = os.path.basename(f).replace(".textproto", "")
            done = subprocess.run([sim, "compare", f, f"--json={out}"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                  text=True, check=False)
            if not os.path.exists(out):
                print(f"| {name} | not run: {done.stderr.strip().splitlines()[-1]} |", flush=True)
                continue
            with open(out) as j:
                both = json.load(j)
            os.remove(out)
            print(row(name, both), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
