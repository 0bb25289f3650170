// The parse pool: real worker threads (loading the TypeScript parsers through tsx), a wall-clock limit that ends a
// stuck thread, a heap limit, parser errors passed through intact, cancellation, and a main event loop that stays
// free while a thread is busy.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { ParsePool } from '../../../src/domain/parse-pool/pool';
import { nestedHtml } from '../../chaos/hostile-files';

const html = (text: string) => new Uint8Array(Buffer.from(text));
let pool: ParsePool | undefined;
afterEach(async () => {
  await pool?.close();
  pool = undefined;
});

describe('ParsePool', () => {
  it('parses in a thread and passes parser errors through with their code and hint', async () => {
    pool = new ParsePool({ threads: 1, timeoutMs: 60_000, memoryMb: 256 });
    const doc = await pool.run(
      { kind: 'document', fileName: 'page.html', bytes: html('<html><body><p>Hello from a thread.</p></body></html>'), options: {} },
      { label: 'page.html' },
    );
    expect(doc.document.text).toContain('Hello from a thread.');
    const error = (await pool
      .run({ kind: 'document', fileName: 'deep.html', bytes: html(nestedHtml(600)), options: {} }, { label: 'deep.html' })
      .catch((e: unknown) => e)) as { name: string; code: string; hint: string; message: string };
    expect(error).toMatchObject({ name: 'DocumentError', code: 'limit_exceeded' });
    expect(error.hint).toContain('ingest.max_html_depth');
  });

  it('ends a thread over the time limit, keeps the main event loop free meanwhile, and parses the next file', async () => {
    pool = new ParsePool({ threads: 1, timeoutMs: 3_000, memoryMb: 512 });
    // Warm the thread up, so the limit measures the parse alone.
    await pool.run(
      { kind: 'document', fileName: 'warm.html', bytes: html('<html><body><p>A warm-up page with a few words.</p></body></html>'), options: {} },
      { label: 'warm.html' },
    );
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    const started = Date.now();
    const error = (await pool
      .run({ kind: 'document', fileName: 'slow.html', bytes: html(nestedHtml(2_000)), options: { maxHtmlDepth: 100_000 } }, { label: 'slow.html' })
      .catch((e: unknown) => e)) as { code: string; message: string };
    loop.disable();
    expect(error.code).toBe('parse_timeout');
    expect(error.message).toContain('slow.html: took longer than the 3 s limit');
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(loop.max / 1e6).toBeLessThan(1_000);
    const next = await pool.run(
      { kind: 'document', fileName: 'next.html', bytes: html('<html><body><p>The next file parses as usual.</p></body></html>'), options: {} },
      { label: 'next.html' },
    );
    expect(next.document.text).toContain('The next file parses as usual.');
  });

  it('fails a file that needs more than the heap limit, naming the setting', async () => {
    pool = new ParsePool({ threads: 1, timeoutMs: 60_000, memoryMb: 64 });
    // 400,000 rows become far more than 64 MB of row objects.
    const csv = ['question,answer', ...Array.from({ length: 400_000 }, (_, i) => `What is ${i}?,${i}`)].join('\n');
    const error = (await pool.run({ kind: 'dataset', fileName: 'big.csv', bytes: html(csv), options: {} }, { label: 'big.csv' }).catch((e: unknown) => e)) as {
      code: string;
      message: string;
      hint: string;
    };
    expect(error.code).toBe('parse_out_of_memory');
    expect(error.message).toContain('big.csv: needed more than the 64 MB memory limit');
    expect(error.hint).toContain('ingest.parse_memory_mb');
  });

  it('chunks in the thread when asked, so long texts are cut off the main loop too', async () => {
    pool = new ParsePool({ threads: 1, timeoutMs: 60_000, memoryMb: 512 });
    const text = 'Tide tables and salinity notes from the estuary survey. '.repeat(2_000);
    const { document, chunks } = await pool.run(
      {
        kind: 'document',
        fileName: 'long.txt',
        bytes: html(text),
        options: {},
        chunking: { strategy: 'sliding', chunkSize: 4_000, overlap: 200, wholeDocumentBelow: 8_000 },
      },
      { label: 'long.txt' },
    );
    expect(chunks!.length).toBeGreaterThan(25);
    for (const chunk of chunks!) expect(document.text.slice(chunk.start, chunk.end)).toBe(chunk.text);
  });

  it('stops a parse when its signal aborts', async () => {
    pool = new ParsePool({ threads: 1, timeoutMs: 60_000, memoryMb: 512 });
    const controller = new AbortController();
    const running = pool.run(
      { kind: 'document', fileName: 'slow.html', bytes: html(nestedHtml(2_000)), options: { maxHtmlDepth: 100_000 } },
      { label: 'slow.html', signal: controller.signal },
    );
    setTimeout(() => controller.abort(new Error('activity cancelled')), 2_000);
    const started = Date.now();
    await expect(running).rejects.toThrow('activity cancelled');
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
