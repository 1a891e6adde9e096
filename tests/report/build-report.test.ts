import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createApi } from '../../main/api/create-api';
import { loadPresets } from '../../main/api/presets';
import { experimentPreset } from '../../common/report/experiment-preset';
import { buildReportHtml } from '../../main/report/build-report';
import { groupRuns, meanStd } from '../../common/report/run-groups';

describe('experiment report', () => {
  it('mean ± std uses the sample standard deviation and skips missing values', () => {
    expect(meanStd([0.9, 0.92, NaN])).toEqual({ mean: 0.91, std: expect.closeTo(0.0141421, 6), n: 2 });
    expect(meanStd([])).toMatchObject({ n: 0 });
  });

  it('groups runs that differ only in seed, with the interval of their final accuracy', () => {
    const run = (id: number, seed: number, batchSize: number, testAccuracy: number) =>
      ({ id, label: `B=${batchSize} · seed=${seed}`, point: { batchSize, seed }, status: 'completed', spec: { name: 'x' }, summary: { wallMs: 1000, lastEval: { testAccuracy, trainAccuracy: 1, gap: 1 - testAccuracy } } }) as never;
    const groups = groupRuns([run(1, 0, 64, 0.9), run(2, 1, 64, 0.92), run(3, 2, 64, 0.94), run(4, 0, 512, 0.8), run(5, 1, 512, 0.82)], []);
    expect(groups.map((g) => g.label)).toEqual(['B=64', 'B=512']);
    expect(groups[0]!.finalTestAccuracy).toMatchObject({ kind: 't95', n: 3 });
    expect(groups[0]!.finalTestAccuracy.halfWidth).toBeCloseTo((4.303 * 0.02) / Math.sqrt(3), 9);
    expect(groups[1]!.finalTestAccuracy).toMatchObject({ kind: 'min-max', lo: 0.8, hi: 0.82 });
  });

  it('takes the claim from the preset the experiment was launched from (same spec name)', () => {
    const presets = loadPresets();
    const smoke = presets.find((p) => p.id === 'smoke')!;
    expect(experimentPreset((smoke.spec as { name: string }).name, presets)?.claim).toBe(smoke.claim);
    expect(experimentPreset('my own sweep', presets)).toBeUndefined();
  });

  it('writes a self-contained HTML report with the headline chart, heatmaps and a table over seeds', async () => {
    const api = await createApi({ dbPath: join(mkdtempSync(join(tmpdir(), 'batchscope-report-')), 'r.db'), concurrency: 2 });
    try {
      const { experiment } = await api.createExperiment({
        spec: {
          name: 'report test',
          dataset: { kind: 'spirals', samples: 600 },
          model: { kind: 'mlp', hidden: [8] },
          training: { epochs: 2 },
          diagnostics: { curvatureEvery: 2 },
          sweep: { batchSize: [16, 64], seed: [1, 2] },
        },
      });
      await api.drained();
      const { runs } = await api.getExperiment({ id: experiment.id });
      expect(runs.every((r) => r.status === 'completed')).toBe(true);
      const groups = groupRuns(runs, await api.evalSeries({ runIds: runs.map((r) => r.id) }));
      expect(groups.map((g) => [g.label, g.runIds.length, g.finalTestAccuracy.n])).toEqual([
        ['B=16', 2, 2],
        ['B=64', 2, 2],
      ]);
      const html = await buildReportHtml(api, experiment.id, 'small batches generalize better');
      expect(html).toContain('small batches generalize better');
      expect(html).toContain('Test accuracy vs batch size');
      expect(html.match(/<svg/g)!.length).toBeGreaterThanOrEqual(2 + 4);
      expect(html.match(/Curvature — /g)).toHaveLength(4);
      expect(html).toContain('(mean ± 95 % t-interval over seeds; min–max for two)');
      expect(html).toMatch(/<td>\d+\.\d\d ± \d+\.\d\d<\/td>/);
      // self-contained: nothing to fetch
      expect(html).not.toMatch(/<script|<link|src="http/);
      // the same file through the API (what the Report view downloads); no preset has this name, so no claim
      const report = await api.experimentReport({ id: experiment.id });
      expect(report.filename).toBe(`batchscope-report-${experiment.id}.html`);
      expect(report.html).toContain('Test accuracy vs batch size');
      expect(report.html).not.toContain('Claim tested.');
    } finally {
      await api.close();
    }
  });
});
