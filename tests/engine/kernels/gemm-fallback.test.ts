/**
 * What stays on the XNNPACK-based kernels: everything under BATCHSCOPE_WASM_GEMM=off
 * (read once per process, so each setting runs in its own child), and products the
 * GEMM does not take (a batched b, activations other than linear and relu).
 */
import * as tf from '@tensorflow/tfjs-core';
import { execFile } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { expectWasmMatchesCpu, seededTensor } from './backends';
import { gemmProductCount } from '../../../main/engine/kernels/gemm/gemm-module';
import { gemmThreadProduct, type ThreadProduct } from './fixtures/gemm-thread-product';

const run = promisify(execFile);
type Outcome = { ok: true; mode: string; gemmProducts: number; values: number[] } | { ok: false; error: string };

async function inChild(env: NodeJS.ProcessEnv): Promise<Outcome> {
  const { stdout } = await run(process.execPath, ['bin/run-ts.mjs', 'tests/engine/kernels/fixtures/gemm-mode-child.ts'], {
    env: { ...process.env, BATCHSCOPE_WASM_GEMM: '', BATCHSCOPE_RELAXED_SIMD: '', ...env },
    timeout: 60_000,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as Outcome;
}

// [[1,2],[3,4],[5,6]]ᵀ · [[1,0,-1],[2,0.5,0]]ᵀ
const expected = [-4, 3.5, -4, 6];

describe('choosing the GEMM per process', () => {
  it.each([
    [{ BATCHSCOPE_WASM_GEMM: 'off' }, 'off', false],
    [{ BATCHSCOPE_WASM_GEMM: 'plain' }, 'plain', true],
    [{ BATCHSCOPE_WASM_GEMM: 'relaxed' }, 'relaxed', true],
    [{ BATCHSCOPE_WASM_GEMM: 'auto', BATCHSCOPE_RELAXED_SIMD: '0' }, 'plain', true],
    [{ BATCHSCOPE_WASM_GEMM: 'off', BATCHSCOPE_RELAXED_SIMD: '0' }, 'off', false],
    // Node 20 validates relaxed SIMD once the flag is set, so auto picks it here
    [{}, 'relaxed', true],
  ] as const)('%o runs the %s kernel (through the GEMM: %s)', async (env, mode, gemm) => {
    const outcome = await inChild(env);
    expect(outcome).toMatchObject({ ok: true, mode });
    const { gemmProducts, values } = outcome as Extract<Outcome, { ok: true }>;
    expect(gemmProducts).toBe(gemm ? 1 : 0);
    expect(values).toEqual(expected);
  }, 90_000);

  it('names the variable and the values it takes when the setting is wrong', async () => {
    const outcome = await inChild({ BATCHSCOPE_WASM_GEMM: 'fast' });
    expect(outcome).toMatchObject({ ok: false });
    expect((outcome as { error: string }).error).toMatch(/BATCHSCOPE_WASM_GEMM='fast': expected auto, relaxed, plain or off/);
  }, 90_000);
});

describe('in a worker thread (a shard replica)', () => {
  it('the GEMM compiles there too, with the same kind, and gives the same bits', async () => {
    const here = await gemmThreadProduct();
    // the replicas' boot shim: registers tsx in the thread, then imports workerData.entry
    const boot = fileURLToPath(new URL('../../../main/engine/shards/shard-thread-boot.mjs', import.meta.url));
    const entry = pathToFileURL(fileURLToPath(new URL('./fixtures/gemm-thread.ts', import.meta.url))).href;
    const worker = new Worker(boot, { workerData: { entry } });
    try {
      const there = await new Promise<ThreadProduct>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
      expect(here.gemmProducts).toBe(1);
      expect(there).toEqual(here);
    } finally {
      await worker.terminate();
    }
  }, 90_000);
});

describe('products the GEMM leaves to the other kernels', () => {
  it.each([
    [[3, 8, 12], [3, 12, 5], false, false],
    [[3, 12, 8], [3, 5, 12], true, true],
    [[1, 8, 12], [2, 5, 12], false, true],
  ] as const)('a batched b: [%s] x [%s] (transposes %s, %s) matches cpu', async (a, b, ta, tb) => {
    const before = gemmProductCount();
    await expectWasmMatchesCpu(() => tf.matMul(seededTensor([...a], 1), seededTensor([...b], 2), ta, tb));
    expect(gemmProductCount()).toBe(before);
  });

  it.each(['sigmoid', 'elu', 'leakyrelu'] as const)('a fused %s matches cpu', async (activation) => {
    const before = gemmProductCount();
    await expectWasmMatchesCpu(() =>
      tf.fused.matMul({ a: seededTensor([9, 14], 1), b: seededTensor([14, 13], 2), bias: seededTensor([13], 3), activation, leakyreluAlpha: 0.1, transposeB: false }),
    );
    expect(gemmProductCount()).toBe(before);
  });
});
