// Where a worker's workflow code comes from. A production worker loads the bundle `npm run build:workflows` wrote
// (the image builds it once, so a worker starts without running webpack); without one, or with one older than the
// sources, it bundles src/workflows at start as development and tests always do.
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WorkerOptions } from '@temporalio/worker';
import { PROJECT_ROOT } from '../infra/config';

export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));
/** Git-ignored, like every build output. */
export const PREBUILT_WORKFLOW_BUNDLE = path.join(PROJECT_ROOT, 'dist', 'workflow-bundle.js');
/** Workflow code imports domain types and pure modules too, so any source file may be in the bundle. */
const SOURCE_ROOT = path.join(PROJECT_ROOT, 'src');

export interface WorkflowCode {
  options: Pick<WorkerOptions, 'workflowsPath' | 'workflowBundle'>;
  /** Which code the worker runs and why, for its start-up log. */
  description: string;
}

export function chooseWorkflowCode(bundlePath = PREBUILT_WORKFLOW_BUNDLE, sourceRoot = SOURCE_ROOT): WorkflowCode {
  const fromSources = (why: string): WorkflowCode => ({
    options: { workflowsPath: WORKFLOWS_PATH },
    description: `workflows bundled from the sources at start (${why})`,
  });
  const bundleTime = modifiedAt(bundlePath);
  if (bundleTime === undefined) return fromSources(`no prebuilt bundle at ${bundlePath}; \`npm run build:workflows\` writes one`);
  // A bundle built before the sources last changed would run old workflow code: a replay divergence waiting to happen.
  const newer = firstFileNewerThan(sourceRoot, bundleTime);
  if (newer) return fromSources(`the prebuilt bundle ${bundlePath} is older than ${newer}; run \`npm run build:workflows\` again`);
  return { options: { workflowBundle: { codePath: bundlePath } }, description: `workflows from the prebuilt bundle ${bundlePath}` };
}

function modifiedAt(file: string): number | undefined {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
}

function firstFileNewerThan(dir: string, time: number): string | undefined {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      const found = firstFileNewerThan(full, time);
      if (found) return found;
    } else if (statSync(full).mtimeMs > time) {
      return full;
    }
  }
  return undefined;
}
