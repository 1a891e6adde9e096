import * as tf from '@tensorflow/tfjs-core';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectWasmMatchesCpu, liveCounts, seededTensor, useBackend } from './backends';
import { convCases, label, type ConvCase } from './conv-cases';
import { gemmProductCount } from '../../../main/engine/kernels/gemm/gemm-module';

const run = promisify(execFile);

function filterGradient(c: ConvCase, dataFormat: 'NHWC' | 'NCHW' = 'NHWC'): tf.Tensor {
  const info = tf.backend_util.computeConv2DInfo(c.x, c.filter, c.strides, 1, c.pad, c.dimRoundingMode);
  const toFormat = (shape: number[]) => (dataFormat === 'NHWC' ? shape : [shape[0]!, shape[3]!, shape[1]!, shape[2]!]);
  const x = seededTensor(toFormat(c.x), 1);
  const dy = seededTensor(toFormat(info.outShape), 2);
  const pad = dataFormat === 'NCHW' && Array.isArray(c.pad) ? [c.pad[0], c.pad[3], c.pad[1], c.pad[2]] : c.pad;
  return tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, {
    strides: c.strides,
    pad,
    dataFormat,
    dimRoundingMode: c.dimRoundingMode,
    filterShape: c.filter,
  } as unknown as tf.NamedAttrMap) as tf.Tensor;
}

describe('wasm Conv2DBackpropFilter', () => {
  beforeAll(() => useBackend('wasm'));

  it('exists on wasm once the fast kernels are registered', async () => {
    await useBackend('wasm');
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
  });

  it.each(convCases.map((c) => [label(c), c] as const))('%s matches cpu', async (_, c) => {
    await expectWasmMatchesCpu(() => filterGradient(c));
  });

  const nchwCases = [convCases[3]!, convCases.find((c) => Array.isArray(c.pad) && c.strides === 2)!];

  it.each(nchwCases.map((c) => [label(c), c] as const))('NCHW: %s matches cpu', async (_, c) => {
    await expectWasmMatchesCpu(() => filterGradient(c, 'NCHW'));
  });

  it('names the mismatch when dy does not fit the convolution', async () => {
    await useBackend('wasm');
    const x = tf.zeros([1, 8, 8, 2]);
    const dy = tf.zeros([1, 7, 7, 3]);
    expect(() =>
      tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 2, 3] }),
    ).toThrow(/dy has shape \[1,7,7,3\] but the convolution implies \[1,8,8,3\]/);
    tf.dispose([x, dy]);
  });

  // the in-place GEMM: one product per image and filter row
  const stride1Cases = convCases.filter((c) => c.strides === 1 && !(c.filter[0] === 1 && c.filter[1] === 1));

  it.each(stride1Cases.map((c) => [label(c), c] as const))('%s runs through the GEMM with x in place', async (_, c) => {
    await useBackend('wasm');
    const before = gemmProductCount();
    tf.tidy(() => void filterGradient(c).dataSync());
    expect(gemmProductCount() - before).toBe(c.x[0] * c.filter[0]);
  });

  it('gives the same bits wherever its operands lie on the heap', async () => {
    await useBackend('wasm');
    const c = convCases[1]!;
    const first = tf.tidy(() => filterGradient(c).dataSync() as Float32Array);
    const shift = tf.zeros([12345]); // moves the next allocations
    const second = tf.tidy(() => filterGradient(c).dataSync() as Float32Array);
    shift.dispose();
    expect(new Uint32Array(second.buffer, second.byteOffset, second.length)).toEqual(new Uint32Array(first.buffer, first.byteOffset, first.length));
  });

  it('with BATCHSCOPE_WASM_GEMM=off takes the composed routes and still matches cpu', async () => {
    const { stdout } = await run(process.execPath, ['bin/run-ts.mjs', 'tests/engine/kernels/fixtures/filter-gradient-child.ts'], {
      env: { ...process.env, BATCHSCOPE_WASM_GEMM: 'off', BATCHSCOPE_RELAXED_SIMD: '' },
      timeout: 60_000,
    });
    const outcome = JSON.parse(stdout.trim().split('\n').at(-1)!) as { ok: boolean; mode: string; gemmProducts: number; shape: number[]; relativeError: number };
    expect(outcome).toMatchObject({ ok: true, mode: 'off', gemmProducts: 0, shape: [5, 3, 4, 6] });
    expect(outcome.relativeError).toBeLessThanOrEqual(1e-4);
  }, 90_000);

  // one case per path: the in-place GEMM (stride 1), the swapped convolution (strided), 1x1
  const pathCases = [convCases[0]!, convCases[3]!, convCases[4]!];

  it.each(pathCases.map((c) => [label(c), c] as const))('%s leaves no tensors or backend buffers behind', async (_, c) => {
    await useBackend('wasm');
    tf.tidy(() => void filterGradient(c));
    const before = liveCounts();
    for (let i = 0; i < 3; i++) tf.tidy(() => void filterGradient(c));
    expect(liveCounts()).toEqual(before);
  });
});
