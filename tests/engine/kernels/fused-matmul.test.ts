import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectWasmMatchesCpu, liveCounts, seededTensor, useBackend } from './backends';

type Activation = 'linear' | 'relu' | 'relu6' | 'elu' | 'sigmoid' | 'leakyrelu' | 'prelu';
type Case = { a: number[]; b: number[]; transposeA: boolean; transposeB: boolean; bias?: number[]; activation: Activation; prelu?: number[] };

const cases: Case[] = [
  { a: [32, 24], b: [24, 16], transposeA: false, transposeB: false, bias: [16], activation: 'relu' },
  { a: [24, 32], b: [24, 16], transposeA: true, transposeB: false, bias: [16], activation: 'relu' },
  { a: [32, 24], b: [16, 24], transposeA: false, transposeB: true, bias: [16], activation: 'linear' },
  { a: [24, 32], b: [16, 24], transposeA: true, transposeB: true, activation: 'sigmoid' },
  { a: [24, 32], b: [16, 24], transposeA: true, transposeB: true, bias: [16], activation: 'elu' },
  { a: [24, 32], b: [24, 16], transposeA: true, transposeB: false, bias: [16], activation: 'leakyrelu' },
  { a: [24, 32], b: [24, 16], transposeA: true, transposeB: false, bias: [16], activation: 'prelu', prelu: [16] },
  // one-element biases are added after the product (the stock XNNPACK path over-reads them)
  { a: [24, 32], b: [24, 16], transposeA: true, transposeB: false, bias: [1], activation: 'relu6' },
  { a: [32, 24], b: [24, 16], transposeA: false, transposeB: false, bias: [1], activation: 'relu' },
  // prelu with a batch folded into the rows: bias and activation after the product
  { a: [3, 8, 12], b: [12, 5], transposeA: false, transposeB: false, bias: [5], activation: 'prelu', prelu: [8, 5] },
  // batched a against a shared b
  { a: [3, 8, 12], b: [12, 5], transposeA: false, transposeB: false, bias: [5], activation: 'relu' },
  { a: [3, 12, 8], b: [5, 12], transposeA: true, transposeB: true, bias: [5], activation: 'relu' },
  { a: [3, 12, 8], b: [1, 12, 5], transposeA: true, transposeB: false, activation: 'linear' },
  // batched b keeps the stock product, with bias and activation applied separately
  { a: [3, 8, 12], b: [3, 12, 5], transposeA: false, transposeB: false, bias: [5], activation: 'relu' },
  { a: [3, 12, 8], b: [3, 5, 12], transposeA: true, transposeB: true, bias: [5], activation: 'leakyrelu' },
  { a: [3, 8, 12], b: [3, 12, 5], transposeA: false, transposeB: false, bias: [5], activation: 'prelu', prelu: [5] },
  { a: [1, 8, 12], b: [3, 12, 5], transposeA: false, transposeB: false, bias: [5], activation: 'sigmoid' },
];

const label = (c: Case) => `[${c.a}]${c.transposeA ? 'ᵀ' : ''} x [${c.b}]${c.transposeB ? 'ᵀ' : ''} + bias [${c.bias ?? ''}] ${c.activation}`;

function fusedMatMul(c: Case): tf.Tensor {
  return tf.fused.matMul({
    a: seededTensor(c.a, 1),
    b: seededTensor(c.b, 2),
    transposeA: c.transposeA,
    transposeB: c.transposeB,
    bias: c.bias ? seededTensor(c.bias, 3) : undefined,
    activation: c.activation,
    preluActivationWeights: c.prelu ? seededTensor(c.prelu, 4) : undefined,
    leakyreluAlpha: 0.1,
  });
}

describe('wasm _FusedMatMul', () => {
  beforeAll(() => useBackend('wasm'));

  it.each(cases.map((c) => [label(c), c] as const))('%s matches cpu', async (_, c) => {
    await expectWasmMatchesCpu(() => fusedMatMul(c));
  });

  it('leaves no tensors or backend buffers behind', async () => {
    await useBackend('wasm');
    const c = cases[3]!;
    tf.tidy(() => void fusedMatMul(c));
    const before = liveCounts();
    for (let i = 0; i < 3; i++) tf.tidy(() => void fusedMatMul(c));
    expect(liveCounts()).toEqual(before);
  });
});
