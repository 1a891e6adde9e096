import { describe, expect, it } from 'vitest';
import type { StepMetrics } from '../../common/metrics';
import type { Store } from '../../main/store/open-store';
import { createRun, sampleEval, sampleLayers, sampleStep } from './fixtures/sample-metrics';
import { tempStore } from './fixtures/temp-store';

/** A noisy, decreasing loss with a spike and a dip planted at known steps. */
function noisyLoss(step: number): number {
  if (step === 4_321) return 50;
  if (step === 7_777) return -5;
  return 2 / (1 + step / 500) + 0.1 * Math.sin(step * 12.9898);
}

function writeRun(store: Store, steps: number, options: { layers?: number; loss?: (step: number) => number; firstStep?: number } = {}): number {
  const { runId } = createRun(store);
  const writer = store.openMetricWriter();
  for (let step = options.firstStep ?? 0; step < steps; step++) {
    writer.pushStep(runId, { ...sampleStep(step), loss: (options.loss ?? noisyLoss)(step) });
    if (options.layers) writer.pushLayers(runId, sampleLayers(step, options.layers));
  }
  writer.close();
  return runId;
}

function expectIncreasing(values: number[]): void {
  for (let i = 1; i < values.length; i++) expect(values[i]!).toBeGreaterThan(values[i - 1]!);
}

describe('metric queries', () => {
  it('returns every point of a short series, in step order, with epochs', () => {
    const store = tempStore();
    const runId = writeRun(store, 50);
    const series = store.metrics.series(runId, { source: 'step', field: 'loss' });
    expect(series.steps).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(series.values).toEqual(series.steps.map(noisyLoss));
    expect(series.epochs).toEqual(series.steps.map((s) => sampleStep(s).epoch));
  });

  it('downsamples to at most maxPoints, keeping the first and last points and the extremes at their real steps', () => {
    const store = tempStore();
    const steps = 10_000;
    const runId = writeRun(store, steps);
    for (const maxPoints of [1000, 100, 37, 4, 3, 2]) {
      const series = store.metrics.series(runId, { source: 'step', field: 'loss' }, { maxPoints });
      expect(series.steps.length).toBeLessThanOrEqual(maxPoints);
      expect(series.steps[0]).toBe(0);
      expect(series.steps.at(-1)).toBe(steps - 1);
      expectIncreasing(series.steps);
      series.steps.forEach((step, i) => expect(series.values[i]).toBe(noisyLoss(step)));
      if (maxPoints >= 4) {
        expect(series.steps).toContain(4_321);
        expect(series.steps).toContain(7_777);
        expect(series.steps.length).toBeGreaterThanOrEqual(maxPoints - 2);
      }
    }
    expect(() => store.metrics.series(runId, { source: 'step', field: 'loss' }, { maxPoints: 1 })).toThrow(RangeError);
  });

  it('restricts a series to a step range, then downsamples within it', () => {
    const store = tempStore();
    const runId = writeRun(store, 5_000);
    const series = store.metrics.series(runId, { source: 'step', field: 'loss' }, { fromStep: 1_000, toStep: 3_999, maxPoints: 100 });
    expect(series.steps[0]).toBe(1_000);
    expect(series.steps.at(-1)).toBe(3_999);
    expect(series.steps.length).toBeLessThanOrEqual(100);
  });

  it('leaves out points without a value: not computed, or NaN after divergence', () => {
    const store = tempStore();
    const runId = writeRun(store, 100, { loss: (step) => (step >= 90 ? Number.NaN : 1) });
    const lossUpdate = store.metrics.series(runId, { source: 'step', field: 'lossUpdate' });
    expect(lossUpdate.steps).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
    const loss = store.metrics.series(runId, { source: 'step', field: 'loss' }, { maxPoints: 10 });
    expect(loss.steps[0]).toBe(0);
    expect(loss.steps.at(-1)).toBe(89);
    expect(store.metrics.stepMetrics(runId, { fromStep: 95, toStep: 95 })[0]!.loss).toBeNaN();
  });

  it('gives the same metric for many runs, each with its own range and budget, in the order asked', () => {
    const store = tempStore();
    const short = writeRun(store, 300);
    const long = writeRun(store, 20_000);
    const late = writeRun(store, 5_000, { firstStep: 2_000 });
    const empty = createRun(store).runId;
    const all = store.metrics.seriesForRuns([long, short, empty, late], { source: 'step', field: 'loss' }, { maxPoints: 500 });
    expect(all.map((s) => s.runId)).toEqual([long, short, empty, late]);
    expect(all[0]!.steps.length).toBeLessThanOrEqual(500);
    expect([all[0]!.steps[0], all[0]!.steps.at(-1)]).toEqual([0, 19_999]);
    expect(all[1]!.steps).toHaveLength(300);
    expect(all[2]!.steps).toEqual([]);
    expect([all[3]!.steps[0], all[3]!.steps.at(-1)]).toEqual([2_000, 4_999]);
  });

  it('reads all layer metrics of a run, chosen layers, and downsampled layer series', () => {
    const store = tempStore();
    const runId = writeRun(store, 3_000, { layers: 6 });
    expect(store.metrics.layerIndexes(runId)).toEqual([0, 1, 2, 3, 4, 5]);

    const all = store.metrics.layerMetrics(runId);
    expect(all).toHaveLength(18_000);
    expect(all[0]).toEqual(sampleLayers(0, 6)[0]);
    expect(all[3_000]).toEqual(sampleLayers(0, 6)[1]);
    const some = store.metrics.layerMetrics(runId, { layers: [4, 1], fromStep: 10, toStep: 19 });
    expect(some.map((m) => [m.layer, m.step])).toEqual([...[4, 1].flatMap((layer) => Array.from({ length: 10 }, (_, i) => [layer, 10 + i]))]);

    const series = store.metrics.layerSeries(runId, ['gradNorm', 'curvature'], { layers: [0, 5], maxPoints: 50 });
    expect(series.map((s) => s.metric)).toEqual([
      { source: 'layer', field: 'gradNorm', layer: 0 },
      { source: 'layer', field: 'curvature', layer: 0 },
      { source: 'layer', field: 'gradNorm', layer: 5 },
      { source: 'layer', field: 'curvature', layer: 5 },
    ]);
    for (const s of series) {
      expect(s.steps.length).toBeLessThanOrEqual(50);
      expect(s.steps[0]).toBe(0);
      expect(s.epochs[0]).toBe(0);
    }
    expect(series[0]!.steps.at(-1)).toBe(2_999);
    // curvature is only computed every 10 steps
    expect(series[1]!.steps.at(-1)).toBe(2_990);
    expect(series[1]!.steps.every((step) => step % 10 === 0)).toBe(true);
    expect(store.metrics.layerSeries(runId, ['weightNorm'])).toHaveLength(6);
  });

  it('gives evaluations and events back as written', () => {
    const store = tempStore();
    const { runId } = createRun(store);
    const writer = store.openMetricWriter();
    for (const step of [0, 100, 200]) writer.pushEval(runId, sampleEval(step));
    writer.pushEvent(runId, { step: 50, kind: 'batch-size', detail: { from: 128, to: 1024 } });
    writer.pushEvent(runId, { step: 50, kind: 'note', detail: { text: 'second at the same step' } });
    writer.pushEvent(runId, { step: 10, kind: 'discard', detail: { fraction: 0.1 } });
    writer.close();
    expect(store.metrics.evaluations(runId)).toEqual([0, 100, 200].map(sampleEval));
    expect(store.metrics.series(runId, { source: 'eval', field: 'testAccuracy' }).steps).toEqual([0, 100, 200]);
    expect(store.metrics.events(runId).map((e) => [e.step, e.kind])).toEqual([
      [10, 'discard'],
      [50, 'batch-size'],
      [50, 'note'],
    ]);
    expect(store.metrics.events(runId)[1]!.detail).toEqual({ from: 128, to: 1024 });
  });

  it('refuses unknown metric fields instead of putting them into SQL', () => {
    const store = tempStore();
    const runId = writeRun(store, 10);
    const field = 'loss FROM runs; --' as keyof StepMetrics as 'loss';
    expect(() => store.metrics.series(runId, { source: 'step', field })).toThrow(/unknown metric field/);
  });
});
