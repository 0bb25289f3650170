#!/usr/bin/env bash
# Installs everything datacreek needs on this machine: npm dependencies, the Temporal CLI (dev server + Web UI)
# into .tools/bin, and the PostgreSQL server binaries when they are missing. Safe to run again.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

echo "== npm dependencies"
# `npm install`, not `npm ci`: the lockfile cannot list other platforms' optional binaries (see MACHINE-NOTES).
npm install --no-audit --no-fund --loglevel=error

echo "== Temporal CLI"
bash scripts/install-temporal.sh

echo "== SeaweedFS (the S3-compatible server the object-storage tests run against)"
bash scripts/install-seaweedfs.sh

echo "== Local model (the default LLM when no endpoint is configured)"
bash scripts/fetch-local-model.sh

echo "== Local embedding model (semantic dedup and search when no embeddings endpoint is configured)"
# Not fatal: without it datacreek falls back to the lexical embedder and says so.
bash scripts/fetch-local-embedding-model.sh || echo "continuing with the lexical embedder as the fallback"

echo "== PostgreSQL server binaries"
if [ -n "${DATABASE_URL:-}" ]; then
  echo "DATABASE_URL is set: using that server"
elif command -v pg_ctl >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
  echo "found: $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)"
elif [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  echo "installed: $(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)"
else
  echo "PostgreSQL server binaries are missing: install them (Debian/Ubuntu: sudo apt-get install postgresql)" >&2
  echo "or set DATABASE_URL to a running server." >&2
  exit 1
fi

echo "== jemalloc (the allocator workers start with: scripts/allocator-env.sh)"
# Not fatal: without it workers use glibc's malloc with two arenas, and hold a few hundred MB more on long builds.
jemalloc_path="$(unset LD_PRELOAD; DATACREEK_JEMALLOC=1; . scripts/allocator-env.sh; echo "${LD_PRELOAD:-}")"
if [ -n "$jemalloc_path" ]; then
  echo "found: $jemalloc_path"
elif [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libjemalloc2 >/dev/null 2>&1 ||
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libjemalloc2 >/dev/null; }; } &&
    echo "installed" || echo "could not install libjemalloc2: workers use glibc's malloc"
else
  echo "not installed (Debian/Ubuntu: sudo apt-get install libjemalloc2): workers use glibc's malloc"
fi
