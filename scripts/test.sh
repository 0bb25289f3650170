#!/usr/bin/env bash
# The whole test suite: unit tests, then integration tests against a real Temporal dev server, real PostgreSQL
# and LanceDB on disk (started and stopped by tests/support/global-setup.ts).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
npx vitest run "$@"
