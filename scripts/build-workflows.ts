// Bundles the worker's workflow code once (webpack, as the worker would at every start) into the file a production
// worker loads: `npm run build:workflows`. The Docker image runs it at build time.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { PREBUILT_WORKFLOW_BUNDLE, WORKFLOWS_PATH } from '../src/worker/workflow-code';

const started = Date.now();
const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH });
mkdirSync(path.dirname(PREBUILT_WORKFLOW_BUNDLE), { recursive: true });
writeFileSync(PREBUILT_WORKFLOW_BUNDLE, code);
console.log(`workflow bundle: ${PREBUILT_WORKFLOW_BUNDLE} (${(code.length / 1024).toFixed(0)} KiB, ${Date.now() - started} ms)`);
