// Bundles the worker's workflows once for every workflow test file (bundling takes seconds per file otherwise).
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { TestProject } from 'vitest/node';
import { PROJECT_ROOT } from '../../src/infra/config/load';
import { WORKFLOWS_PATH } from '../../src/worker/worker';

declare module 'vitest' {
  export interface ProvidedContext {
    workflowBundlePath: string;
  }
}

export default async function setup(project: TestProject) {
  const dir = path.join(PROJECT_ROOT, '.data', 'test', `workflows-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const bundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: silent });
  const codePath = path.join(dir, 'workflow-bundle.js');
  writeFileSync(codePath, bundle.code);
  project.provide('workflowBundlePath', codePath);
  return () => rmSync(dir, { recursive: true, force: true });
}

const silent = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };
