import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

/** Where scripts/allocator-env.sh looks for jemalloc, in its order: read from the script so the two cannot drift. */
const JEMALLOC_PATHS = readFileSync('scripts/allocator-env.sh', 'utf8').match(/\/[\w/.-]*\/libjemalloc\.so\.2/g) ?? [];

/** Starts node the way npm start / dev / bench do, and reports the allocator settings and what it loaded. */
async function startedWith(env: Record<string, string | undefined>) {
  const probe =
    "const maps = require('fs').readFileSync('/proc/self/maps', 'utf8');" +
    'console.log(JSON.stringify({ jemalloc: maps.includes("libjemalloc"), preload: process.env.LD_PRELOAD ?? null,' +
    ' conf: process.env.MALLOC_CONF ?? null, arenas: process.env.MALLOC_ARENA_MAX ?? null }))';
  const base = { ...process.env };
  delete base.LD_PRELOAD;
  delete base.MALLOC_CONF;
  delete base.MALLOC_ARENA_MAX;
  delete base.DATACREEK_JEMALLOC;
  const { stdout } = await run('sh', ['-c', `. ./scripts/allocator-env.sh && exec "${process.execPath}" -e "$PROBE"`], {
    env: { ...base, ...env, PROBE: probe },
  });
  return JSON.parse(stdout) as { jemalloc: boolean; preload: string | null; conf: string | null; arenas: string | null };
}

describe('scripts/allocator-env.sh', () => {
  const installed = JEMALLOC_PATHS.find((path) => existsSync(path));

  it('reads its list of places to look for jemalloc', () => {
    expect(JEMALLOC_PATHS).toContain('/usr/lib/x86_64-linux-gnu/libjemalloc.so.2');
  });

  it('starts the process on jemalloc when it is installed, else on glibc with two arenas', async () => {
    const started = await startedWith({});
    expect(started.arenas).toBe('2');
    if (installed) {
      expect(started).toMatchObject({ jemalloc: true, preload: installed, conf: 'background_thread:true,dirty_decay_ms:2000,muzzy_decay_ms:0' });
    } else {
      expect(started).toMatchObject({ jemalloc: false, preload: null, conf: null });
    }
  });

  it('keeps glibc with DATACREEK_JEMALLOC=0, and leaves an LD_PRELOAD already set alone', async () => {
    expect(await startedWith({ DATACREEK_JEMALLOC: '0' })).toMatchObject({ jemalloc: false, preload: null, arenas: '2' });
    // libdl.so.2: a library every glibc system has, preloaded here for nothing but to be kept.
    const own = await startedWith({ LD_PRELOAD: 'libdl.so.2', MALLOC_ARENA_MAX: '4' });
    expect(own).toMatchObject({ jemalloc: false, preload: 'libdl.so.2', conf: null, arenas: '4' });
  });
});
