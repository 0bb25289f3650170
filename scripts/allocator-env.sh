# Sourced (`. scripts/allocator-env.sh`) before a long-running datacreek process starts: npm start, npm run dev,
# npm run bench. The native allocator is chosen when a process starts, so these cannot be set from inside Node.
#
# jemalloc, when installed (Debian/Ubuntu: apt-get install libjemalloc2; scripts/setup.sh installs it as root):
# LanceDB's and Temporal's native threads allocate and free buffers of every size all the time, and glibc's malloc
# keeps the freed pieces, scattered, in its heaps. In the 100k-record benchmark a worker with jemalloc, returning
# freed pages after 2 s from a background thread, ended ~380 MB smaller than with glibc's malloc, and no slower.
# Without jemalloc, two glibc arenas instead of one per thread keep ~100 MB of that spread away.
# DATACREEK_JEMALLOC=0 keeps glibc's malloc; an LD_PRELOAD already set is left as it is.
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"
if [ -z "${LD_PRELOAD:-}" ] && [ "${DATACREEK_JEMALLOC:-1}" != "0" ]; then
  for datacreek_jemalloc in /usr/lib/x86_64-linux-gnu/libjemalloc.so.2 /usr/lib/aarch64-linux-gnu/libjemalloc.so.2 \
    /usr/lib64/libjemalloc.so.2 /usr/lib/libjemalloc.so.2 /usr/local/lib/libjemalloc.so.2; do
    if [ -f "$datacreek_jemalloc" ]; then
      export LD_PRELOAD="$datacreek_jemalloc"
      export MALLOC_CONF="${MALLOC_CONF:-background_thread:true,dirty_decay_ms:2000,muzzy_decay_ms:0}"
      break
    fi
  done
  unset datacreek_jemalloc
fi
