#!/usr/bin/env bash
# The first command of the README: install everything, then bring up the local stack and run the demo job.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
# The worker runs in this process: jemalloc when installed, else two glibc arenas (read only when a process starts,
# so set before node starts, as the image does).
. scripts/allocator-env.sh
exec node bin/datacreek.js dev --demo "$@"
