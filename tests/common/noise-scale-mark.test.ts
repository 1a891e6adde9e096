/** The measured noise scale on the test-accuracy-vs-batch chart (Report and HTML report). */
import { describe, expect, it } from 'vitest';
import { batchAxisBounds, headlineChart, measuredNoiseScale } from '../../common/report/report-charts';
import type { RunGroup } from '../../common/report/run-groups';
import { interval } from '../../common/stats/interval';

function group(batchSize: number, accuracy: number[], noiseScale: number[]): RunGroup {
  const runs = accuracy.map((_, i) => i + batchSize);
  return {
    key: String(batchSize),
    label: `B=${batchSize}`,
    point: { batchSize },
    runIds: runs,
    statuses: runs.map(() => 'completed'),
    finalTestAccuracy: interval(accuracy),
    bestTestAccuracy: interval(accuracy),
    finalTrainAccuracy: interval(accuracy),
    gap: interval(accuracy.map(() => 0)),
    wallSec: interval(accuracy.map(() => 10)),
    noiseScale: interval(noiseScale),
  };
}

describe('noise-scale mark', () => {
  it('marks the median over configurations, and widens the log₂ axis so the mark is inside it', () => {
    const groups = [group(128, [0.9, 0.91, 0.92], [60, 70, 80]), group(512, [0.85, 0.86, 0.84], [100, 110, 120]), group(2048, [0.7, 0.72, 0.71], [NaN, NaN, NaN])];
    expect(measuredNoiseScale(groups)).toBeCloseTo(Math.sqrt(70 * 110), 6);
    const option = headlineChart(groups) as { xAxis: { min: number; max: number }; series: { markLine?: { data: { xAxis: number }[]; label: { formatter: string } } }[] };
    const mark = option.series[0]!.markLine!;
    expect(mark.data[0]!.xAxis).toBeCloseTo(Math.sqrt(70 * 110), 6);
    expect(mark.label.formatter).toBe('noise scale B ≈ 88');
    expect(option.xAxis).toMatchObject({ min: 64, max: 2048 });
    expect(batchAxisBounds([256, 1024], 3000)).toEqual({ min: 256, max: 4096 });
  });

  it('draws no mark when no run measured the noise scale', () => {
    const groups = [group(128, [0.9], [NaN]), group(512, [0.85], [NaN])];
    expect(measuredNoiseScale(groups)).toBeNull();
    const option = headlineChart(groups) as { xAxis: Record<string, unknown>; series: { markLine?: unknown }[] };
    expect(option.series.every((s) => s.markLine === undefined)).toBe(true);
    expect(option.xAxis.min).toBeUndefined();
  });
});
