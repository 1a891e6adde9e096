import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createApi } from '../../main/api/create-api';

describe('the smoke preset', () => {
  it('runs to completion through the API, as a first-time user would start it', async () => {
    const api = await createApi({ dbPath: join(mkdtempSync(join(tmpdir(), 'batchscope-smoke-')), 's.db'), concurrency: 2 });
    try {
      const smoke = (await api.listPresets({})).find((p) => p.id === 'smoke')!;
      const { experiment } = await api.createExperiment({ spec: smoke.spec });
      await api.drained();
      const { runs } = await api.getExperiment({ id: experiment.id });
      expect(runs.map((r) => [r.label, r.status])).toEqual([
        ['B=64', 'completed'],
        ['B=1024', 'completed'],
      ]);
      for (const run of runs) expect(run.summary!.lastEval!.testAccuracy).toBeGreaterThan(0.8);
    } finally {
      await api.close();
    }
  }, 180_000);
});
