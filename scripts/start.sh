#!/usr/bin/env bash
# The first command of the README: install everything, then bring up the local stack and run the demo job.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
exec node bin/datacreek.js dev --demo "$@"
