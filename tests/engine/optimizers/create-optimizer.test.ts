import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { optimizerSpecSchema, type OptimizerSpec } from '../../../common/spec';
import { createOptimizer } from '../../../main/engine/optimizers/create-optimizer';
import type { CurvatureOracle } from '../../../main/engine/optimizers/optimizer';
import { disposeGroups, makeGroups, withBatchNorm } from './tiny-problem';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const oracle: CurvatureOracle = {
  layerCurvature: () => Promise.resolve({ kappa: [1, 2, 0.5], error: [0, 0, 0] }),
  diagonalCurvature: async (layer) => Float32Array.from({ length: [9, 8, 4][layer]! }, (_, i) => 0.5 + (i % 3)),
};

const inputs = [
  { name: 'sgd' },
  { name: 'momentum' },
  { name: 'momentum', nesterov: true, weightDecay: 1e-4 },
  { name: 'adam' },
  { name: 'adamw' },
  { name: 'lars' },
  { name: 'lamb' },
  { name: 'cblr', refreshEvery: 2 },
  { name: 'mclr', refreshEvery: 2 },
  { name: 'mclr', elementCurvature: 'hutchinson' },
];

describe('createOptimizer', () => {
  for (const input of inputs) {
    const spec: OptimizerSpec = optimizerSpecSchema.parse(input);
    it(`${JSON.stringify(input)}: builds from the parsed spec, keeps the tensor count flat over steps and frees everything on dispose`, async () => {
      const groups = makeGroups(withBatchNorm);
      const before = tf.memory().numTensors;
      const optimizer = createOptimizer(spec, groups);
      expect(optimizer.name).toBe(spec.name);
      const counts: number[] = [];
      for (let step = 0; step < 6; step++) {
        const grads = groups.map((g) => g.params.map((p) => tf.mul(p, 0.5 + 0.1 * step)));
        const rates = await optimizer.apply({ groups, grads, lr: 0.1, step, curvature: oracle });
        tf.dispose(grads);
        expect(rates).toHaveLength(groups.length);
        rates.forEach((r) => expect(Number.isFinite(r) && r > 0).toBe(true));
        counts.push(tf.memory().numTensors);
      }
      expect(new Set(counts).size).toBe(1);
      optimizer.dispose();
      expect(tf.memory().numTensors).toBe(before);
      disposeGroups(groups);
    });
  }

  it('rejects gradients that do not match the parameters, naming the layer', async () => {
    const groups = makeGroups(withBatchNorm);
    const optimizer = createOptimizer(optimizerSpecSchema.parse({ name: 'momentum' }), groups);
    const grads = groups.map((g) => g.params.map((p) => tf.onesLike(p)));
    const wrong = grads.map((layer, l) => (l === 1 ? [tf.ones([2, 3]), layer[1]!] : layer));
    await expect(optimizer.apply({ groups, grads: wrong, lr: 0.1, step: 0 })).rejects.toThrow(/dense_2 param 0 has shape \[2,3\], expected \[3,2\]/);
    await expect(optimizer.apply({ groups, grads: grads.slice(1), lr: 0.1, step: 0 })).rejects.toThrow(/built for 3 layer groups/);
    tf.dispose([grads, wrong]);
    optimizer.dispose();
    disposeGroups(groups);
  });
});
