// How far V8 lets the JS heap grow past what survived its last full collection before it collects again. V8's own
// factor adapts between 1.1 and 4; a worker allocates garbage fast (batches of records, LLM replies, Arrow data) and
// keeps little, so V8 keeps choosing large factors and holds committed heap for garbage: ~90 MB more in the
// 100k-record benchmark, none of it live. A fixed factor keeps the heap near its live size, for more frequent full
// collections.
import v8 from 'node:v8';

/**
 * Sets V8's heap growing factor to 1 + percent / 100 for this whole process (every isolate of it that starts
 * later too); 0 leaves V8's own. V8 reads the flag at each full collection, so setting it while running is safe.
 */
export function setJsHeapGrowingPercent(percent: number): void {
  if (!Number.isInteger(percent) || percent < 0) {
    throw new Error(`worker.js_heap_growing_percent must be a whole number ≥ 0 (0 = V8's own factor), got ${percent}`);
  }
  if (percent === 0) return;
  v8.setFlagsFromString(`--heap-growing-percent=${percent}`);
}
