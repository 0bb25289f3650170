// Checks the import boundaries in .dependency-cruiser.cjs over src, tests, bench, scripts and testkit, prints every
// violation and exits non-zero when there is one (`npm run lint` runs it).
//
// Why not the `depcruise` binary: dependency-cruiser's command line refuses to start on Node 20 (its release-cycle
// check), while the project runs on Node 20. The library itself works on Node 20, so this calls it the way the
// command line does: the same config file, the same tsconfig, the same error reporter.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cruise } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CHECKED_FOLDERS = ['src', 'tests', 'bench', 'scripts', 'testkit'];

process.chdir(ROOT);
const options = await extractDepcruiseOptions('./.dependency-cruiser.cjs');
const result = await cruise(
  CHECKED_FOLDERS.filter((folder) => existsSync(folder)),
  { ...options, outputType: 'err' },
  {},
  { tsConfig: extractTSConfig('tsconfig.json') },
);
process.stdout.write(String(result.output));
process.exitCode = result.exitCode;
