/**
 * Sharpness in a run split across threads: the Lanczos blocks (the network, each layer) are
 * dealt out to the replica threads, always the same way, so each thread keeps its own blocks'
 * warm starts; every λ_max comes out exactly as one thread computes it, cold and warm.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { diagnosticsSpecSchema } from '../../../common/spec';
import { selectBackend } from '../../../main/engine/backend';
import { SharpnessTracker } from '../../../main/engine/diagnostics/sharpness';
import { buildModel } from '../../../main/engine/models/build-model';
import type { Model } from '../../../main/engine/models/model';
import { ShardPool } from '../../../main/engine/shards/shard-pool';
import { disposeBatch, makeBatch } from '../../../main/engine/training/batch-source';
import { createStepCurvature } from '../../../main/engine/training/step-curvature';
import { seededValues } from '../kernels/backends';
import { CLASSES, RELU_CNN_INPUT, RELU_MLP_INPUT, reluCnn as cnn, reluMlp as mlp } from './relu-models';


beforeAll(async () => {
  await selectBackend('wasm');
});

describe.each([
  // blocks 0 (network), 1 + l (layer l), dealt in snake order
  ['a ReLU CNN (conv-pool ×2, dense), 2 threads', cnn, RELU_CNN_INPUT, 2, [[1, 2]]],
  ['a ReLU MLP of four layers, 3 threads', mlp, RELU_MLP_INPUT, 3, [[1, 4], [2, 3]]],
] as const)('sharpness of %s', (_, modelSpec, inputShape, threads, dealt) => {
  let model: Model;
  let pool: ShardPool;
  beforeAll(async () => {
    model = buildModel(modelSpec, [...inputShape], CLASSES, 5);
    pool = await ShardPool.start({ threads, backend: 'wasm', model: modelSpec, reference: model, inputShape: [...inputShape], numClasses: CLASSES, seed: 5 });
  }, 60_000);
  afterAll(async () => {
    await pool.dispose();
    model.dispose();
  });

  it('equals one thread’s, bit for bit, cold and then warm-started, each replica measuring its own blocks', async () => {
    const diag = diagnosticsSpecSchema.parse({ curvatureBatch: 40 });
    const rows = 64;
    const batch = makeBatch(seededValues(rows * 64, 9), Int32Array.from({ length: rows }, (_, i) => (i * 3) % CLASSES), [...inputShape], CLASSES);
    const options = { iterations: 8, seed: 21 };
    const oneThread = new SharpnessTracker(options);
    const split = new SharpnessTracker(options);
    const calls = vi.spyOn(pool, 'sharpness');
    try {
      for (const evaluation of [0, 1]) {
        const one = createStepCurvature(model, batch, diag, 1, undefined, null);
        const many = createStepCurvature(model, batch, diag, 1, undefined, pool);
        try {
          expect(one.sharpnessShards).toBeUndefined();
          expect(many.sharpnessShards?.threads).toBe(threads);
          calls.mockClear();
          const expected = await oneThread.measure(model.groups, one.subBatchLoss());
          const measured = await split.measure(model.groups, many.subBatchLoss(), many.sharpnessShards);
          expect(measured).toEqual(expected);
          expect(expected.layers.every((l) => l !== null && Number.isFinite(l))).toBe(true);
          expect(calls.mock.calls.map(([replica, subRows, blocks, at]) => [replica, subRows, blocks, at])).toEqual(dealt.map((blocks, r) => [r, 40, blocks, evaluation]));
        } finally {
          one.dispose();
          many.dispose();
        }
        // move the weights a little: the next evaluation starts warm from the last Ritz vectors
        tf.tidy(() => model.groups.forEach((g) => g.params.forEach((p) => p.assign(tf.mul(p, 1.01)))));
      }
      // dealt anew (here: no threads at all), every block starts cold, its warm start being on another thread
      const blocks = model.groups.length + 1;
      const alone = createStepCurvature(model, batch, diag, 1, undefined, null);
      const redealt = await split.measure(model.groups, alone.subBatchLoss()).finally(() => alone.dispose());
      expect(redealt.iterations).toBeGreaterThanOrEqual(5 * blocks);
    } finally {
      calls.mockRestore();
      oneThread.dispose();
      split.dispose();
      disposeBatch(batch);
    }
  }, 120_000);
});
