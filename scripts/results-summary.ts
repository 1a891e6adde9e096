/**
 * Turns the experiments in a Batchscope database into the tables and figures of
 * docs/results.md: one markdown table per experiment (mean ± 95 % interval over seeds) and
 * its headline and structure charts as SVG under docs/figures/.
 *   node bin/run-ts.mjs scripts/results-summary.ts <db> [figures dir]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createApi } from '../main/api/create-api';
import { loadPresets } from '../main/api/presets';
import { groupRuns } from '../common/report/run-groups';
import { formatInterval, interval } from '../common/stats/interval';
import { accuracyCurves, headlineChart, layerHeatmap, measuredNoiseScale, stepsToTargetChart } from '../common/report/report-charts';
import { defaultTarget, describeTarget, reachOfRuns } from '../common/report/steps-to-target';
import { renderSvg } from '../main/report/render-svg';

const [db, figures = 'docs/figures'] = process.argv.slice(2);
if (!db) throw new Error('usage: results-summary.ts <db> [figures dir]');
mkdirSync(figures, { recursive: true });
const api = await createApi({ dbPath: db, resumeQueued: false });
const presets = loadPresets();
try {
  for (const e of (await api.listExperiments({})).reverse()) {
    const { runs } = await api.getExperiment({ id: e.id });
    const evals = await api.evalSeries({ runIds: runs.map((r) => r.id) });
    const groups = groupRuns(runs, evals);
    const preset = presets.find((p) => (p.spec as { name: string }).name === e.name);
    const slug = preset?.id ?? `experiment-${e.id}`;
    writeFileSync(join(figures, `${slug}-headline.svg`), renderSvg(headlineChart(groups)));
    writeFileSync(join(figures, `${slug}-accuracy.svg`), renderSvg(accuracyCurves(runs, evals)));
    const last = runs.at(-1)!;
    writeFileSync(join(figures, `${slug}-curvature-${last.id}.svg`), renderSvg(layerHeatmap(await api.layerSeries({ runId: last.id, field: 'curvature', maxPoints: 120 }), `Curvature — ${last.label}`), 640, 300));
    console.log(`\n### ${e.name} (experiment #${e.id}${preset ? `, preset \`${preset.id}\`` : ''})\n`);
    console.log(`seeds per configuration: ${[...new Set(groups.map((g) => g.runIds.length))].join(', ')}; mean ± 95 % t-interval half-width\n`);
    console.log('| runs | status | final test acc % | best test acc % | final train acc % | gap % | noise scale B | sharpness λ_max | wall s |');
    console.log('|---|---|---|---|---|---|---|---|---|');
    const sharpness = (g: (typeof groups)[number]) => interval(g.runIds.map((id) => runs.find((r) => r.id === id)?.summary?.sharpness ?? NaN));
    for (const g of groups) {
      console.log(
        `| ${g.label} | ${[...new Set(g.statuses)].join(', ')} | ${formatInterval(g.finalTestAccuracy)} | ${formatInterval(g.bestTestAccuracy)} | ${formatInterval(g.finalTrainAccuracy)} | ${formatInterval(g.gap)} | ${formatInterval(g.noiseScale, 1, 0)} | ${formatInterval(sharpness(g), 1, 2)} | ${formatInterval(g.wallSec, 1, 0)} |`,
      );
    }
    const noise = measuredNoiseScale(groups);
    if (noise !== null) console.log(`\nmeasured gradient noise scale (median over configurations, end of run): B ≈ ${Math.round(noise)}`);
    // steps to a target, for sweeps over batch size
    const finished = runs.filter((r) => r.status === 'completed');
    const value = defaultTarget('testAccuracy', evals);
    if (value !== null && new Set(finished.map((r) => r.spec.batch.size)).size > 1) {
      const target = { metric: 'testAccuracy' as const, value };
      const reach = reachOfRuns(finished, evals, target);
      writeFileSync(join(figures, `${slug}-steps-to-target.svg`), renderSvg(stepsToTargetChart(reach, describeTarget(target))));
      console.log(`\nsteps to ${describeTarget(target)}:\n\n| B | reached | steps | samples | regime |\n|---|---|---|---|---|`);
      for (const p of reach) console.log(`| ${p.batchSize} | ${p.reached}/${p.runs} | ${formatInterval(p.steps, 1, 0)} | ${formatInterval(p.samples, 1, 0)} | ${p.regime} |`);
    }
    // per-layer structure: mean over the run of each layer's quantities, per group
    for (const field of ['gradNorm', 'updateNorm', 'curvature'] as const) {
      const rows: string[] = [];
      for (const g of groups) {
        const series = await api.layerSeries({ runId: g.runIds[0]!, field, maxPoints: 100_000 });
        rows.push(`| ${g.label} | ${series.layers.map((l) => {
          const v = l.value.filter((x): x is number => x !== null && Number.isFinite(x)).map(Math.abs);
          return v.length ? (v.reduce((a, b) => a + b, 0) / v.length).toPrecision(3) : '—';
        }).join(' | ')} |`);
      }
      const names = last.layers.map((l) => l.name);
      console.log(`\nmean ${field} per layer (first seed):\n\n| runs | ${names.join(' | ')} |\n|---|${names.map(() => '---').join('|')}|\n${rows.join('\n')}`);
    }
  }
} finally {
  await api.close();
}
