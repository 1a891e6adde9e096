import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { selectBackend } from '../../../main/engine/backend';
import { buildModel } from '../../../main/engine/models/build-model';
import { describeLayers, parameterCount } from '../../../main/engine/models/model';
import { parseRunSpec } from '../../../common/spec';
import { trainRun } from '../../../main/engine/training/train-run';
import { RecordingSink } from '../training/record-sink';

process.env.BATCHSCOPE_QUIET = '1';

const specModel = (model: object) => parseRunSpec({ dataset: { kind: 'blobs' }, model, training: { epochs: 1 } }).model;

describe('models from a declarative spec', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  it('MLP: stable layer names, one group per layer, exact parameter count', () => {
    const model = buildModel(specModel({ kind: 'mlp', hidden: [256, 128] }), [28, 28, 1], 10, 0);
    expect(model.groups.map((g) => g.name)).toEqual(['dense_1', 'dense_2', 'output']);
    expect(model.groups.every((g) => g.roles.join() === 'weight,bias')).toBe(true);
    expect(parameterCount(model.groups)).toBe(784 * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10);
    model.dispose();
  });

  it('CNN (LeNet-like default) and ResNet build the expected groups', () => {
    const cnn = buildModel(specModel({ kind: 'cnn' }), [28, 28, 1], 10, 0);
    expect(describeLayers(cnn.groups).map((l) => `${l.name}:${l.shapes.map((s) => s.join('x')).join(',')}`)).toEqual([
      'conv_1:5x5x1x16,16',
      'conv_2:5x5x16x32,32',
      'dense_1:1568x128,128',
      'output:128x10,10',
    ]);
    cnn.dispose();
    const resnet = buildModel(specModel({ kind: 'resnet', stages: [1, 1], width: 8 }), [32, 32, 3], 10, 0);
    expect(resnet.groups.map((g) => g.name)).toEqual([
      'stem_conv',
      'stem_bn',
      's1b1_conv_a',
      's1b1_bn_a',
      's1b1_conv_b',
      's1b1_bn_b',
      's2b1_conv_a',
      's2b1_bn_a',
      's2b1_conv_b',
      's2b1_bn_b',
      's2b1_shortcut_conv',
      's2b1_shortcut_bn',
      'output',
    ]);
    expect(resnet.groups.filter((g) => g.kind === 'batchnorm').every((g) => g.roles.join() === 'gamma,beta')).toBe(true);
    expect(resnet.state).toHaveLength(12);
    resnet.dispose();
  });

  it('the same seed gives the same initial weights', () => {
    const a = buildModel(specModel({ kind: 'mlp', hidden: [8] }), [4], 3, 42);
    const b = buildModel(specModel({ kind: 'mlp', hidden: [8] }), [4], 3, 42);
    const c = buildModel(specModel({ kind: 'mlp', hidden: [8] }), [4], 3, 43);
    expect(Array.from(a.groups[0]!.params[0]!.dataSync())).toEqual(Array.from(b.groups[0]!.params[0]!.dataSync()));
    expect(Array.from(a.groups[0]!.params[0]!.dataSync())).not.toEqual(Array.from(c.groups[0]!.params[0]!.dataSync()));
    [a, b, c].forEach((m) => m.dispose());
  });

  // the stock cpu backend's convolutions are slow: fewer, smaller steps there
  // (sharpness, with its power iteration per layer block, is left to the diagnostics tests)
  const budgets = { wasm: { batch: 32, steps: 4, curvatureEvery: 2 }, cpu: { batch: 8, steps: 2, curvatureEvery: 0 } };
  for (const backend of ['wasm', 'cpu'] as const) {
    it(`a CNN and a ResNet train on the ${backend} backend`, async () => {
      const budget = budgets[backend];
      const images = { kind: 'mnist', trainLimit: 256, testLimit: 64 } as const;
      for (const model of [{ kind: 'cnn', conv: [{ filters: 4, kernelSize: 5 }, { filters: 8, kernelSize: 3, stride: 2 }], dense: [16] }, { kind: 'resnet', stages: [1, 1], width: 4 }]) {
        const sink = new RecordingSink();
        const summary = await trainRun(
          {
            dataset: images,
            model,
            backend,
            batch: { size: budget.batch },
            optimizer: { name: 'momentum' },
            lr: { base: 0.05 },
            training: { steps: budget.steps, trainEvalSamples: 64 },
            diagnostics: { curvatureEvery: budget.curvatureEvery, sharpnessEvery: 0 },
          },
          sink,
        );
        expect(summary.status, JSON.stringify(model)).toBe('completed');
        expect(sink.info!.backend.name).toBe(backend);
        expect(sink.steps.every((s) => Number.isFinite(s.loss))).toBe(true);
        // every trainable layer received a gradient and moved
        const firstStep = sink.layerRows.filter((r) => r.step === 1);
        expect(firstStep).toHaveLength(sink.info!.layers.length);
        expect(firstStep.every((r) => r.gradNorm > 0 && r.updateNorm > 0)).toBe(true);
      }
      expect(tf.getBackend()).toBe(backend);
    }, 120_000);
  }
});

describe('parameter count from shapes alone', () => {
  it('agrees with the built models', async () => {
    const { parameterCountOf } = await import('../../../common/param-count');
    const cases: [object, number[], number][] = [
      [{ kind: 'mlp', hidden: [256, 128] }, [28, 28, 1], 10],
      [{ kind: 'cnn' }, [28, 28, 1], 10],
      [{ kind: 'cnn', conv: [{ filters: 6, kernelSize: 5, padding: 'valid', pool: 2 }, { filters: 16, kernelSize: 5, padding: 'valid', stride: 1, pool: 2 }], dense: [120, 84] }, [32, 32, 3], 10],
      [{ kind: 'resnet', stages: [2, 2, 1], width: 8 }, [32, 32, 3], 10],
    ];
    for (const [spec, shape, classes] of cases) {
      const model = buildModel(specModel(spec), shape, classes, 0);
      expect(parameterCountOf(specModel(spec), shape, classes), JSON.stringify(spec)).toBe(parameterCount(model.groups));
      model.dispose();
    }
  });
});
