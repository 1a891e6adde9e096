/**
 * Shared set-up for the kernel tests: the cpu backend's stock kernels are the
 * reference, wasm runs with Batchscope's fast kernels registered.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { expect } from 'vitest';
import { registerFastKernels } from '../../../main/engine/kernels/register';

export type BackendName = 'cpu' | 'wasm';

export async function useBackend(name: BackendName): Promise<void> {
  if (tf.getBackend() !== name) await tf.setBackend(name);
  if (name === 'wasm') registerFastKernels('wasm');
}

/** Deterministic values in [-1, 1) (a 32-bit LCG), so both backends see identical inputs. */
export function seededValues(size: number, seed: number): Float32Array {
  const out = new Float32Array(size);
  let state = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = state / 2 ** 31 - 1;
  }
  return out;
}

export function seededTensor(shape: number[], seed: number): tf.Tensor {
  return tf.tensor(seededValues(shape.reduce((a, b) => a * b, 1), seed), shape);
}

export interface Computed {
  values: Float32Array;
  shape: number[];
}

/** Runs `compute` on a backend and reads the result back; everything it made is disposed. */
export async function computeOn(name: BackendName, compute: () => tf.Tensor): Promise<Computed> {
  await useBackend(name);
  const result = tf.tidy(compute);
  const computed = { values: result.dataSync() as Float32Array, shape: result.shape };
  result.dispose();
  return computed;
}

/** Same shape, and max |actual - expected| <= tolerance * max(1, max |expected|). */
export function expectClose(actual: Computed, expected: Computed, tolerance = 1e-4): void {
  expect(actual.shape).toEqual(expected.shape);
  let maxError = 0;
  let scale = 1;
  for (let i = 0; i < expected.values.length; i++) {
    const e = expected.values[i]!;
    const a = actual.values[i]!;
    scale = Math.max(scale, Math.abs(e));
    maxError = Math.max(maxError, Number.isNaN(a) !== Number.isNaN(e) ? Infinity : Number.isNaN(e) ? 0 : Math.abs(a - e));
  }
  expect(maxError).toBeLessThanOrEqual(tolerance * scale);
}

/** Computes on cpu (stock kernels) and on wasm (fast kernels) and compares. */
export async function expectWasmMatchesCpu(compute: () => tf.Tensor, tolerance = 1e-4): Promise<void> {
  const expected = await computeOn('cpu', compute);
  const actual = await computeOn('wasm', compute);
  expectClose(actual, expected, tolerance);
}

/** Computes on cpu (stock kernels) and on wasm (fast kernels): the same shape and every value identical (`Object.is`: -0 is not 0, any NaN is NaN). */
export async function expectWasmEqualsCpu(compute: () => tf.Tensor): Promise<void> {
  const expected = await computeOn('cpu', compute);
  const actual = await computeOn('wasm', compute);
  expect(actual.shape).toEqual(expected.shape);
  const differing = [...expected.values.keys()].filter((i) => !Object.is(actual.values[i], expected.values[i]));
  const first = differing[0];
  expect(differing.length, first === undefined ? '' : `first at ${first}: wasm ${actual.values[first]}, cpu ${expected.values[first]}`).toBe(0);
}

/** Live tensors and live backend buffers (composed kernels' intermediates show only in the latter). */
export function liveCounts(): { tensors: number; dataIds: number } {
  return { tensors: tf.memory().numTensors, dataIds: tf.engine().backend.numDataIds() };
}

/** The four (transposeA, transposeB) settings of a matmul. */
export const transposeCombos = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
] as const;
