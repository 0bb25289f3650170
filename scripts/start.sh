#!/usr/bin/env bash
# The first command of the README: install everything, then bring up the local stack and run the demo job.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
# The worker runs in this process: two malloc arenas keep LanceDB's native threads from spreading its memory over
# one arena per thread (glibc reads this only at start-up, so it is set before node starts, as the image does).
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"
exec node bin/datacreek.js dev --demo "$@"
