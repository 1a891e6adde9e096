/**
 * ECharts options for an experiment's report: the headline chart for the claim
 * its sweep tests, test accuracy over training, and per-layer heatmaps. Pure
 * data → options, so the same charts render in the app and in the HTML file.
 */
import type { EvalSeries, LayerSeries, RunRecord } from '../api-contract';
import { bandOf } from '../stats/band';
import { describeInterval } from '../stats/interval';
import { groupRuns, type RunGroup } from './run-groups';
import { perfectScalingLine, type BatchReach, type Regime } from './steps-to-target';

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
    const noise = measuredNoiseScale(groups);
    return {
      ...base('Test accuracy vs batch size', gapOnly ? 'final test accuracy and generalization gap (train − test)' : 'one line per ' + axes.filter((a) => a !== 'batchSize').join(' · ')),
      legend: { bottom: 0 },
      xAxis: {
        type: 'log',
        logBase: 2,
        name: 'batch size',
        nameLocation: 'middle',
        nameGap: 28,
        // the noise-scale mark is drawn only inside the axis: widen it to include B_noise
        ...(noise !== null ? batchAxisBounds(groups.map((g) => Number(g.point.batchSize)), noise) : {}),
      },
      yAxis: [{ type: 'value', name: 'test accuracy %', scale: true }, ...(gapOnly ? [{ type: 'value', name: 'gap %', scale: true }] : [])],
      series: [
        ...[...series.entries()].map(([name, data], i) => ({
          name,
          type: 'line',
          symbolSize: 8,
          data: data.sort((a, b) => a[0] - b[0]),
          ...(i === 0 && noise !== null ? { markLine: noiseScaleMark(noise) } : {}),
        })),
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

/**
 * The sweep's measured gradient noise scale: the median over groups of their mean
 * end-of-run B_simple (McCandlish et al. 2018: batches well above it waste samples).
 * Null when no run measured it.
 */
export function measuredNoiseScale(groups: readonly RunGroup[]): number | null {
  return medianNoiseScale(groups.map((g) => g.noiseScale?.mean ?? NaN));
}

/** The median of the positive, finite values (geometric mean of the middle two); null when there are none. */
export function medianNoiseScale(measured: readonly number[]): number | null {
  const values = measured.filter((v) => Number.isFinite(v) && v > 0).sort((a, b) => a - b);
  if (values.length === 0) return null;
  const mid = values.length >> 1;
  return values.length % 2 ? values[mid]! : Math.sqrt(values[mid - 1]! * values[mid]!);
}

/** Bounds (powers of two) of a log₂ batch-size axis that show both the batch sizes and B_noise. */
export function batchAxisBounds(batchSizes: readonly number[], noiseScale: number): { min: number; max: number } {
  const values = [...batchSizes, noiseScale].filter((v) => v > 0 && Number.isFinite(v));
  return { min: 2 ** Math.floor(Math.log2(Math.min(...values))), max: 2 ** Math.ceil(Math.log2(Math.max(...values))) };
}

/** A vertical line at B = B_noise on a batch-size axis. */
export function noiseScaleMark(noiseScale: number): Option {
  return {
    symbol: 'none',
    silent: true,
    lineStyle: { type: 'dotted', color: '#8a6d00', width: 1.5 },
    label: { formatter: `noise scale B ≈ ${Math.round(noiseScale)}`, position: 'insideEndTop' },
    data: [{ xAxis: noiseScale }],
  };
}

/**
 * Test accuracy over epochs: runs that differ only in seed as their mean with
 * a shaded band (95 % t-interval from three seeds, min–max from two), single
 * runs as lines (all runs as lines when `singleRuns`).
 */
export function accuracyCurves(runs: RunRecord[], evals: EvalSeries[], options: { singleRuns?: boolean } = {}): Option {
  const byRun = new Map(evals.map((e) => [e.runId, e]));
  const curve = (id: number) => {
    const e = byRun.get(id);
    return e ? { x: e.epoch, y: e.testAccuracy.map((v) => v * 100) } : null;
  };
  const series: Option[] = [];
  // a group's mean and band share a colour (ECharts would give each series its own)
  const palette = ['#5470c6', '#91cc75', '#fac858', '#ee6666', '#73c0de', '#3ba272', '#fc8452', '#9a60b4', '#ea7ccc'];
  let colorIndex = 0;
  const groups = options.singleRuns ? runs.map((r) => ({ label: r.label, runIds: [r.id] })) : groupRuns(runs, []);
  for (const g of groups) {
    const curves = g.runIds.map(curve).filter((c) => c !== null);
    if (curves.length === 0) continue;
    const color = palette[colorIndex++ % palette.length];
    if (curves.length === 1) {
      series.push({ color, name: g.runIds.length > 1 ? g.label : (runs.find((r) => r.id === g.runIds[0])?.label ?? g.label), type: 'line', showSymbol: false, data: curves[0]!.x.map((x, i) => [x, curves[0]!.y[i]]) });
      continue;
    }
    const band = bandOf(curves);
    // an interval of accuracies stays within 0–100 %
    band.lower = band.lower.map((v) => (v === null ? null : Math.max(0, v)));
    band.upper = band.upper.map((v) => (v === null ? null : Math.min(100, v)));
    const name = `${g.label} (${curves.length} seeds)`;
    const stack = `band-${series.length}`;
    const data = (ys: (number | null)[]) => band.x.map((x, i) => [x, ys[i]]);
    series.push(
      { color, name, type: 'line', showSymbol: false, data: data(band.mean) },
      { color, name, type: 'line', stack, symbol: 'none', silent: true, lineStyle: { opacity: 0 }, tooltip: { show: false }, data: data(band.lower) },
      {
        color,
        name,
        type: 'line',
        stack,
        symbol: 'none',
        silent: true,
        lineStyle: { opacity: 0 },
        areaStyle: { opacity: 0.2 },
        tooltip: { show: false },
        data: data(band.upper.map((hi, i) => (hi === null || band.lower[i] === null ? null : hi - band.lower[i]!))),
      },
    );
  }
  return {
    ...base('Test accuracy during training', options.singleRuns ? undefined : `repeats over seeds as mean and ${describeInterval('t95')} (min–max for two)`),
    legend: { bottom: 0, type: 'scroll' },
    xAxis: { type: 'value', name: 'epoch', nameLocation: 'middle', nameGap: 28 },
    yAxis: { type: 'value', name: 'test accuracy %', scale: true },
    series,
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

const regimeTitles: Record<Regime, string> = {
  baseline: 'smallest batch that reached it',
  perfect: 'perfect scaling',
  diminishing: 'diminishing returns',
  maximal: 'maximal useful batch reached',
  unreached: 'target not reached',
};

/**
 * Steps to reach a target against batch size on log–log axes, with the
 * perfect-scaling line (steps ∝ 1/B) from the smallest batch size that reached
 * it; batch sizes that never reached it sit on the top edge as open triangles.
 */
export function stepsToTargetChart(points: readonly BatchReach[], targetLabel: string): Option {
  const hit = points.filter((p) => p.regime !== 'unreached');
  const top = hit.length ? Math.max(...hit.map((p) => p.steps.hi), ...perfectScalingLine(points).map(([, s]) => s)) * 2 : 10;
  return {
    ...base('Steps to target vs batch size', `first evaluation with ${targetLabel}; mean over seeds with its interval`),
    tooltip: { trigger: 'item' },
    legend: { bottom: 0 },
    xAxis: { type: 'log', logBase: 2, name: 'batch size', nameLocation: 'middle', nameGap: 28 },
    yAxis: { type: 'log', name: 'steps to target', max: hit.length ? undefined : top },
    series: [
      {
        name: 'steps (mean)',
        type: 'line',
        color: '#5470c6',
        symbolSize: 9,
        data: hit.map((p) => ({ value: [p.batchSize, p.steps.mean], name: `${regimeTitles[p.regime]} · ${p.reached}/${p.runs} runs` })),
      },
      // one short vertical segment per batch size with several seeds
      ...hit
        .filter((p) => p.steps.n > 1 && p.steps.lo > 0 && p.steps.hi > p.steps.lo)
        .map((p) => ({ name: 'interval over seeds', type: 'line', symbol: 'none', color: '#5470c6', lineStyle: { width: 1.5 }, data: [[p.batchSize, p.steps.lo], [p.batchSize, p.steps.hi]] })),
      { name: 'perfect scaling', type: 'line', symbol: 'none', lineStyle: { type: 'dashed' }, data: perfectScalingLine(points) },
      {
        name: 'not reached',
        // a line with no line: markers only (the renderer registers no scatter chart)
        type: 'line',
        lineStyle: { opacity: 0 },
        showSymbol: true,
        symbol: 'triangle',
        symbolSize: 11,
        itemStyle: { color: 'transparent', borderWidth: 1.5 },
        data: points.filter((p) => p.regime === 'unreached').map((p) => ({ value: [p.batchSize, top], name: `B=${p.batchSize}: ${p.reached}/${p.runs} runs reached it` })),
      },
    ],
  };
}
