#!/usr/bin/env bash
# compose.yaml, services/Dockerfile and nginx/Dockerfile, checked without a
# Docker engine (tests/compose_check.py says how).
set -uo pipefail
source "${TEST_SRCDIR}/${TEST_WORKSPACE}/tests/sim_lib.sh" compose
command -v docker-compose >/dev/null || fail "docker-compose is missing: ./bazelw installs it"
python3 "$root/tests/compose_check.py" "$root" "$tmp"
