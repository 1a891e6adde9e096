/**
 * relu's gradient dy · step(y) (relu-grad-kernel.ts) for wasm as one SIMD pass, in place of
 * the stock Step and Multiply: two kernels, a [B, …] intermediate and two passes. On the CNN's
 * first layer ([128, 28, 28, 16]) the two took 2.7 ms of an 87 ms step (docs/benchmarks.md).
 *
 * The same float32 operation as the stock pair: dy times 1, 0 or NaN (step of NaN is NaN, of
 * a subnormal above 0 is 1, as wasm's and cpu's Step have it), so every bit is theirs:
 * dy · 0 keeps dy's sign (−0) and is NaN for an infinite or NaN dy.
 */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { KernelFunc } from '@tensorflow/tfjs-core';
import type { FastKernel } from './fast-kernel';
import { HeapModule } from './gemm/backend-heap';
import { Code, encodeModule, f32, i32, v128 } from './gemm/wasm-emitter';
import { composeKernel, requireInput } from './kernel-scope';
import { ReluGrad } from './relu-grad-kernel';

/** (dy, y, out, n): byte addresses and a count of floats */
type ReluGradFn = (dy: number, y: number, out: number, n: number) => void;

function reluGradFunction(): Code {
  const [dy, y, out, n] = [0, 1, 2, 3];
  const code = new Code(4);
  const [at, vectorEnd, end] = [code.local(i32), code.local(i32), code.local(i32)];
  const [one, zero, nan, yv] = [code.local(v128), code.local(v128), code.local(v128), code.local(v128)];
  const ys = code.local(f32);
  code.f32Const(1).f32x4Splat().set(one);
  code.f32Const(0).f32x4Splat().set(zero);
  code.f32Const(Number.NaN).f32x4Splat().set(nan);
  code.get(n).i32Const(4).i32Mul().set(end);
  code.get(n).i32Const(-4).i32And().i32Const(4).i32Mul().set(vectorEnd);
  // four at a time: out = dy · (y ≠ y ? NaN : y > 0 ? 1 : 0)
  code.block().loop();
  code.get(at).get(vectorEnd).i32GeS().brIf(1);
  code.get(y).get(at).i32Add().v128Load().set(yv);
  code.get(out).get(at).i32Add();
  code.get(dy).get(at).i32Add().v128Load();
  code.get(nan);
  code.get(one).get(zero).get(yv).get(zero).f32x4Gt().v128Bitselect();
  code.get(yv).get(yv).f32x4Ne().v128Bitselect();
  code.f32x4Mul().v128Store();
  code.get(at).i32Const(16).i32Add().set(at).br(0);
  code.end().end();
  // the rest one at a time
  code.block().loop();
  code.get(at).get(end).i32GeS().brIf(1);
  code.get(y).get(at).i32Add().f32Load().set(ys);
  code.get(out).get(at).i32Add();
  code.get(dy).get(at).i32Add().f32Load();
  code.f32Const(Number.NaN);
  code.f32Const(1).f32Const(0).get(ys).f32Const(0).f32Gt().select();
  code.get(ys).get(ys).f32Ne().select();
  code.f32Mul().f32Store();
  code.get(at).i32Const(4).i32Add().set(at).br(0);
  code.end().end();
  return code;
}

const reluGradModule = new HeapModule(() => encodeModule([{ params: [i32, i32, i32, i32], results: [], code: reluGradFunction(), exportName: 'reluGrad' }]));

/** Whether the module compiles here (the kernel runs the stock Step and Multiply otherwise; tests check it does). */
export function reluGradCompiles(): boolean {
  return reluGradModule.module() !== null;
}

let stockOnly = false;

/** Tests: run the stock Step and Multiply inside the kernel, as where the module cannot run (true), or the module (false, the default). */
export function forceStockReluGrad(on: boolean): void {
  stockOnly = on;
}

export const wasmReluGrad: FastKernel = {
  kernelName: ReluGrad,
  backendNames: ['wasm'],
  build(): KernelFunc {
    return ({ inputs, backend }) => {
      const dy = requireInput(inputs, 'dy', ReluGrad);
      const y = requireInput(inputs, 'y', ReluGrad);
      if (dy.dtype !== 'float32' || y.dtype !== 'float32' || dy.shape.length !== y.shape.length || dy.shape.some((d, i) => d !== y.shape[i])) {
        throw new Error(`${ReluGrad}: expected float32 dy and y of one shape, got ${dy.dtype} [${dy.shape}] and ${y.dtype} [${y.shape}]`);
      }
      const wasm = backend as unknown as BackendWasm;
      const fn = stockOnly ? undefined : (reluGradModule.exportsOn(wasm)?.reluGrad as ReluGradFn | undefined);
      // where the module cannot run, the stock pair it stands in for
      if (!fn) return composeKernel(backend, 'wasm', (scope) => scope.run('Multiply', { a: dy, b: scope.run('Step', { x: y }, { alpha: 0 }) }));
      const out = wasm.makeOutput(dy.shape, 'float32');
      // offsets after the allocation: they stay valid when the heap grows
      fn(wasm.getMemoryOffset(dy.dataId), wasm.getMemoryOffset(y.dataId), wasm.getMemoryOffset(out.dataId), dy.shape.reduce((a, b) => a * b, 1));
      return out;
    };
  },
};
