/**
 * Line charts of metric series: one place decides axes, tooltips, log scale and
 * the absence of animation (live data must not make charts wobble).
 */
import type { LineSeriesOption } from 'echarts/charts';
import type { ChartOption } from './echarts';
import { formatDurationAxis } from '../format/duration';
import { formatValue } from '../format/number';

export interface LineData {
  id: string;
  name: string;
  color: string;
  x: readonly number[];
  y: readonly (number | null)[];
  dashed?: boolean;
  /** 1 puts the series on the right-hand axis */
  axis?: 0 | 1;
  /** a step line (batch size, learning-rate steps) */
  step?: boolean;
  /** a shaded band around the line (an interval over seeds), on the line's x */
  band?: { lower: readonly (number | null)[]; upper: readonly (number | null)[] };
}

export type XAxisKind = 'number' | 'duration' | 'log2';

export interface LineChartSpec {
  lines: readonly LineData[];
  xName: string;
  xKind?: XAxisKind;
  yName?: string;
  logY?: boolean;
  /** name of the right-hand axis; only drawn when a line uses it */
  y2Name?: string;
  logY2?: boolean;
  /** draw points (for sparse series such as evaluations) */
  symbols?: boolean;
  yMin?: number;
  yMax?: number;
  /** a legend above the plot (for charts whose lines are not named elsewhere) */
  legend?: boolean;
}

function points(x: readonly number[], y: readonly (number | null)[], log: boolean): [number, number | null][] {
  const n = Math.min(x.length, y.length);
  const out: [number, number | null][] = new Array(n);
  for (let i = 0; i < n; i++) {
    const v = y[i] ?? null;
    out[i] = [x[i]!, v === null || !Number.isFinite(v) || (log && v <= 0) ? null : v];
  }
  return out;
}

function valueAxis(name: string | undefined, log: boolean, position: 'left' | 'right', extra: { min?: number; max?: number } = {}) {
  return {
    type: log ? ('log' as const) : ('value' as const),
    name,
    position,
    nameLocation: 'end' as const,
    nameGap: 8,
    scale: !log,
    ...extra,
    axisLabel: { formatter: (v: number) => formatValue(v) },
    splitLine: { show: position === 'left' },
  };
}


export function lineChartOption(spec: LineChartSpec): ChartOption {
  const xKind = spec.xKind ?? 'number';
  const usesRight = spec.lines.some((l) => l.axis === 1);
  const yAxes = [valueAxis(spec.yName, spec.logY ?? false, 'left', { min: spec.yMin, max: spec.yMax })];
  if (usesRight) yAxes.push(valueAxis(spec.y2Name, spec.logY2 ?? false, 'right'));
  return {
    animation: false,
    // outer bounds hold the axis labels and names inside the canvas
    grid: { left: 4, right: usesRight ? 4 : 12, top: spec.legend ? 34 : 22, bottom: 2, outerBoundsMode: 'same', outerBoundsContain: 'all' },
    legend: spec.legend
      ? { show: true, top: 0, left: 'center', icon: 'roundRect', itemWidth: 14, itemHeight: 4, itemGap: 12, textStyle: { fontSize: 11 } }
      : { show: false },
    tooltip: {
      trigger: 'axis',
      confine: true,
      valueFormatter: (value) => (typeof value === 'number' ? formatValue(value) : String(value ?? '—')),
    },
    xAxis: {
      type: xKind === 'log2' ? 'log' : 'value',
      logBase: xKind === 'log2' ? 2 : undefined,
      name: spec.xName,
      nameLocation: 'middle',
      nameGap: 22,
      scale: true,
      axisLine: { onZero: false },
      axisLabel: {
        hideOverlap: true,
        formatter: (v: number) => (xKind === 'duration' ? formatDurationAxis(v) : formatValue(v)),
      },
      splitLine: { show: false },
    },
    yAxis: yAxes,
    series: spec.lines.flatMap((line) => [...bandSeries(line, spec), {
      id: line.id,
      name: line.name,
      type: 'line' as const,
      yAxisIndex: line.axis ?? 0,
      data: points(line.x, line.y, (line.axis === 1 ? spec.logY2 : spec.logY) ?? false),
      showSymbol: spec.symbols ?? false,
      symbolSize: 5,
      step: line.step ? ('end' as const) : undefined,
      connectNulls: false,
      sampling: 'lttb' as const,
      color: line.color,
      lineStyle: { width: 1.6, type: line.dashed ? ('dashed' as const) : ('solid' as const) },
      emphasis: { disabled: true },
    }]),
  };
}

/**
 * A band as two stacked, invisible lines: the lower bound, then (upper − lower)
 * filled down to it. Both stay out of tooltips and clicks.
 */
function bandSeries(line: LineData, spec: LineChartSpec): LineSeriesOption[] {
  if (!line.band) return [];
  const log = (line.axis === 1 ? spec.logY2 : spec.logY) ?? false;
  const lower = points(line.x, line.band.lower, log);
  const upper = points(line.x, line.band.upper, log);
  const width = lower.map(([x, lo], i) => {
    const hi = upper[i]?.[1] ?? null;
    return [x, lo === null || hi === null ? null : hi - lo] as [number, number | null];
  });
  const common: LineSeriesOption = {
    type: 'line',
    yAxisIndex: line.axis ?? 0,
    stack: `${line.id}-band`,
    symbol: 'none',
    silent: true,
    tooltip: { show: false },
    connectNulls: false,
    lineStyle: { opacity: 0 },
    emphasis: { disabled: true },
    color: line.color,
  };
  return [
    { ...common, id: `${line.id}-band-lower`, name: `${line.name} (band)`, data: lower },
    { ...common, id: `${line.id}-band`, name: `${line.name} (band)`, data: width, areaStyle: { color: line.color, opacity: 0.18 } },
  ];
}
