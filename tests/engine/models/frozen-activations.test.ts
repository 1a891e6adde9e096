import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { selectBackend } from '../../../main/engine/backend';
import { FrozenActivations } from '../../../main/engine/models/frozen-activations';
import { buildCnn } from '../../../main/engine/models/cnn';
import { buildResnet } from '../../../main/engine/models/resnet';
import { buildMlp } from '../../../main/engine/models/mlp';
import type { Model } from '../../../main/engine/models/model';

const models = (): [string, Model, number[]][] => [
  ['mlp', buildMlp({ inputShape: [6], numClasses: 3, hidden: [8, 8], activation: 'relu', seed: 1 }), [6]],
  ['mlp-elu', buildMlp({ inputShape: [6], numClasses: 3, hidden: [8], activation: 'elu', seed: 1 }), [6]],
  [
    'cnn',
    buildCnn({
      inputShape: [8, 8, 2],
      numClasses: 3,
      conv: [{ filters: 3, kernelSize: 3, stride: 1, padding: 'same', pool: 2 }],
      dense: [5],
      activation: 'relu',
      seed: 2,
    }),
    [8, 8, 2],
  ],
  ['resnet', buildResnet({ inputShape: [8, 8, 1], numClasses: 3, stages: [1, 1], width: 2, seed: 3 }), [8, 8, 1]],
];

describe('frozen activation pattern', () => {
  for (const backend of ['cpu', 'wasm'] as const) {
    it(`replays to the very same logits at the recording point, and keeps the pattern elsewhere (${backend})`, async () => {
      await selectBackend(backend);
      for (const [name, model, shape] of models()) {
        const x = tf.randomNormal([5, ...shape], 0, 1, 'float32', 7);
        const frozen = new FrozenActivations();
        try {
          const mode = { training: true, updateStats: false };
          const plain = tf.tidy(() => model.apply(x, mode).arraySync());
          const recorded = tf.tidy(() => model.apply(x, { ...mode, frozen }).arraySync());
          expect(recorded, name).toEqual(plain);
          expect(frozen.size, name).toBeGreaterThan(0);
          frozen.replay();
          const replayed = tf.tidy(() => model.apply(x, { ...mode, frozen }).arraySync());
          if (name.endsWith('elu')) {
            // the replayed negative branch is exp(x) − 1, tf.elu's own rounding differs by an ulp
            const gap = Math.max(...replayed.flatMap((row, i) => row.map((v, j) => Math.abs(v - plain[i]![j]!))));
            expect(gap, name).toBeLessThan(1e-6);
          } else {
            // x·mask and p²·avgPool(x ⊙ selection) reproduce relu and the 2×2 max-pool bit for bit
            expect(replayed, name).toEqual(plain);
          }
          // at another input the replayed network differs from the real one (other units are on)
          const y = tf.randomNormal([5, ...shape], 0, 1, 'float32', 8);
          frozen.rewind();
          const elsewhere = tf.tidy(() => model.apply(y, { ...mode, frozen }).arraySync());
          const real = tf.tidy(() => model.apply(y, mode).arraySync());
          expect(elsewhere, name).not.toEqual(real);
          tf.dispose(y);
        } finally {
          frozen.dispose();
          tf.dispose(x);
          model.dispose();
        }
      }
    }, 60_000);
  }

  it('names the site when a pass does not match the recording', async () => {
    await selectBackend('cpu');
    const frozen = new FrozenActivations();
    tf.tidy(() => frozen.relu(tf.ones([2, 3])));
    frozen.replay();
    expect(() => tf.tidy(() => frozen.relu(tf.ones([2, 4])))).toThrow(/relu #1 has shape \[2,4\] now, \[2,3\] when recorded/);
    frozen.rewind();
    tf.tidy(() => frozen.relu(tf.ones([2, 3])));
    expect(() => tf.tidy(() => frozen.relu(tf.ones([2, 3])))).toThrow(/reached relu #2, but only 1 were recorded/);
    const before = tf.memory().numTensors;
    frozen.dispose();
    expect(tf.memory().numTensors).toBe(before - 1);
  });
});
