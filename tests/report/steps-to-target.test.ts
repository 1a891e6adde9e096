import { describe, expect, it } from 'vitest';
import { stepsToTargetChart } from '../../common/report/report-charts';
import { defaultTarget, perfectScalingLine, reachByBatchSize, runReach, scalingEfficiency } from '../../common/report/steps-to-target';

/** a run whose test accuracy rises by `perStep` per evaluated step (one evaluation every 10 steps) */
function series(stepsTo90: number | null) {
  const step = Array.from({ length: 100 }, (_, i) => (i + 1) * 10);
  const testAccuracy = step.map((s) => (stepsTo90 === null ? 0.5 : Math.min(0.99, 0.9 * (s / stepsTo90))));
  return { step, testAccuracy, trainLoss: testAccuracy.map((a) => 1 - a) };
}

describe('steps to target', () => {
  it('finds the first evaluation that meets the target, as steps and samples', () => {
    const reach = runReach({ runId: 1, batchSize: 64 }, series(200), { metric: 'testAccuracy', value: 0.9 });
    expect(reach).toEqual({ runId: 1, batchSize: 64, steps: 200, samples: 200 * 64 });
    expect(runReach({ runId: 2, batchSize: 64 }, series(200), { metric: 'trainLoss', value: 0.1 }).steps).toBe(200);
    expect(runReach({ runId: 3, batchSize: 64 }, series(null), { metric: 'testAccuracy', value: 0.9 }).steps).toBeNull();
    expect(runReach({ runId: 4, batchSize: 64 }, undefined, { metric: 'testAccuracy', value: 0.9 }).steps).toBeNull();
    // a timeline (batch-size schedules) gives the samples seen instead of steps × B
    expect(runReach({ runId: 5, batchSize: 64 }, series(200), { metric: 'testAccuracy', value: 0.9 }, (s) => s * 100).samples).toBe(20000);
  });

  it('tells perfect scaling, diminishing returns and the maximal useful batch apart', () => {
    expect(scalingEfficiency(64, 400, 128, 200)).toBeCloseTo(1, 12);
    expect(scalingEfficiency(64, 400, 128, 400)).toBeCloseTo(0, 12);
    const t = { metric: 'testAccuracy' as const, value: 0.9 };
    const runs = [
      // B=64: 800 steps; 128: 400 (perfect); 256: 280 (diminishing); 512: 270 (maximal); 1024: never
      ...[800, 820].map((s, i) => runReach({ runId: i, batchSize: 64 }, series(s), t)),
      ...[400, 410].map((s, i) => runReach({ runId: 10 + i, batchSize: 128 }, series(s), t)),
      ...[280, 280].map((s, i) => runReach({ runId: 20 + i, batchSize: 256 }, series(s), t)),
      ...[270, 270].map((s, i) => runReach({ runId: 30 + i, batchSize: 512 }, series(s), t)),
      ...[null, null].map((s, i) => runReach({ runId: 40 + i, batchSize: 1024 }, series(s), t)),
    ];
    const points = reachByBatchSize(runs);
    expect(points.map((p) => [p.batchSize, p.regime])).toEqual([
      [64, 'baseline'],
      [128, 'perfect'],
      [256, 'diminishing'],
      [512, 'maximal'],
      [1024, 'unreached'],
    ]);
    expect(points[0]!.steps).toMatchObject({ mean: 810, kind: 'min-max', lo: 800, hi: 820 });
    expect(points[4]).toMatchObject({ reached: 0, runs: 2 });
    expect(perfectScalingLine(points)).toEqual([[64, 810], [128, 405], [256, 202.5], [512, 101.25], [1024, 50.625]]);

    const option = stepsToTargetChart(points, 'test accuracy ≥ 90 %') as { xAxis: { type: string }; yAxis: { type: string }; series: { name: string; data: unknown[] }[] };
    expect(option.xAxis.type).toBe('log');
    expect(option.yAxis.type).toBe('log');
    expect(option.series.find((s) => s.name === 'not reached')!.data).toHaveLength(1);
    expect(option.series.find((s) => s.name === 'perfect scaling')!.data).toHaveLength(5);
    expect(option.series.filter((s) => s.name === 'interval over seeds')).toHaveLength(2);
  });

  it('proposes a target that at least half the runs reached', () => {
    const all = [series(100), series(200), series(null)];
    expect(defaultTarget('testAccuracy', all)).toBe(0.99);
    expect(defaultTarget('trainLoss', all)).toBe(0.01);
    expect(defaultTarget('trainLoss', [{ testAccuracy: [], trainLoss: [0.1234] }])).toBe(0.13);
    expect(defaultTarget('testAccuracy', [])).toBeNull();
  });
});
