import { describe, expect, it } from 'vitest';
import {
  buildWorkflowId,
  curateWorkflowId,
  datasetOfBuild,
  exportWorkflowId,
  ingestWorkflowId,
  pipelineWorkflowId,
  uniqueSuffix,
  workflowIdCandidates,
} from '../../../src/client';

describe('task ids', () => {
  it('spell each kind of task as <kind>-<dataset>[-<suffix>]', () => {
    expect(buildWorkflowId('docs')).toBe('build-docs');
    expect(ingestWorkflowId('docs', 'x1')).toBe('ingest-docs-x1');
    expect(curateWorkflowId('docs', 'x1')).toBe('curate-docs-x1');
    expect(exportWorkflowId('docs', 'x1')).toBe('export-docs-x1');
  });

  it('turn a pipeline label into a safe, bounded id', () => {
    expect(pipelineWorkflowId('My Pipeline!/v2', 's')).toBe('pipeline-my-pipeline-v2-s');
    expect(pipelineWorkflowId('a'.repeat(100), 's')).toBe(`pipeline-${'a'.repeat(60)}-s`);
  });

  it('give unique suffixes that sort by start time', async () => {
    const first = uniqueSuffix();
    await new Promise((r) => setTimeout(r, 5));
    const second = uniqueSuffix();
    expect(first).toMatch(/^[0-9a-z]+-[0-9a-f]{6}$/);
    expect(second).not.toBe(first);
    expect(second > first).toBe(true);
  });

  it('read the dataset back from a build id only', () => {
    expect(datasetOfBuild('build-docs')).toBe('docs');
    expect(datasetOfBuild('ingest-docs-x1')).toBeUndefined();
  });

  it('let a dataset id name its build, but a build id name only itself', () => {
    expect(workflowIdCandidates('docs')).toEqual(['docs', 'build-docs']);
    expect(workflowIdCandidates('ingest-docs-x1')).toEqual(['ingest-docs-x1', 'build-ingest-docs-x1']);
    expect(workflowIdCandidates('build-docs')).toEqual(['build-docs']);
  });
});
