/**
 * An experiment's report as one self-contained HTML file: the claim it tests,
 * the headline chart, accuracy curves (seeds as mean and band), steps to a
 * target against batch size for batch-size sweeps, per-layer structure and curvature
 * heatmaps (inline SVG), and a table of final metrics with mean ± the 95 % interval over seeds.
 */
import { adapterLabel } from '../../common/adapter-label';
import type { BatchscopeApi, RunRecord } from '../../common/api-contract';
import { layerFields } from '../../common/api-contract';
import { groupRuns, meanStd } from '../../common/report/run-groups';
import { formatInterval } from '../../common/stats/interval';
import { accuracyCurves, headlineChart, layerHeatmap, layerMeansChart, stepsToTargetChart } from '../../common/report/report-charts';
import { defaultTarget, describeTarget, reachOfRuns } from '../../common/report/steps-to-target';
import { renderSvg } from './render-svg';

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const structureFields = ['gradNorm', 'updateNorm', 'effectiveLr', 'curvature'] as const satisfies readonly (typeof layerFields)[number][];

async function layerMeans(api: BatchscopeApi, run: RunRecord, field: (typeof structureFields)[number]): Promise<number[]> {
  const series = await api.layerSeries({ runId: run.id, field, maxPoints: 100_000 });
  return run.layers.map((_, layer) => {
    const values = (series.layers.find((l) => l.layer === layer)?.value ?? []).filter((v): v is number => v !== null && Number.isFinite(v)).map(Math.abs);
    return meanStd(values).mean;
  });
}

export async function buildReportHtml(api: BatchscopeApi, experimentId: number, claim?: string): Promise<string> {
  const { experiment, runs } = await api.getExperiment({ id: experimentId });
  const finished = runs.filter((r) => r.summary !== null);
  const evals = finished.length ? await api.evalSeries({ runIds: finished.map((r) => r.id) }) : [];
  const groups = groupRuns(finished, evals);
  const sections: string[] = [];
  if (groups.length) {
    sections.push(`<figure>${renderSvg(headlineChart(groups))}</figure>`);
    sections.push(`<figure>${renderSvg(accuracyCurves(finished, evals))}</figure>`);
    const value = defaultTarget('testAccuracy', evals);
    if (value !== null && new Set(finished.map((r) => r.spec.batch.size)).size > 1) {
      const target = { metric: 'testAccuracy' as const, value };
      sections.push(`<figure>${renderSvg(stepsToTargetChart(reachOfRuns(finished, evals, target), describeTarget(target)))}</figure>`);
    }
  }
  // per-layer structure across the groups (averaged over seeds), when the runs share a model
  const names = finished[0]?.layers.map((l) => l.name) ?? [];
  if (names.length && finished.every((r) => r.layers.length === names.length)) {
    for (const field of structureFields) {
      const perGroup = [];
      for (const g of groups) {
        const perRun = await Promise.all(g.runIds.map((id) => layerMeans(api, finished.find((r) => r.id === id)!, field)));
        perGroup.push({ label: g.label, means: names.map((_, l) => meanStd(perRun.map((m) => m[l]!)).mean) });
      }
      if (perGroup.some((g) => g.means.some((m) => Number.isFinite(m) && m > 0))) sections.push(`<figure>${renderSvg(layerMeansChart(field, names, perGroup))}</figure>`);
    }
  }
  const heatmaps: string[] = [];
  for (const run of finished.slice(0, 12)) {
    const curvature = await api.layerSeries({ runId: run.id, field: 'curvature', maxPoints: 120 });
    if (curvature.layers.some((l) => l.value.some((v) => v !== null))) {
      heatmaps.push(`<figure class="half">${renderSvg(layerHeatmap(curvature, `Curvature — ${run.label}`), 560, 300)}</figure>`);
    }
  }
  const table = `<table>
<thead><tr><th>runs</th><th>status</th><th>final test acc %</th><th>best test acc %</th><th>final train acc %</th><th>gap (train − test) %</th><th>wall time s</th></tr></thead>
<tbody>${groups
    .map(
      (g) =>
        `<tr><td>${escapeHtml(g.label)} <span class="ids">(${g.runIds.map((id) => `#${id}`).join(', ')})</span></td><td>${escapeHtml([...new Set(g.statuses)].join(', '))}</td><td>${formatInterval(g.finalTestAccuracy)}</td><td>${formatInterval(g.bestTestAccuracy)}</td><td>${formatInterval(g.finalTrainAccuracy)}</td><td>${formatInterval(g.gap)}</td><td>${formatInterval(g.wallSec, 1, 1)}</td></tr>`,
    )
    .join('\n')}</tbody></table>`;
  const unfinished = runs.filter((r) => r.summary === null);
  const backend = finished[0]?.backend;
  const adapter = finished.find((r) => r.gpuAdapter)?.gpuAdapter;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(experiment.name)} — Batchscope report</title>
<style>
body{font:14px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1d232b;max-width:1180px;margin:32px auto;padding:0 24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px}.meta{color:#5b6573}
.claim{background:#f3f6fa;border-left:4px solid #3b6fd8;padding:10px 14px;margin:16px 0}
figure{margin:12px 0;display:inline-block}figure.half{width:560px}
table{border-collapse:collapse;margin-top:8px}th,td{border-bottom:1px solid #e3e7ed;padding:6px 8px;text-align:right}
th:first-child,td:first-child{text-align:left}.ids{color:#8a93a0;font-size:12px}
</style></head><body>
<h1>${escapeHtml(experiment.name)}</h1>
<div class="meta">experiment #${experiment.id} · created ${escapeHtml(experiment.createdAt.slice(0, 16).replace('T', ' '))} UTC · ${runs.length} run(s)${backend ? ` · ${escapeHtml(backend.package)} ${escapeHtml(backend.version)}` : ''}${adapter ? ` · ${escapeHtml(adapterLabel(adapter))}` : ''}${experiment.tags.length ? ` · ${escapeHtml(experiment.tags.join(', '))}` : ''}</div>
${claim ? `<div class="claim"><strong>Claim tested.</strong> ${escapeHtml(claim)}</div>` : ''}
${experiment.notes ? `<p>${escapeHtml(experiment.notes)}</p>` : ''}
<h2>Final metrics${groups.some((g) => g.finalTestAccuracy.n > 1) ? ' (mean ± 95 % t-interval over seeds; min–max for two)' : ''}</h2>
${groups.length ? table : '<p>No run has finished yet.</p>'}
${unfinished.length ? `<p class="meta">Not finished: ${unfinished.map((r) => `#${r.id} ${escapeHtml(r.label)} (${r.status})`).join(', ')}</p>` : ''}
<h2>Charts</h2>
${sections.join('\n')}
${heatmaps.length ? `<h2>Per-layer curvature</h2>\n${heatmaps.join('\n')}` : ''}
<h2>Spec</h2>
<pre>${escapeHtml(JSON.stringify(experiment.spec, null, 2))}</pre>
</body></html>
`;
}
