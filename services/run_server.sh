#!/usr/bin/env bash
# Runs the Saludo server from runfiles with the target's flags plus the user's.
set -euo pipefail
here="${RUNFILES_DIR:-$0.runfiles}"
# Named as the user ran it (service1, service2) in usage and messages.
exec -a "$(basename "$0")" "$here/saludo_sim/services/saludo_server" "$@"
