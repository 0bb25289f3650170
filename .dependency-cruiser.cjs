// Which module may import which: the boundaries docs/ARCHITECTURE.md describes, checked by `npm run lint`
// (scripts/check-boundaries.ts) so a wrong-way import fails CI instead of waiting for a reviewer to notice.
//
// Tiers, from the top down: entry (src/api, src/cli, src/worker) → temporal (src/client, src/workflows,
// src/activities) → domain (src/domain/*) → infra (src/infra/*). A tier imports its own tier or lower ones.
//
// Type-only imports (`import type`) are part of the graph (tsPreCompilationDeps) and follow the tier rules like
// any other import: a type names a design dependency even though it vanishes at run time. Only the rule that keeps
// workflow code deterministic looks at run-time imports alone, because only those reach the workflow bundle.

/** A folder that other folders see only through its index.ts: a top-level folder of src, or one under src/domain or src/infra. */
const FOLDER = '^src/((?:domain|infra)/[^/]+|[^/]+)/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'A cycle makes two modules one: neither can be understood, tested or moved without the other.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'domain-not-upward',
      severity: 'error',
      comment: 'Domain libraries know nothing of Temporal or of the entry points; they are called, they do not call up.',
      from: { path: '^src/domain/' },
      to: { path: '^src/(api|cli|worker|client|workflows|activities)/' },
    },
    {
      name: 'infra-not-upward',
      severity: 'error',
      comment: 'Infrastructure (database, vectors, LLM clients, config, services) serves every tier above and imports none of them.',
      from: { path: '^src/infra/' },
      to: { path: '^src/(api|cli|worker|client|workflows|activities|domain)/' },
    },
    {
      name: 'temporal-not-upward',
      severity: 'error',
      comment: 'Workflows, activities and the Temporal client are driven by the entry points and never import them.',
      from: { path: '^src/(client|workflows|activities)/' },
      to: { path: '^src/(api|cli|worker)/' },
    },
    {
      name: 'cli-not-api',
      severity: 'error',
      comment:
        'The CLI and the HTTP API are two adapters over the same operations (src/client); neither is built on the other. ' +
        'The two commands that run the HTTP server (`serve`, and `dev`, which runs the whole stack) start it through its entry point.',
      from: { path: '^src/cli/', pathNot: '^src/cli/commands/(serve|dev)[.]ts$' },
      to: { path: '^src/api/' },
    },
    {
      name: 'api-not-cli',
      severity: 'error',
      comment: 'The CLI and the HTTP API are two adapters over the same operations (src/client); neither is built on the other.',
      from: { path: '^src/api/' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'workflows-deterministic',
      severity: 'error',
      comment:
        'Workflow code is replayed and must be deterministic: at run time it imports only other workflow modules, pure ' +
        'domain modules, @temporalio/workflow, @temporalio/common and zod. Activities, infrastructure and Node built-ins ' +
        'are reachable only through `import type` (erased before bundling).',
      from: { path: '^src/workflows/' },
      to: {
        dependencyTypesNot: ['type-only'],
        pathNot: ['^src/(workflows|domain)/', '^node_modules/(@temporalio/(workflow|common)|zod)/'],
      },
    },
    {
      name: 'src-not-tests',
      severity: 'error',
      comment: 'The product never depends on its tests, benchmarks, scripts or test kit.',
      from: { path: '^src/' },
      to: { path: '^(tests|bench|scripts|testkit)/' },
    },
    {
      name: 'bench-scripts-not-tests',
      severity: 'error',
      comment:
        'Benchmarks and scripts run outside the test suite; what they share with tests lives in testkit/ (or src), not in ' +
        'tests/. testkit/ itself stays below the test suite, or bench and scripts would reach tests/ through it.',
      from: { path: '^(bench|scripts|testkit)/' },
      to: { path: '^tests/' },
    },
    {
      name: 'through-index',
      severity: 'error',
      comment:
        "Code in src sees another folder only through that folder's index.ts, so a folder's insides can move without " +
        "touching its callers. Beside the index, a folder's vocabulary modules (types.ts, and the formats library's " +
        'training-goals.ts) are public too: names, constants and types without behaviour, cheap to load, so the CLI can ' +
        'list choices in --help without loading whole libraries (an index loads every module of its folder). Two more ' +
        'exceptions, both for the workflow bundle: workflow code may import single modules (an index would pull ' +
        'Node-only modules next to the pure one it needs into the bundle), and other folders import workflow modules ' +
        '(ids, inputs, messages) directly, because src/workflows/index.ts is the bundle entry where every exported ' +
        'function becomes a workflow type.',
      from: { path: FOLDER, pathNot: '^src/workflows/' },
      to: {
        path: FOLDER,
        pathNot: ['^src/$1/', `${FOLDER}(index|types)\\.ts$`, '^src/domain/formats/training-goals\\.ts$', '^src/workflows/'],
      },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(node_modules|\\.data|models|\\.tools)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
      extensions: ['.ts', '.mts', '.js', '.mjs', '.cjs', '.json', '.d.ts'],
    },
    skipAnalysisNotInRules: true,
  },
};
