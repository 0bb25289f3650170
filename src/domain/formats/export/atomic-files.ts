// Files and directories that appear under their final names all together or not at all: each is written
// under a temporary name beside its target and renamed only when every one of them is complete.
import { randomUUID } from 'node:crypto';
import { rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export class AtomicOutputs {
  private readonly pending: { temp: string; target: string }[] = [];

  /** A temporary path beside `target` (same directory, so the final rename stays on one file system). */
  reserve(target: string): string {
    const temp = join(dirname(target), `.${basename(target)}.tmp-${process.pid}-${randomUUID().slice(0, 8)}`);
    this.pending.push({ temp, target });
    return temp;
  }

  /** Moves every reserved output to its final name; an existing directory there is replaced. */
  async commit(): Promise<void> {
    for (const { temp, target } of this.pending) {
      try {
        await rename(temp, target);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== 'ENOTEMPTY' && code !== 'EEXIST' && code !== 'EISDIR') throw error;
        // A directory cannot be renamed over a non-empty one: move the old one aside first.
        const old = `${temp}.old`;
        await rename(target, old);
        await rename(temp, target);
        await rm(old, { recursive: true, force: true });
      }
    }
    this.pending.length = 0;
  }

  /** Removes whatever was written so far; nothing half-written stays behind. */
  async abort(): Promise<void> {
    await Promise.all(this.pending.map(({ temp }) => rm(temp, { recursive: true, force: true })));
    this.pending.length = 0;
  }
}
