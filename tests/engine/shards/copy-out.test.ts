import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { copyOut } from '../../../main/engine/shards/copy-out';
import { useBackend, type BackendName } from '../kernels/backends';

describe.each(['wasm', 'cpu'] as BackendName[])('copyOut on %s', (name) => {
  it('copies a tensor’s values to an offset of a shared array, leaving the rest', async () => {
    await useBackend(name);
    const into = new Float32Array(new SharedArrayBuffer(10 * 4)).fill(-1);
    const t = tf.tensor2d([1.5, 2, 3, 4, 5, 6], [2, 3]);
    // a heap allocation after the tensor must not disturb the copy
    const other = tf.zeros([1000]);
    await copyOut(t, into, 3);
    expect(Array.from(into)).toEqual([-1, -1, -1, 1.5, 2, 3, 4, 5, 6, -1]);
    tf.dispose([t, other]);
  });

  it('refuses a tensor that is not float32', async () => {
    await useBackend(name);
    const t = tf.tensor1d([1, 2], 'int32');
    await expect(copyOut(t, new Float32Array(2), 0)).rejects.toThrow(/int32 tensor/);
    t.dispose();
  });
});
