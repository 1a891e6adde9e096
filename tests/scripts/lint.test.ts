/**
 * The layering lint (scripts/lint.mjs with scripts/import-layers.mjs) run on small trees laid
 * out like the repository: each forbidden direction fails it with the file and the rule, the
 * allowed ones pass, and the repository itself passes.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const lint = join(__dirname, '..', '..', 'scripts', 'lint.mjs');
const roots: string[] = [];
afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

function lintTree(files: Record<string, string>): { code: number | null; output: string } {
  const root = mkdtempSync(join(tmpdir(), 'batchscope-lint-'));
  roots.push(root);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  const result = spawnSync(process.execPath, [lint, root], { encoding: 'utf8' });
  return { code: result.status, output: result.stdout + result.stderr };
}

describe('layering lint', () => {
  it('fails a relative import from the engine into the store, naming the file and the rule', () => {
    const { code, output } = lintTree({ 'main/engine/training/loop.ts': "import { openStore } from '../../store/open-store';\n", 'main/store/open-store.ts': 'export const openStore = 1;\n' });
    expect(code).toBe(1);
    expect(output).toContain('main/engine/training/loop.ts: imports main/store/open-store (engine → store): the engine is pure training code');
  });

  it('fails common/ reaching into main/, the store importing tfjs, and the renderer importing main even for types', () => {
    const { code, output } = lintTree({
      'common/spec.ts': "export { x } from '../main/api/create-api';\n",
      'main/store/runs.ts': "import * as tf from '@tensorflow/tfjs-core';\n",
      'renderer/src/views/Runs.vue': "<script setup lang=\"ts\">\nimport type { Store } from '../../../main/store/open-store';\n</script>\n",
      'main/runner/job-runner.ts': "const api = await import('../api/create-api');\n",
    });
    expect(code).toBe(1);
    expect(output).toContain('common/spec.ts: imports main/api/create-api (common → api)');
    expect(output).toContain('main/store/runs.ts: imports @tensorflow/tfjs-core: the store must not import tfjs');
    expect(output).toContain('renderer/src/views/Runs.vue: imports main/store/open-store (renderer → store, type only)');
    expect(output).toContain('main/runner/job-runner.ts: imports main/api/create-api (runner → api)');
  });

  it('passes the allowed directions: everything → common, api → store/runner/engine, renderer → common', () => {
    expect(
      lintTree({
        'main/api/create-api.ts': "import { x } from '../../common/spec';\nimport { openStore } from '../store/open-store';\nimport { JobRunner } from '../runner/job-runner';\nimport { loadDataset } from '../engine/data/load-dataset';\n",
        'renderer/src/api.ts': "import { createHttpClient } from '../../common/api-client';\nimport type { RunRecord } from '../../common/api-contract';\n",
        'main/engine/data/csv.ts': "import { maxClasses } from '../../../common/spec';\nimport { readFile } from 'node:fs/promises';\n",
      }),
    ).toEqual({ code: 0, output: 'lint: ok\n' });
  });

  it('passes on the repository itself', () => {
    const result = spawnSync(process.execPath, [lint], { encoding: 'utf8', cwd: join(__dirname, '..', '..') });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});
