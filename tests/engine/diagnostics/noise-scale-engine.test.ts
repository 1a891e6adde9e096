/**
 * The gradient noise scale through the engine's own gradient path (batchGradients with
 * parts: two halves, micro-batches, discarding) against the exact value of a finite
 * population: with batches drawn with replacement from N samples, the per-sample
 * gradients are i.i.d. with mean G (the full-data gradient) and covariance Σ (their
 * population covariance), both computed here sample by sample, so
 * B_simple = tr(Σ)/|G|² is known exactly at fixed weights.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../../main/engine/backend';
import { loadDataset } from '../../../main/engine/data/load-dataset';
import type { Dataset } from '../../../main/engine/data/dataset';
import { NoiseScaleMonitor } from '../../../main/engine/diagnostics/noise-scale';
import { buildModel } from '../../../main/engine/models/build-model';
import type { Model } from '../../../main/engine/models/model';
import { createRng } from '../../../main/engine/rng';
import { batchGradients } from '../../../main/engine/training/batch-gradients';
import { disposeBatch, gather } from '../../../main/engine/training/batch-source';
import { perSampleCrossEntropy } from '../../../main/engine/training/loss';

process.env.BATCHSCOPE_QUIET = '1';

const POPULATION = 240;

/** per-layer |G_l|² and tr(Σ_l) of the population's per-sample gradients */
function exactNoise(model: Model, data: Dataset): { gradSquared: number[]; traceSigma: number[] } {
  const vars = model.groups.flatMap((g) => g.params);
  const layerOf = model.groups.flatMap((g, l) => g.params.map(() => l));
  const dims = vars.map((v) => v.size);
  const sum = dims.map((d) => new Float64Array(d));
  const sumSquares = model.groups.map(() => 0);
  for (let i = 0; i < POPULATION; i++) {
    const one = gather(data.train, [i], data.inputShape, data.inputShape.reduce((a, b) => a * b, 1), data.numClasses);
    const { grads, value } = tf.variableGrads(
      () => tf.sum(perSampleCrossEntropy(model.apply(one.x, { training: true, updateStats: false }), one.oneHot)) as tf.Scalar,
      vars,
    );
    value.dispose();
    vars.forEach((v, p) => {
      const g = grads[v.name]!.dataSync();
      for (let k = 0; k < g.length; k++) {
        sum[p]![k]! += g[k]!;
        sumSquares[layerOf[p]!]! += g[k]! * g[k]!;
      }
    });
    tf.dispose(grads);
    disposeBatch(one);
  }
  const gradSquared = model.groups.map(() => 0);
  sum.forEach((s, p) => s.forEach((v) => (gradSquared[layerOf[p]!]! += (v / POPULATION) ** 2)));
  // tr(Σ) = E|g_i|² − |G|² (population covariance: the batches draw with replacement)
  const traceSigma = sumSquares.map((s, l) => s / POPULATION - gradSquared[l]!);
  return { gradSquared, traceSigma };
}

describe('gradient noise scale from the engine gradient parts', () => {
  let data: Dataset;
  beforeAll(async () => {
    await selectBackend('wasm');
    data = await loadDataset({ kind: 'spirals', samples: 300, arms: 3, noise: 0.2, testFraction: 0.2 }, 1);
  });

  it.each([
    { name: 'two halves of each batch (no accumulation)', microBatch: undefined },
    { name: 'micro-batches of 16 (accumulation)', microBatch: 16 },
  ])('is within 5 % of tr(Σ)/|G|² of the population, per layer and for the network: $name', async ({ microBatch }) => {
    const model = buildModel({ kind: 'mlp', hidden: [16, 8], activation: 'relu' }, data.inputShape, data.numClasses, 3);
    const exact = exactNoise(model, data);
    const exactNetwork = exact.traceSigma.reduce((a, b) => a + b, 0) / exact.gradSquared.reduce((a, b) => a + b, 0);
    const monitor = new NoiseScaleMonitor(model.groups.length, 0.9995);
    const rng = createRng(11);
    const batchSize = 128;
    let last: ReturnType<NoiseScaleMonitor['add']> | null = null;
    for (let draw = 0; draw < 1500; draw++) {
      const indices = Array.from({ length: batchSize }, () => rng.int(POPULATION));
      const batch = gather(data.train, indices, data.inputShape, data.inputShape.reduce((a, b) => a * b, 1), data.numClasses);
      const result = await batchGradients(model, batch, microBatch, null, null, { parts: true });
      disposeBatch(batch);
      expect(result.parts).not.toBeNull();
      expect(result.parts!.reduce((n, p) => n + p.samples, 0)).toBe(batchSize);
      const squares = async (t: tf.Tensor): Promise<number> => Array.from(await t.data()).reduce((s, v) => s + v * v, 0);
      const big = await Promise.all(result.grads.map(async (layer) => (await Promise.all(layer.map(squares))).reduce((a, b) => a + b, 0)));
      tf.dispose(result.grads);
      last = monitor.add(result.parts, big);
    }
    expect(Math.abs(last!.network! / exactNetwork - 1)).toBeLessThan(0.05);
    last!.layers.forEach((value, l) => expect(Math.abs(value! / (exact.traceSigma[l]! / exact.gradSquared[l]!) - 1), `layer ${l}`).toBeLessThan(0.05));
    model.dispose();
  });

  it('has no parts when discarding (kept samples are not a random draw) or for batch norm without micro-batches', async () => {
    const mlp = buildModel({ kind: 'mlp', hidden: [8], activation: 'relu' }, data.inputShape, data.numClasses, 3);
    const batch = gather(data.train, Array.from({ length: 32 }, (_, i) => i), data.inputShape, 2, data.numClasses);
    const discarding = await batchGradients(mlp, batch, undefined, { fraction: 0.25 }, null, { parts: true });
    expect(discarding.parts).toBeNull();
    const notAsked = await batchGradients(mlp, batch, undefined, null);
    expect(notAsked.parts).toBeNull();
    tf.dispose([discarding.grads, notAsked.grads]);
    mlp.dispose();
    disposeBatch(batch);
  });
});
