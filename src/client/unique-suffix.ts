// Workflow ids of one-shot tasks (ingest, curate, export, pipeline) end in this suffix, so that starting the same
// task twice never collides with an earlier run, and the API and the CLI name their tasks alike.
import { randomBytes } from 'node:crypto';

/** `<time>-<random>`: unique per run, and ids started later sort later. */
export const uniqueSuffix = () => `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
