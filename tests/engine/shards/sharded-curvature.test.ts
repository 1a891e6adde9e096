/**
 * Curvature in a run split across threads: gradient-difference deals its layers out to the
 * replica threads (curvature.ts, CurvatureShards), and every layer's κ and error come out
 * exactly as one thread computes them — on the networks users train, where the activation
 * pattern (ReLU masks, max-pool choices) is recorded and replayed on each thread.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { diagnosticsSpecSchema } from '../../../common/spec';
import { selectBackend } from '../../../main/engine/backend';
import { buildModel } from '../../../main/engine/models/build-model';
import type { Model } from '../../../main/engine/models/model';
import { ShardPool } from '../../../main/engine/shards/shard-pool';
import { batchGradients } from '../../../main/engine/training/batch-gradients';
import { disposeBatch, makeBatch, type Batch } from '../../../main/engine/training/batch-source';
import { createStepCurvature } from '../../../main/engine/training/step-curvature';
import { dealLayers } from '../../../main/engine/diagnostics/layer-dealing';
import { seededValues } from '../kernels/backends';
import { CLASSES, RELU_CNN_INPUT, RELU_MLP_INPUT, reluCnn as cnn, reluMlp as mlp } from './relu-models';

const INPUT = RELU_CNN_INPUT;

function batchOf(rows: number, seed: number): Batch {
  const labels = Int32Array.from({ length: rows }, (_, i) => (i * 7 + seed) % CLASSES);
  return makeBatch(seededValues(rows * 64, seed), labels, INPUT, CLASSES);
}

async function weightsOf(model: Model): Promise<Float32Array[]> {
  return Promise.all(model.groups.flatMap((g) => g.params).map(async (p) => (await p.data()) as Float32Array));
}

beforeAll(async () => {
  await selectBackend('wasm');
});

describe.each([
  ['a ReLU CNN (conv-pool ×2, dense), 2 threads', cnn, 2],
  ['a ReLU MLP of four layers, 3 threads', mlp, 3],
] as const)('gradient-difference curvature of %s', (_, modelSpec, threads) => {
  let model: Model;
  let pool: ShardPool;
  beforeAll(async () => {
    const inputShape = modelSpec.kind === 'mlp' ? RELU_MLP_INPUT : INPUT;
    model = buildModel(modelSpec, inputShape, CLASSES, 3);
    pool = await ShardPool.start({ threads, backend: 'wasm', model: modelSpec, reference: model, inputShape, numClasses: CLASSES, seed: 3 });
  }, 60_000);
  afterAll(async () => {
    await pool.dispose();
    model.dispose();
  });

  // the sub-batch (curvatureBatch) is the first rows of the batch; g is given when it is the whole batch
  it.each([
    ['g computed on each thread (sub-batch of 48 of 96 rows)', 96, 48],
    ['g the step’s own gradient, handed over (the whole batch of 64)', 64, 256],
  ])('equals one thread’s, bit for bit: %s', async (_, rows, curvatureBatch) => {
    const diag = diagnosticsSpecSchema.parse({ curvatureBatch });
    const raw = batchOf(rows, rows);
    const batch = modelSpec.kind === 'mlp' ? makeBatch(raw.host.x, raw.host.labels, [64], CLASSES) : raw;
    // micro-batches of 16: the step's g is a sum of parts, not bit for bit what one pass over the rows gives
    const step = await batchGradients(model, batch, 16, null, null);
    const stepGrads = curvatureBatch >= rows ? step.grads : undefined;
    const before = await weightsOf(model);
    const calls = vi.spyOn(pool, 'curvature');
    try {
      const alone = createStepCurvature(model, batch, diag, 11, stepGrads, null);
      const one = await alone.oracle.layerCurvature('gradient-difference').finally(() => alone.dispose());
      expect(one.kappa.every((k) => Number.isFinite(k) && k !== 0)).toBe(true);
      const layers = model.groups.length;
      // twice: first dealt in snake order, then by the costs the first estimate measured
      pool.curvatureLayerMs = null;
      for (const round of [0, 1]) {
        const dealt = dealLayers(layers, threads, pool.curvatureLayerMs);
        if (round === 0) expect(dealt).toEqual(modelSpec.kind === 'cnn' ? [[0, 3], [1, 2]] : [[0], [1], [2, 3]]);
        calls.mockClear();
        const split = createStepCurvature(model, batch, diag, 11, stepGrads, pool);
        const many = await split.oracle.layerCurvature('gradient-difference').finally(() => split.dispose());
        expect(many.kappa).toEqual(one.kappa);
        expect(many.error).toEqual(one.error);
        // the replicas really computed their layers
        expect(calls.mock.calls.map(([replica, subRows, asked, given]) => [replica, subRows, asked, given])).toEqual(
          dealt.slice(1).map((own, r) => [r, Math.min(curvatureBatch, rows), own, stepGrads !== undefined]),
        );
        expect(pool.curvatureLayerMs).toHaveLength(layers);
        expect(pool.curvatureLayerMs!.every((ms) => Number.isFinite(ms) && ms > 0)).toBe(true);
      }
      // and the main thread's weights are as they were, bit for bit
      expect(await weightsOf(model)).toEqual(before);
    } finally {
      calls.mockRestore();
      step.grads.forEach((g) => tf.dispose(g));
      disposeBatch(batch);
      if (batch !== raw) disposeBatch(raw);
    }
  }, 120_000);
});
