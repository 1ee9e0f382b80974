#!/usr/bin/env bash
# Runs the Saludo server from runfiles with the target's flags plus the user's.
set -euo pipefail
here="${RUNFILES_DIR:-$0.runfiles}"
exec "$here/saludo_sim/services/saludo_server" "$@"
