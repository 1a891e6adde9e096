// tfjs-core's Node bundle carries no gradient functions; the umbrella package registers them
import '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectWasmMatchesCpu, liveCounts, seededTensor, useBackend } from './backends';

const offsetOf = (t: tf.Tensor): number => (tf.engine().backend as BackendWasm).getMemoryOffset(t.dataId);

describe('wasm Identity and same-dtype Cast share the input buffer', () => {
  beforeAll(() => useBackend('wasm'));

  it('a clone points at the same heap memory and outlives its source', async () => {
    const before = liveCounts();
    const x = seededTensor([64, 33], 1);
    const expected = await x.data();
    const y = tf.clone(x);
    expect(offsetOf(y)).toBe(offsetOf(x));
    expect(liveCounts().dataIds).toBe(before.dataIds + 1);
    x.dispose();
    // the buffer stays while the clone holds it; an allocation after the free must not reuse it
    const other = tf.fill([64, 33], 7);
    expect(await y.data()).toEqual(expected);
    other.dispose();
    y.dispose();
    expect(liveCounts()).toEqual(before);
  });

  it('a cast to the same dtype shares; one to another dtype converts into a buffer of its own', async () => {
    const x = tf.tensor1d([1.5, -2, 3], 'float32');
    const same = tf.cast(x, 'float32');
    expect(offsetOf(same)).toBe(offsetOf(x));
    const ints = tf.cast(x, 'int32');
    expect(offsetOf(ints)).not.toBe(offsetOf(x));
    expect(Array.from(await ints.data())).toEqual([1, -2, 3]);
    const back = tf.cast(ints, 'float32');
    expect(Array.from(await back.data())).toEqual([1, -2, 3]);
    tf.dispose([x, same, ints, back]);
  });

  it('a kernel reading a shared buffer leaves it as it was', async () => {
    const x = seededTensor([16, 16], 2);
    const expected = await x.data();
    const y = tf.clone(x);
    const z = tf.relu(tf.add(y, -0.5));
    expect(await x.data()).toEqual(expected);
    expect(await y.data()).toEqual(expected);
    tf.dispose([x, y, z]);
  });

  it('gradients through tensors the tape saved (the engine clones them) equal the cpu backend', async () => {
    await expectWasmMatchesCpu(() => {
      const w = seededTensor([12, 8], 3);
      const x = seededTensor([20, 12], 4);
      const f = (v: tf.Tensor): tf.Scalar => tf.sum(tf.mul(tf.relu(tf.matMul(x as tf.Tensor2D, v as tf.Tensor2D)), tf.sigmoid(tf.matMul(x as tf.Tensor2D, v as tf.Tensor2D))));
      return tf.grad(f)(w);
    });
  });

  it('leaves no tensors or backend buffers behind over a gradient', async () => {
    const w = seededTensor([12, 8], 3);
    const x = seededTensor([20, 12], 4);
    const f = (v: tf.Tensor): tf.Scalar => tf.sum(tf.sigmoid(tf.matMul(x as tf.Tensor2D, v as tf.Tensor2D)));
    tf.tidy(() => void tf.grad(f)(w));
    const before = liveCounts();
    for (let i = 0; i < 3; i++) tf.tidy(() => void tf.grad(f)(w));
    expect(liveCounts()).toEqual(before);
    tf.dispose([w, x]);
  });
});
