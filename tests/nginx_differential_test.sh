#!/usr/bin/env bash
# Real nginx vs the nginx twin: the named seed cases and 150 random cases.
set -euo pipefail
exec "${TEST_SRCDIR}/${TEST_WORKSPACE}/tests/nginx_differential" --cases=150
