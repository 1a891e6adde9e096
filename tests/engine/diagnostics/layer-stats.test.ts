import * as tf from '@tensorflow/tfjs-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { selectBackend } from '../../../main/engine/backend';
import { layerStats, layerStatsInPlace, layerStatsOnDevice, snapshotWeights } from '../../../main/engine/diagnostics/layer-stats';
import { buildModel } from '../../../main/engine/models/build-model';
import { LAYER_OFFSETS, LAYER_SIZES, createTinyMlp, type TinyMlp } from './tiny-mlp';

beforeAll(async () => {
  // selectBackend also registers tfjs's gradient functions
  await selectBackend('cpu');
});

const relative = (a: number, b: number): number => Math.abs(a - b) / Math.max(Math.abs(b), 1e-30);

const LR = 0.3;

/** one plain SGD step w ← w − LR·g; returns g and the flat weights before and after */
function sgdStep(mlp: TinyMlp) {
  const { value, grads: named } = tf.variableGrads(mlp.lossFn, mlp.groups.flatMap((g) => g.params));
  value.dispose();
  const grads = mlp.groups.map((g) => g.params.map((p) => named[p.name]!));
  const flatGrad = grads.flat().flatMap((g) => Array.from(g.dataSync()));
  const w0 = Array.from(mlp.read());
  const before = snapshotWeights(mlp.groups);
  tf.tidy(() => mlp.groups.forEach((g, l) => g.params.forEach((p, i) => p.assign(tf.sub(p, tf.mul(grads[l]![i]!, LR))))));
  const w1 = Array.from(mlp.read());
  return { grads, before, flatGrad, w0, w1 };
}

function expectedStats(flatGrad: number[], w0: number[], w1: number[], layer: 0 | 1) {
  const at = LAYER_OFFSETS[layer];
  const range = Array.from({ length: LAYER_SIZES[layer] }, (_, i) => at + i);
  return {
    gradNorm: Math.hypot(...range.map((i) => flatGrad[i]!)),
    weightNorm: Math.hypot(...range.map((i) => w0[i]!)),
    updateNorm: Math.hypot(...range.map((i) => w1[i]! - w0[i]!)),
    lossUpdateShare: range.reduce((s, i) => s + flatGrad[i]! * (w1[i]! - w0[i]!), 0),
  };
}

describe('per-layer step statistics', () => {
  let mlp: TinyMlp;
  beforeEach(() => {
    mlp = createTinyMlp();
  });
  afterEach(() => mlp.dispose());

  it.each([
    ['in place (host memory)', layerStats],
    ['on the device', layerStatsOnDevice],
  ] as const)('%s: match plain-JS norms and dot products, weight norm taken before the step', async (_, compute) => {
    const { grads, before, flatGrad, w0, w1 } = sgdStep(mlp);
    try {
      const stats = await compute(mlp.groups, grads, before);
      expect(stats).toHaveLength(2);
      stats.forEach((s, l) => {
        const e = expectedStats(flatGrad, w0, w1, l as 0 | 1);
        expect(s.gradNorm).toBeCloseTo(e.gradNorm, 5);
        expect(s.weightNorm).toBeCloseTo(e.weightNorm, 5);
        expect(s.updateNorm).toBeCloseTo(e.updateNorm, 5);
        expect(s.lossUpdateShare).toBeCloseTo(e.lossUpdateShare, 5);
        // plain SGD: Δw = −LR·g, so ‖Δw‖ = LR‖g‖ and g·Δw = −LR‖g‖²
        expect(s.updateNorm).toBeCloseTo(LR * s.gradNorm, 5);
        expect(s.lossUpdateShare).toBeCloseTo(-LR * s.gradNorm ** 2, 5);
      });
    } finally {
      tf.dispose([grads, before]);
    }
  });

  it('keeps the snapshot at the old values after the variables are reassigned', () => {
    const { grads, before, w0 } = sgdStep(mlp);
    try {
      expect(before.flat().flatMap((t) => Array.from(t.dataSync()))).toEqual(w0);
    } finally {
      tf.dispose([grads, before]);
    }
  });

  it.each([
    ['in place, with no read at all', layerStats, 0],
    ['on the device, with one asynchronous data()', layerStatsOnDevice, 1],
  ] as const)('reads all layers %s and no synchronous read', async (_, compute, reads) => {
    const { grads, before } = sgdStep(mlp);
    const data = vi.spyOn(tf.Tensor.prototype, 'data');
    const dataSync = vi.spyOn(tf.Tensor.prototype, 'dataSync');
    const arraySync = vi.spyOn(tf.Tensor.prototype, 'arraySync');
    try {
      await compute(mlp.groups, grads, before);
      expect(data).toHaveBeenCalledTimes(reads);
      expect(dataSync).not.toHaveBeenCalled();
      expect(arraySync).not.toHaveBeenCalled();
    } finally {
      data.mockRestore();
      dataSync.mockRestore();
      arraySync.mockRestore();
      tf.dispose([grads, before]);
    }
  });

  it('leaks no tensors over steps', async () => {
    const step = async (): Promise<void> => {
      const { grads, before } = sgdStep(mlp);
      await layerStats(mlp.groups, grads, before);
      tf.dispose([grads, before]);
    };
    await step();
    const tensors = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) await step();
    expect(tf.memory().numTensors).toBe(tensors);
  });

  it('says which argument does not match the layers', async () => {
    const { grads, before } = sgdStep(mlp);
    try {
      for (const compute of [layerStats, layerStatsOnDevice]) {
        await expect(compute(mlp.groups, grads, before.slice(0, 1))).rejects.toThrow(/before has 1 layers, the model has 2/);
        await expect(compute(mlp.groups, [grads[0]!, grads[1]!.slice(0, 1)], before)).rejects.toThrow(/grads\[1\] has 1 tensors, layer dense_2 has 2/);
      }
      const wrong = [grads[0]!, [grads[1]![0]!.reshape([-1]).slice(0, 3), grads[1]![1]!]];
      expect(() => layerStatsInPlace(mlp.groups, wrong, before)).toThrow(/layer dense_2 param 0 has 12 values, its gradient 3, its snapshot 12/);
      tf.dispose(wrong[1]![0]!);
    } finally {
      tf.dispose([grads, before]);
    }
  });
});

describe.each(['cpu', 'wasm'] as const)('layer statistics in place on %s', (backend) => {
  beforeAll(async () => {
    await selectBackend(backend);
  });
  afterAll(async () => {
    await selectBackend('cpu');
  });

  it('agree with the device path on an MNIST-sized MLP (784-256-128-10), to float32 summation error', async () => {
    const model = buildModel({ kind: 'mlp', hidden: [256, 128], activation: 'relu' }, [784], 10, 3);
    const params = model.groups.flatMap((g) => g.params);
    const grads = model.groups.map((g) => g.params.map((p, i) => tf.randomNormal(p.shape, 0, 1 + i, 'float32', 5 + i)));
    const before = snapshotWeights(model.groups);
    try {
      tf.tidy(() => model.groups.forEach((g, l) => g.params.forEach((p, i) => p.assign(tf.sub(p, tf.mul(grads[l]![i]!, 0.01))))));
      const inPlace = layerStatsInPlace(model.groups, grads, before);
      expect(inPlace).not.toBeNull();
      const onDevice = await layerStatsOnDevice(model.groups, grads, before);
      inPlace!.forEach((s, l) => {
        const d = onDevice[l]!;
        // the device sums in float32 over up to 200,704 values; in place sums in float64
        for (const key of ['gradNorm', 'weightNorm', 'updateNorm', 'lossUpdateShare'] as const) {
          expect(relative(s[key], d[key]), `layer ${l} ${key}`).toBeLessThan(1e-4);
        }
        expect(s.updateNorm).toBeGreaterThan(0);
      });
      // and against a float64 reference of one layer's gradient norm
      const g0 = await Promise.all(grads[0]!.map((t) => t.data() as Promise<Float32Array>));
      const exact = Math.sqrt(g0.reduce((sum, values) => sum + values.reduce((a, v) => a + v * v, 0), 0));
      expect(relative(inPlace![0]!.gradNorm, exact)).toBeLessThan(1e-12);
    } finally {
      tf.dispose([grads, before]);
      params.forEach((p) => p.dispose());
    }
  });
});
