import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../../../main/engine/backend';
import { loadDataset } from '../../../main/engine/data/load-dataset';
import type { Dataset } from '../../../main/engine/data/dataset';
import { BatchSource, disposeBatch, gather, rowsOf } from '../../../main/engine/training/batch-source';
import { createRng } from '../../../main/engine/rng';

process.env.BATCHSCOPE_QUIET = '1';

describe('batch source', () => {
  let data: Dataset;
  beforeAll(async () => {
    await selectBackend('wasm');
    data = await loadDataset({ kind: 'spirals', samples: 300, arms: 3, noise: 0.1, testFraction: 0.2 }, 1);
  });

  const sourceOf = (seed: number, buffers?: ConstructorParameters<typeof BatchSource>[4]): BatchSource => {
    const source = new BatchSource(data.train, data.inputShape, data.numClasses, seed, buffers);
    source.startEpoch();
    return source;
  };

  it('makes a batch’s tensors when first read, keeps them through a tidy, and frees them on dispose', async () => {
    const before = tf.memory().numTensors;
    const batch = sourceOf(2).next(16);
    expect(tf.memory().numTensors, 'no tensor until one is read').toBe(before);
    // read first inside a tidy, as a gradient function would
    tf.tidy(() => void tf.sum(batch.oneHot));
    expect(tf.memory().numTensors).toBe(before + 2);
    expect(batch.x.shape).toEqual([16, ...data.inputShape]);
    expect(Array.from(await batch.labels.data())).toEqual(Array.from(batch.host.labels));
    expect(Array.from(await batch.x.data())).toEqual(Array.from(batch.host.x));
    const hot = await batch.oneHot.array();
    hot.forEach((row, i) => expect(row.indexOf(1)).toBe(batch.host.labels[i]));
    disposeBatch(batch);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('serves the same samples as a fresh gather, reusing its buffers batch after batch', () => {
    const featureSize = data.inputShape.reduce((a, b) => a * b, 1);
    // the source's own order: its RNG's first permutation
    const order = createRng(3).permutation(data.train.count);
    const source = sourceOf(3);
    const first = source.next(20);
    const buffer = first.host.x.buffer;
    disposeBatch(first);
    let cursor = 20;
    for (let i = 0; i < 4; i++) {
      const size = i % 2 ? 20 : 12;
      const batch = source.next(size);
      const expected = gather(data.train, order.subarray(cursor, cursor + size), data.inputShape, featureSize, data.numClasses);
      cursor += size;
      expect(batch.host.x.buffer).toBe(buffer);
      expect(Array.from(batch.host.x)).toEqual(Array.from(expected.host.x));
      expect(Array.from(batch.host.labels)).toEqual(Array.from(expected.host.labels));
      disposeBatch(batch);
    }
  });

  it('refuses a next batch while the previous one is in use (its samples would be overwritten)', () => {
    const source = sourceOf(4);
    const batch = source.next(8);
    const copy = Array.from(batch.host.x);
    expect(() => source.next(8)).toThrow(/previous batch is still in use/);
    expect(Array.from(batch.host.x)).toEqual(copy);
    disposeBatch(batch);
    disposeBatch(source.next(8));
  });

  it('gathers into the buffers it is given', () => {
    const featureSize = data.inputShape.reduce((a, b) => a * b, 1);
    const x = new Float32Array(new SharedArrayBuffer(32 * featureSize * 4));
    const labels = new Int32Array(new SharedArrayBuffer(32 * 4));
    const asked: number[] = [];
    const source = sourceOf(5, (rows) => {
      asked.push(rows);
      return { x: x.subarray(0, rows * featureSize), labels: labels.subarray(0, rows) };
    });
    const batch = source.next(24);
    expect(asked).toEqual([24]);
    expect(batch.host.x.buffer).toBe(x.buffer);
    expect(Array.from(labels.subarray(0, 24))).toEqual(Array.from(batch.host.labels));
    disposeBatch(batch);
  });

  it('cuts rows from the host samples', async () => {
    const indices = [5, 1, 7, 3, 2, 9];
    const batch = gather(data.train, indices, data.inputShape, data.inputShape.reduce((a, b) => a * b, 1), data.numClasses);
    const rows = rowsOf(batch, 2, 3);
    expect(rows.size).toBe(3);
    expect(Array.from(await rows.labels.data())).toEqual(indices.slice(2, 5).map((i) => data.train.y[i]!));
    disposeBatch(rows);
    disposeBatch(batch);
  });
});
