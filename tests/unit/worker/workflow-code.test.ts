import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chooseWorkflowCode, WORKFLOWS_PATH } from '../../../src/worker/workflow-code';

describe('chooseWorkflowCode', () => {
  let dir: string;
  let sources: string;
  let bundle: string;
  const at = (file: string, seconds: number) => utimesSync(file, seconds, seconds);

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'workflow-code-'));
    sources = path.join(dir, 'src');
    mkdirSync(path.join(sources, 'workflows'), { recursive: true });
    writeFileSync(path.join(sources, 'workflows', 'build.ts'), 'export {};');
    at(path.join(sources, 'workflows', 'build.ts'), 1_000);
    bundle = path.join(dir, 'dist', 'workflow-bundle.js');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('bundles the sources when there is no prebuilt bundle, and says how to build one', () => {
    const code = chooseWorkflowCode(bundle, sources);
    expect(code.options).toEqual({ workflowsPath: WORKFLOWS_PATH });
    expect(code.description).toContain('npm run build:workflows');
  });

  it('loads a prebuilt bundle newer than every source file', () => {
    mkdirSync(path.dirname(bundle));
    writeFileSync(bundle, '// bundle');
    at(bundle, 2_000);
    const code = chooseWorkflowCode(bundle, sources);
    expect(code.options).toEqual({ workflowBundle: { codePath: bundle } });
    expect(code.description).toContain('prebuilt bundle');
  });

  it('bundles the sources when a source file changed after the bundle was built, naming that file', () => {
    mkdirSync(path.dirname(bundle));
    writeFileSync(bundle, '// bundle');
    at(bundle, 2_000);
    const changed = path.join(sources, 'workflows', 'build.ts');
    at(changed, 3_000);
    const code = chooseWorkflowCode(bundle, sources);
    expect(code.options).toEqual({ workflowsPath: WORKFLOWS_PATH });
    expect(code.description).toContain(changed);
  });
});
