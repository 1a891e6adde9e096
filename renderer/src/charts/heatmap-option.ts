/**
 * A layer × step heatmap (per-layer curvature). Curvature spans orders of
 * magnitude and can be negative, so colour encodes a signed log,
 * sign(κ)·log10(1 + |κ|/κ̃) with κ̃ the median |κ|; tooltips and the colour
 * scale's labels show κ itself.
 */
import type { ChartOption } from './echarts';
import { formatValue } from '../format/number';

export interface HeatmapRow {
  name: string;
  step: readonly number[];
  value: readonly (number | null)[];
}

function median(values: number[]): number {
  if (values.length === 0) return 1;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))))]!;
}

export function layerHeatmapOption(rows: readonly HeatmapRow[], isDark: boolean): ChartOption {
  const steps = [...new Set(rows.flatMap((r) => r.step))].sort((a, b) => a - b);
  const column = new Map(steps.map((s, i) => [s, i]));
  const magnitudes: number[] = [];
  for (const row of rows) for (const v of row.value) if (v !== null && Number.isFinite(v) && v !== 0) magnitudes.push(Math.abs(v));
  const reference = median(magnitudes) || 1;
  const signedLog = (v: number) => Math.sign(v) * Math.log10(1 + Math.abs(v) / reference);
  const fromSignedLog = (s: number) => Math.sign(s) * reference * (10 ** Math.abs(s) - 1);

  const data: [number, number, number, number][] = [];
  let negative = false;
  rows.forEach((row, y) => {
    row.step.forEach((step, k) => {
      const v = row.value[k];
      if (v === null || v === undefined || !Number.isFinite(v)) return;
      if (v < 0) negative = true;
      data.push([column.get(step)!, y, signedLog(v), v]);
    });
  });
  const scaled = data.map((d) => d[2]).sort((a, b) => a - b);
  const high = Math.max(Math.abs(quantile(scaled, 0.02)), Math.abs(quantile(scaled, 0.98)), 1e-9);
  const colors = negative
    ? ['#2166ac', '#67a9cf', isDark ? '#2a2f37' : '#f7f7f7', '#ef8a62', '#b2182b']
    : isDark
      ? ['#1b2a3f', '#2f5f8f', '#3f9bb5', '#9fd8a4', '#f5f0a0']
      : ['#f7fbff', '#c6dbef', '#6baed6', '#2171b5', '#08306b'];

  return {
    animation: false,
    grid: { left: 4, right: 84, top: 12, bottom: 2, outerBoundsMode: 'same', outerBoundsContain: 'all' },
    tooltip: {
      confine: true,
      formatter: (params) => {
        const p = Array.isArray(params) ? params[0] : params;
        const d = (p?.data ?? []) as number[];
        const layer = rows[d[1] ?? 0]?.name ?? '';
        return `${layer}<br/>step ${steps[d[0] ?? 0] ?? ''}: κ = ${formatValue(d[3])}`;
      },
    },
    xAxis: {
      type: 'category',
      data: steps.map(String),
      name: 'step',
      nameLocation: 'middle',
      nameGap: 22,
      axisLabel: { hideOverlap: true },
      splitArea: { show: false },
    },
    yAxis: {
      type: 'category',
      data: rows.map((r) => r.name),
      inverse: true,
      axisLabel: { fontSize: 10 },
    },
    visualMap: {
      type: 'continuous',
      dimension: 2,
      min: negative ? -high : Math.max(0, quantile(scaled, 0.02)),
      max: high,
      // handles show the colour scale's range in κ
      calculable: true,
      orient: 'vertical',
      right: 0,
      top: 'middle',
      itemHeight: 140,
      itemWidth: 10,
      inRange: { color: colors },
      formatter: (value) => formatValue(fromSignedLog(Number(value))),
    },
    series: [
      {
        type: 'heatmap',
        data,
        progressive: 0,
        emphasis: { disabled: true },
      },
    ],
  };
}
