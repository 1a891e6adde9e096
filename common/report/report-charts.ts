/**
 * ECharts options for an experiment's report: the headline chart for the claim
 * its sweep tests, test accuracy over training, and per-layer heatmaps. Pure
 * data → options, so the same charts render in the app and in the HTML file.
 */
import type { EvalSeries, LayerSeries, RunRecord } from '../api-contract';
import type { RunGroup } from './run-groups';

type Option = Record<string, unknown>;

const base = (title: string, subtitle?: string): Option => ({
  animation: false,
  title: { text: title, subtext: subtitle, left: 'center', textStyle: { fontSize: 14 } },
  legend: { bottom: 0, type: 'scroll' },
  tooltip: { trigger: 'axis' },
  grid: { left: 64, right: 24, top: 64, bottom: 72 },
});

/** What the experiment's sweep varies, in the order the headline chart should use it. */
export function sweptAxes(groups: RunGroup[]): string[] {
  return Object.keys(groups[0]?.point ?? {});
}

/** The chart that carries the experiment's claim. */
export function headlineChart(groups: RunGroup[]): Option {
  const axes = sweptAxes(groups);
  if (axes.includes('batchSize')) {
    const series = new Map<string, [number, number][]>();
    for (const g of groups) {
      const line = axes.filter((a) => a !== 'batchSize').map((a) => `${g.point[a]}`).join(' · ') || 'test accuracy';
      series.set(line, [...(series.get(line) ?? []), [Number(g.point.batchSize), g.finalTestAccuracy.mean * 100]]);
    }
    const gapOnly = series.size === 1;
    return {
      ...base('Test accuracy vs batch size', gapOnly ? 'final test accuracy and generalization gap (train − test)' : 'one line per ' + axes.filter((a) => a !== 'batchSize').join(' · ')),
      legend: { bottom: 0 },
      xAxis: { type: 'log', logBase: 2, name: 'batch size', nameLocation: 'middle', nameGap: 28 },
      yAxis: [{ type: 'value', name: 'test accuracy %', scale: true }, ...(gapOnly ? [{ type: 'value', name: 'gap %', scale: true }] : [])],
      series: [
        ...[...series.entries()].map(([name, data]) => ({ name, type: 'line', symbolSize: 8, data: data.sort((a, b) => a[0] - b[0]) })),
        ...(gapOnly ? [{ name: 'gap', type: 'line', yAxisIndex: 1, lineStyle: { type: 'dashed' }, data: groups.map((g) => [Number(g.point.batchSize), g.gap.mean * 100]).sort((a, b) => a[0]! - b[0]!) }] : []),
      ],
    };
  }
  return {
    ...base('Final test accuracy', axes.join(' · ') || undefined),
    tooltip: { trigger: 'item' },
    xAxis: { type: 'category', data: groups.map((g) => g.label), axisLabel: { interval: 0, rotate: groups.length > 4 ? 20 : 0 } },
    yAxis: { type: 'value', name: 'test accuracy %', scale: true },
    series: [
      { type: 'bar', name: 'test accuracy', data: groups.map((g) => Number((g.finalTestAccuracy.mean * 100).toFixed(3))), label: { show: true, position: 'top', formatter: '{c}' } },
    ],
  };
}

export function accuracyCurves(runs: RunRecord[], evals: EvalSeries[]): Option {
  const byId = new Map(runs.map((r) => [r.id, r]));
  return {
    ...base('Test accuracy during training'),
    legend: { bottom: 0, type: 'scroll' },
    xAxis: { type: 'value', name: 'epoch', nameLocation: 'middle', nameGap: 28 },
    yAxis: { type: 'value', name: 'test accuracy %', scale: true },
    series: evals.map((e) => ({
      name: byId.get(e.runId)?.label ?? `#${e.runId}`,
      type: 'line',
      showSymbol: false,
      data: e.epoch.map((x, i) => [x, e.testAccuracy[i]! * 100]),
    })),
  };
}

/** Layer × step heatmap of a per-layer field (log10 of |value|, since curvature spans decades). */
export function layerHeatmap(series: LayerSeries, title: string): Option {
  const steps = [...new Set(series.layers.flatMap((l) => l.step))].sort((a, b) => a - b);
  const column = new Map(steps.map((s, i) => [s, i]));
  const data: [number, number, number][] = [];
  let lo = Infinity;
  let hi = -Infinity;
  series.layers.forEach((l, row) =>
    l.step.forEach((s, i) => {
      const v = l.value[i];
      if (v === null || v === undefined || !Number.isFinite(v) || v === 0) return;
      const logged = Math.log10(Math.abs(v));
      lo = Math.min(lo, logged);
      hi = Math.max(hi, logged);
      data.push([column.get(s)!, row, Number(logged.toFixed(4))]);
    }),
  );
  return {
    ...base(title, `log10 |${series.field}| per layer and step`),
    tooltip: { position: 'top' },
    grid: { left: 110, right: 24, top: 64, bottom: 96 },
    xAxis: { type: 'category', data: steps, name: 'step', nameLocation: 'middle', nameGap: 28, splitArea: { show: true } },
    yAxis: { type: 'category', data: series.layers.map((l) => l.name), splitArea: { show: true } },
    visualMap: { min: Number.isFinite(lo) ? lo : 0, max: Number.isFinite(hi) ? hi : 1, calculable: true, orient: 'horizontal', left: 'center', bottom: 0, itemHeight: 120 },
    series: [{ type: 'heatmap', data }],
  };
}

/** Mean of a per-layer field over the run, one bar group per layer, one bar per run group. */
export function layerMeansChart(field: string, names: string[], perGroup: { label: string; means: number[] }[]): Option {
  return {
    ...base(`Mean ${field} per layer`, 'averaged over the run; log scale'),
    legend: { bottom: 0, type: 'scroll' },
    tooltip: { trigger: 'axis' },
    xAxis: { type: 'category', data: names, name: 'layer', nameLocation: 'middle', nameGap: 28 },
    yAxis: { type: 'log', name: field },
    // points joined per run group: bars cannot start from zero on a log axis
    series: perGroup.map((g) => ({ name: g.label, type: 'line', symbolSize: 9, data: g.means.map((m) => (Number.isFinite(m) && m > 0 ? m : null)) })),
  };
}
