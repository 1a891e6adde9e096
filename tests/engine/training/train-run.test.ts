import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { trainRun } from '../../../main/engine/training/train-run';
import { RecordingSink } from './record-sink';

process.env.BATCHSCOPE_QUIET = '1';

const blobs = { kind: 'blobs', samples: 1200, classes: 3, spread: 0.6 } as const;

describe('training loop', () => {
  it('trains an MLP on real MNIST to ≥ 95 % test accuracy in one epoch', async () => {
    const sink = new RecordingSink();
    const summary = await trainRun(
      {
        name: 'mnist',
        dataset: { kind: 'mnist' },
        model: { kind: 'mlp', hidden: [128] },
        optimizer: { name: 'momentum' },
        lr: { base: 0.05 },
        batch: { size: 64 },
        training: { epochs: 1, trainEvalSamples: 2000 },
        diagnostics: { every: 50, curvatureEvery: 200 },
      },
      sink,
    );
    expect(summary.status).toBe('completed');
    expect(sink.info!.trainSamples).toBe(60000);
    expect(sink.info!.testSamples).toBe(10000);
    expect(sink.info!.layers.map((l) => l.name)).toEqual(['dense_1', 'output']);
    expect(summary.lastEval!.testAccuracy).toBeGreaterThanOrEqual(0.95);
    expect(sink.steps).toHaveLength(937);
    // per-layer rows at the diagnostics cadence, at the noise-scale/trajectory cadence (every 10 by default) and at the
    // last step (where sharpness is measured: every 1000 steps by default), curvature only at its own cadence
    expect(sink.layerRows.length).toBe((Math.ceil(937 / 10) + 1) * 2);
    expect(sink.layerRows.filter((r) => r.sharpness !== null).map((r) => r.step)).toEqual([1, 1, 937, 937]);
    expect(sink.layerRows.filter((r) => r.distanceFromInit !== null)).toHaveLength(Math.ceil(937 / 10) * 2);
    const withCurvature = sink.layerRows.filter((r) => r.curvature !== null);
    expect(withCurvature.length).toBe(Math.ceil(937 / 200) * 2);
    expect(withCurvature.every((r) => Number.isFinite(r.curvature))).toBe(true);
  }, 120_000);

  it('reports every quantity of a step and does not leak tensors across steps', async () => {
    const sink = new RecordingSink();
    let tensorsAtStep5 = -1;
    let tensorsAtStep25 = -1;
    const counting = Object.assign(Object.create(Object.getPrototypeOf(sink)), sink) as RecordingSink;
    counting.step = (m) => {
      sink.step(m);
      if (m.step === 5) tensorsAtStep5 = tf.memory().numTensors;
      if (m.step === 25) tensorsAtStep25 = tf.memory().numTensors;
    };
    counting.layers = (m) => sink.layers(m);
    const summary = await trainRun(
      { dataset: blobs, model: { kind: 'mlp', hidden: [16] }, optimizer: { name: 'lars' }, batch: { size: 32 }, training: { steps: 30 }, diagnostics: { every: 1, curvatureEvery: 3 } },
      counting,
    );
    expect(summary.status).toBe('completed');
    expect(tensorsAtStep25).toBe(tensorsAtStep5);
    const first = sink.steps[0]!;
    expect(first).toMatchObject({ step: 1, batchSize: 32, samplesSeen: 32, discarded: 0 });
    expect(first.lossUpdate).not.toBeNull();
    const row = sink.layerRows[0]!;
    for (const key of ['gradNorm', 'weightNorm', 'updateNorm', 'effectiveLr', 'lossUpdateShare', 'curvature', 'curvatureError'] as const) {
      expect(Number.isFinite(row[key])).toBe(true);
    }
    expect(row.curvatureError).toBeGreaterThanOrEqual(0);
    expect(row.gradNorm).toBeGreaterThan(0);
  });

  it('ends as diverged with the last good metrics when the loss becomes NaN', async () => {
    const sink = new RecordingSink();
    const summary = await trainRun(
      { dataset: blobs, model: { kind: 'mlp', hidden: [16] }, lr: { base: 1e9 }, batch: { size: 32 }, training: { epochs: 20, evalEverySteps: 1 } },
      sink,
    );
    expect(summary.status).toBe('diverged');
    expect(summary.reason).toMatch(/loss became (NaN|Infinity)/);
    expect(sink.steps.length).toBeGreaterThan(0);
    expect(sink.steps.every((s) => Number.isFinite(s.loss))).toBe(true);
    expect(summary.steps).toBe(sink.steps.length);
    expect(summary.lastEval).toEqual(sink.evals.at(-1) ?? null);
  });

  it("uses an optimizer's own base rate over lr.base, still scaled by the batch rule", async () => {
    const sink = new RecordingSink();
    await trainRun(
      { dataset: blobs, model: { kind: 'mlp', hidden: [8] }, optimizer: { name: 'adam', lr: 0.002 }, lr: { base: 0.1, baseBatchSize: 16, scaling: 'linear' }, batch: { size: 64 }, training: { steps: 3 } },
      sink,
    );
    expect(sink.steps.map((s) => s.lr)).toEqual([0.008, 0.008, 0.008]);
  });

  it('stops cleanly on cancel', async () => {
    const sink = new RecordingSink();
    const summary = await trainRun({ dataset: blobs, model: { kind: 'mlp' }, batch: { size: 16 }, training: { epochs: 50 } }, sink, {
      cancelled: () => sink.steps.length >= 7,
    });
    expect(summary.status).toBe('cancelled');
    expect(summary.steps).toBe(7);
  });

  it('logs discarded samples per step and batch-size changes as events', async () => {
    const sink = new RecordingSink();
    await trainRun(
      {
        dataset: blobs,
        model: { kind: 'mlp', hidden: [8] },
        batch: { size: 40, schedule: [{ epoch: 1, size: 80 }] },
        discard: { fraction: 0.25, fromEpoch: 1 },
        training: { epochs: 2 },
      },
      sink,
    );
    const epoch0 = sink.steps.filter((s) => s.batchSize === 40);
    const epoch1 = sink.steps.filter((s) => s.batchSize === 80);
    expect(epoch0).toHaveLength(24);
    expect(epoch1).toHaveLength(12);
    expect(epoch0.every((s) => s.discarded === 0)).toBe(true);
    expect(epoch1.every((s) => s.discarded === 20)).toBe(true);
    expect(sink.events).toContainEqual(expect.objectContaining({ kind: 'batch-size', detail: { from: 40, to: 80, epoch: 1 } }));
    // one discard event, when discarding starts (first step of epoch 1)
    expect(sink.events.filter((e) => e.kind === 'discard')).toEqual([{ step: 25, kind: 'discard', detail: { fraction: 0.25, fromEpoch: 1 } }]);
  });
});
