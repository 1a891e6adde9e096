import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectWasmMatchesCpu, liveCounts, seededTensor, transposeCombos, useBackend } from './backends';
import { registerFastKernels } from '../../../main/engine/kernels/register';

type Case = { a: number[]; b: number[]; transposeA: boolean; transposeB: boolean };


/** Operand shapes for C = op(A) op(B) with op(A): [..., m, k], op(B): [..., k, n]. */
function operands(batchA: number[], batchB: number[], m: number, k: number, n: number, transposeA: boolean, transposeB: boolean): Case {
  return {
    a: [...batchA, ...(transposeA ? [k, m] : [m, k])],
    b: [...batchB, ...(transposeB ? [n, k] : [k, n])],
    transposeA,
    transposeB,
  };
}

const cases: Case[] = [
  // a dense layer's backward pass (MLP 784-256-128-10, smaller batch)
  ...transposeCombos.map(([ta, tb]) => operands([], [], 32, 78, 25, ta, tb)),
  ...transposeCombos.map(([ta, tb]) => operands([], [], 25, 32, 10, ta, tb)),
  // vector-like operands: the transposes become reshapes (a) or copies (b)
  ...transposeCombos.map(([ta, tb]) => operands([], [], 1, 7, 5, ta, tb)),
  ...transposeCombos.map(([ta, tb]) => operands([], [], 6, 7, 1, ta, tb)),
  ...transposeCombos.map(([ta, tb]) => operands([], [], 6, 1, 5, ta, tb)),
  // batched 3-D, same batch on both sides (stock kernel keeps these)
  ...transposeCombos.map(([ta, tb]) => operands([3], [3], 4, 5, 6, ta, tb)),
  // broadcasting: a batched against one shared b (folded into a's rows)
  ...transposeCombos.map(([ta, tb]) => operands([3], [1], 4, 5, 6, ta, tb)),
  ...transposeCombos.map(([ta, tb]) => operands([3], [], 4, 5, 6, ta, tb)),
  ...transposeCombos.map(([ta, tb]) => operands([2, 3], [], 4, 5, 6, ta, tb)),
  ...transposeCombos.map(([ta, tb]) => operands([2, 3], [1, 1], 4, 5, 6, ta, tb)),
  ...transposeCombos.map(([ta, tb]) => operands([3], [1, 1], 4, 5, 6, ta, tb)),
  // broadcasting the other way: one a against a batched b
  ...transposeCombos.map(([ta, tb]) => operands([1], [3], 4, 5, 6, ta, tb)),
  ...transposeCombos.map(([ta, tb]) => operands([], [2, 3], 4, 5, 6, ta, tb)),
];

const label = (c: Case) => `[${c.a}]${c.transposeA ? 'ᵀ' : ''} x [${c.b}]${c.transposeB ? 'ᵀ' : ''}`;

describe('wasm BatchMatMul', () => {
  beforeAll(() => useBackend('wasm'));

  it.each(cases.map((c) => [label(c), c] as const))('%s matches cpu', async (_, c) => {
    await expectWasmMatchesCpu(() => tf.matMul(seededTensor(c.a, 1), seededTensor(c.b, 2), c.transposeA, c.transposeB));
  });

  it('keeps a weight matrix correct when it is also used transposed as a vector', async () => {
    // b [1, 6] as a transposed operand, then as a plain weight matrix: the two
    // uses must not share a cached XNNPACK operator
    await expectWasmMatchesCpu(() => {
      const b = seededTensor([1, 6], 3);
      const first = tf.matMul(seededTensor([4, 6], 4), b, false, true);
      const second = tf.matMul(seededTensor([3, 1], 5), b);
      return tf.concat([tf.reshape(first, [-1]), tf.reshape(second, [-1])]);
    });
  });

  it('registers once however often it is called', async () => {
    await useBackend('wasm');
    const before = tf.getKernel('BatchMatMul', 'wasm');
    registerFastKernels('wasm');
    registerFastKernels('wasm');
    expect(tf.getKernel('BatchMatMul', 'wasm')).toBe(before);
  });

  it('leaves no tensors or backend buffers behind', async () => {
    await useBackend('wasm');
    const a = seededTensor([3, 5, 4], 1);
    const b = seededTensor([6, 5], 2);
    tf.matMul(a, b, true, true).dispose();
    const before = liveCounts();
    for (let i = 0; i < 5; i++) tf.matMul(a, b, true, true).dispose();
    expect(liveCounts()).toEqual(before);
    a.dispose();
    b.dispose();
  });
});
