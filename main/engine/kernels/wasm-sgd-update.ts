/**
 * SgdUpdate (sgd-update.ts) for wasm: w − lr·(g + decay·w) in one SIMD pass over the
 * backend's heap. The stock route takes two tfjs kernels (Multiply, Sub; four with weight
 * decay), each with its own tensor and dispatch: for the MLP's 235k weights 0.26 ms per
 * update instead of 0.11 (0.55 instead of 0.13 with decay; docs/benchmarks.md).
 *
 * Every element goes through the float32 operations of the stock route in the same order,
 * none fused (decay·w, then g + that, then ·lr, then w − that; without decay, g·lr and
 * w − that), so the weights are bit for bit the stock route's. Where the module cannot run
 * on the heap (a shared, threaded build) the same operations run as a scalar loop in JS:
 * each rounded to float32 from double, which gives the float32 result exactly (double's 53
 * bits are more than twice float32's 24, so the two roundings never differ from one).
 */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { FastKernel } from './fast-kernel';
import { wasmHeapOf } from './gemm/backend-heap';
import { Code, encodeModule, f32, i32, v128, type ValType } from './gemm/wasm-emitter';
import { wasmApi, type WasmModule } from './gemm/wasm-api';
import { requireInput } from './kernel-scope';
import { SgdUpdate, type SgdUpdateAttrs } from './sgd-update';

type Update = (w: number, g: number, out: number, n: number, lr: number, decay: number) => void;

/**
 * update(w, g, out, n, lr, decay): n floats at byte addresses w, g → out, four lanes at a time,
 * then the last n mod 4 one by one. `withDecay` picks the body.
 */
function updateFunction(withDecay: boolean): Code {
  const [w, g, out, n, lr, decay] = [0, 1, 2, 3, 4, 5];
  const code = new Code(6);
  const at = code.local(i32);
  const vectorEnd = code.local(i32);
  const end = code.local(i32);
  const lrs = code.local(v128);
  const decays = code.local(v128);
  const ws = code.local(v128);
  const wOne = code.local(f32);
  code.get(lr).f32x4Splat().set(lrs);
  code.get(decay).f32x4Splat().set(decays);
  code.get(n).i32Const(4).i32Mul().set(end);
  code.get(n).i32Const(-4).i32And().i32Const(4).i32Mul().set(vectorEnd);
  // four lanes at a time
  code.block().loop();
  code.get(at).get(vectorEnd).i32GeS().brIf(1);
  code.get(out).get(at).i32Add();
  code.get(w).get(at).i32Add().v128Load().tee(ws);
  code.get(g).get(at).i32Add().v128Load();
  if (withDecay) code.get(ws).get(decays).f32x4Mul().f32x4Add();
  code.get(lrs).f32x4Mul().f32x4Sub().v128Store();
  code.get(at).i32Const(16).i32Add().set(at).br(0);
  code.end().end();
  // the rest, one at a time
  code.block().loop();
  code.get(at).get(end).i32GeS().brIf(1);
  code.get(out).get(at).i32Add();
  code.get(w).get(at).i32Add().f32Load().tee(wOne);
  code.get(g).get(at).i32Add().f32Load();
  if (withDecay) code.get(wOne).get(decay).f32Mul().f32Add();
  code.get(lr).f32Mul().f32Sub().f32Store();
  code.get(at).i32Const(4).i32Add().set(at).br(0);
  code.end().end();
  return code;
}

let compiled: WasmModule | null | undefined;

/** The module (plain SIMD128), or null where the engine rejects it. */
function updateModule(): WasmModule | null {
  if (compiled === undefined) {
    const params: ValType[] = [i32, i32, i32, i32, f32, f32];
    const bytes = encodeModule([
      { params, results: [], code: updateFunction(false), exportName: 'update' },
      { params, results: [], code: updateFunction(true), exportName: 'updateWithDecay' },
    ]);
    compiled = wasmApi.validate(bytes) ? new wasmApi.Module(bytes) : null;
  }
  return compiled;
}

// per emscripten instance, like the GEMM's
const instances = new WeakMap<object, { update: Update; updateWithDecay: Update } | null>();

function updatesOn(backend: BackendWasm): { update: Update; updateWithDecay: Update } | null {
  let found = instances.get(backend.wasm);
  if (found === undefined) {
    const heap = wasmHeapOf(backend);
    const module = updateModule();
    const exports = heap && module ? new wasmApi.Instance(module, { env: { memory: heap.memory } }).exports : null;
    found = exports ? { update: exports.update as Update, updateWithDecay: exports.updateWithDecay as Update } : null;
    instances.set(backend.wasm, found);
  }
  return found;
}

/** The update as a scalar loop, every operation rounded to float32 (the fallback; exported for its test). */
export function sgdUpdateScalar(w: Float32Array, g: Float32Array, out: Float32Array, lr: number, decay: number): void {
  const lr32 = Math.fround(lr);
  const decay32 = Math.fround(decay);
  for (let i = 0; i < w.length; i++) {
    const d = decay > 0 ? Math.fround(g[i]! + Math.fround(w[i]! * decay32)) : g[i]!;
    out[i] = w[i]! - Math.fround(d * lr32);
  }
}

export const wasmSgdUpdate: FastKernel = {
  kernelName: SgdUpdate,
  backendNames: ['wasm'],
  build(): KernelFunc {
    return ({ inputs, backend, attrs }) => {
      const w = requireInput(inputs, 'w', SgdUpdate);
      const g = requireInput(inputs, 'g', SgdUpdate);
      const { lr, decay } = attrs as unknown as SgdUpdateAttrs;
      const size = w.shape.reduce((a, b) => a * b, 1);
      if (w.dtype !== 'float32' || g.dtype !== 'float32' || g.shape.reduce((a, b) => a * b, 1) !== size) {
        throw new Error(`${SgdUpdate}: w and g must be float32 of one size, got ${w.dtype} [${w.shape}] and ${g.dtype} [${g.shape}]`);
      }
      const wasm = backend as unknown as BackendWasm;
      const out: TensorInfo = wasm.makeOutput(w.shape, 'float32');
      const updates = updatesOn(wasm);
      if (!updates) {
        const view = (t: TensorInfo): Float32Array => wasm.typedArrayFromHeap(t) as Float32Array;
        sgdUpdateScalar(view(w), view(g), view(out), lr, decay);
        return out;
      }
      // offsets after the allocation: they stay valid when the heap grows
      const run = decay > 0 ? updates.updateWithDecay : updates.update;
      run(wasm.getMemoryOffset(w.dataId), wasm.getMemoryOffset(g.dataId), wasm.getMemoryOffset(out.dataId), size, lr, decay);
      return out;
    };
  },
};
