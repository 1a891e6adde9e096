import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../../../main/engine/backend';
import { loadDataset } from '../../../main/engine/data/load-dataset';
import { buildModel } from '../../../main/engine/models/build-model';
import { BatchSource, disposeBatch } from '../../../main/engine/training/batch-source';
import { batchGradients, discardMask } from '../../../main/engine/training/batch-gradients';
import type { Dataset } from '../../../main/engine/data/dataset';

process.env.BATCHSCOPE_QUIET = '1';

function maxRelativeDifference(a: tf.Tensor[][], b: tf.Tensor[][]): number {
  let worst = 0;
  a.forEach((group, l) =>
    group.forEach((t, p) => {
      const x = t.dataSync();
      const y = b[l]![p]!.dataSync();
      const scale = Math.max(...Array.from(y, Math.abs), 1e-6);
      for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i]! - y[i]!) / scale);
    }),
  );
  return worst;
}

describe('batch gradients', () => {
  let data: Dataset;
  beforeAll(async () => {
    await selectBackend('wasm');
    data = await loadDataset({ kind: 'spirals', samples: 600, arms: 3, noise: 0.1, testFraction: 0.2 }, 1);
  });

  it('micro-batch accumulation gives the gradient of one batch of B', async () => {
    const model = buildModel({ kind: 'mlp', hidden: [24, 12], activation: 'tanh' }, data.inputShape, data.numClasses, 3);
    const source = new BatchSource(data.train, data.inputShape, data.numClasses, 5);
    source.startEpoch();
    const batch = source.next(96);
    const whole = await batchGradients(model, batch, undefined, null);
    for (const micro of [7, 32, 96]) {
      const parts = await batchGradients(model, batch, micro, null);
      expect(maxRelativeDifference(parts.grads, whole.grads)).toBeLessThan(1e-5);
      expect(parts.loss).toBeCloseTo(whole.loss, 5);
      expect(parts.accuracy).toBe(whole.accuracy);
      parts.grads.flat().forEach((t) => t.dispose());
    }
    // discarding picks the same samples whether or not the batch is split
    const dropWhole = await batchGradients(model, batch, undefined, { fraction: 0.3 });
    const dropParts = await batchGradients(model, batch, 10, { fraction: 0.3 });
    expect(dropWhole.discarded).toBe(28);
    expect(dropParts.discarded).toBe(28);
    expect(maxRelativeDifference(dropParts.grads, dropWhole.grads)).toBeLessThan(1e-5);
    expect(maxRelativeDifference(dropWhole.grads, whole.grads)).toBeGreaterThan(1e-3);
    [whole, dropWhole, dropParts].forEach((g) => g.grads.flat().forEach((t) => t.dispose()));
    disposeBatch(batch);
    model.dispose();
  });

  it('discard mask leaves out the smallest losses, by fraction or threshold', () => {
    const losses = Float32Array.from([0.5, 0.1, 2, 0.05, 1]);
    expect(Array.from(discardMask(losses, { fraction: 0.4 }))).toEqual([1, 0, 1, 0, 1]);
    expect(Array.from(discardMask(losses, { threshold: 0.6 }))).toEqual([0, 0, 1, 0, 1]);
    expect(Array.from(discardMask(losses, { threshold: 10 }))).toEqual([0, 0, 1, 0, 0]);
  });
});
