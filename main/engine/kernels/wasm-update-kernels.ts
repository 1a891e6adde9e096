/**
 * SgdUpdate, MomentumUpdate and AdamUpdate (update-kernels.ts) for wasm: one SIMD pass over
 * the backend's heap per parameter. The stock route takes a tfjs kernel per operation (SGD:
 * Multiply, Sub; momentum: Multiply, Add, Multiply, Sub; LARS: Multiply, Multiply, Add, Sub;
 * two or three more with decay or Nesterov), each with its own tensor and dispatch: for the MLP's 235k weights an SGD update
 * takes 0.26 ms that way and 0.11 ms here (0.55 and 0.13 with decay; docs/benchmarks.md).
 *
 * Every element goes through the float32 operations of the stock route in its order, none
 * fused, so weights and buffers are bit for bit the stock route's:
 *   d = decay > 0 ? g + w·decay : g
 *   SGD:         w ← w − d·lr
 *   heavy ball:  v ← v·μ + d,     w ← w − v·lr
 *   Nesterov:    v ← v·μ + d,     w ← w − (d + v·μ)·lr
 *   LARS:        v ← v·μ + d·lr,  w ← w − v   (lr the layer's local rate)
 *   Adam(W):     adam.ts's step, ÷ and √ included (both exact in float32); LAMB: its moments
 *                and step u, the update w − η_l·u then being SgdUpdate's
 * Where the module cannot run on the heap (a shared, threaded build) the same operations
 * run as a scalar loop in JS, each rounded to float32 from double: that gives the float32
 * result exactly (double's 53 bits are more than twice float32's 24).
 */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { FastKernel } from './fast-kernel';
import { wasmHeapOf } from './gemm/backend-heap';
import { Code, encodeModule, f32, i32, v128, type ValType } from './gemm/wasm-emitter';
import { wasmApi, type WasmModule } from './gemm/wasm-api';
import { requireInput } from './kernel-scope';
import { AdamUpdate, MomentumUpdate, SgdUpdate, type AdamUpdateAttrs, type MomentumForm, type UpdateAttrs } from './update-kernels';

/** Which update a function computes. */
interface Variant {
  form: 'sgd' | MomentumForm;
  decay: boolean;
}

const VARIANTS: Variant[] = (['sgd', 'heavy-ball', 'nesterov', 'lars'] as const).flatMap((form) => [false, true].map((decay) => ({ form, decay })));

const variantName = (v: Variant): string => `${v.form}${v.decay ? '-decay' : ''}`;

/** (w, g, v, wOut, vOut, n, lr, mu, decay): byte addresses, a count of floats, three rates */
type UpdateFn = (w: number, g: number, v: number, wOut: number, vOut: number, n: number, lr: number, mu: number, decay: number) => void;
const PARAMS: ValType[] = [i32, i32, i32, i32, i32, i32, f32, f32, f32];

/**
 * The variant's function: four lanes at a time, then the last n mod 4 one by one, the same
 * operations in both (`lanes` picks the instructions).
 */
function updateFunction(variant: Variant): Code {
  const [w, g, v, wOut, vOut, n, lr, mu, decay] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const code = new Code(PARAMS.length);
  const at = code.local(i32);
  const vectorEnd = code.local(i32);
  const end = code.local(i32);
  const splats = { lr: code.local(v128), mu: code.local(v128), decay: code.local(v128) };
  code.get(lr).f32x4Splat().set(splats.lr);
  code.get(mu).f32x4Splat().set(splats.mu);
  code.get(decay).f32x4Splat().set(splats.decay);
  code.get(n).i32Const(4).i32Mul().set(end);
  code.get(n).i32Const(-4).i32And().i32Const(4).i32Mul().set(vectorEnd);
  for (const lanes of ['vector', 'scalar'] as const) {
    const vector = lanes === 'vector';
    const type = vector ? v128 : f32;
    const [ws, ds, vs] = [code.local(type), code.local(type), code.local(type)];
    const load = (base: number): Code => (code.get(base).get(at).i32Add(), vector ? code.v128Load() : code.f32Load());
    const store = (): Code => (vector ? code.v128Store() : code.f32Store());
    const mul = (): Code => (vector ? code.f32x4Mul() : code.f32Mul());
    const add = (): Code => (vector ? code.f32x4Add() : code.f32Add());
    const sub = (): Code => (vector ? code.f32x4Sub() : code.f32Sub());
    const rate = (r: 'lr' | 'mu' | 'decay'): Code => code.get(vector ? splats[r] : { lr, mu, decay }[r]);
    code.block().loop();
    code.get(at).get(vector ? vectorEnd : end).i32GeS().brIf(1);
    load(w).set(ws);
    // d = g (+ w·decay)
    load(g);
    if (variant.decay) (code.get(ws), rate('decay'), mul(), add());
    code.set(ds);
    if (variant.form !== 'sgd') {
      // v ← v·μ + d (LARS: + d·lr), stored
      code.get(vOut).get(at).i32Add();
      load(v);
      rate('mu');
      mul();
      code.get(ds);
      if (variant.form === 'lars') (rate('lr'), mul());
      add();
      code.tee(vs);
      store();
    }
    // w ← w − direction·lr, the direction d, v or d + v·μ; LARS: w ← w − v
    code.get(wOut).get(at).i32Add().get(ws);
    if (variant.form === 'lars') code.get(vs);
    else {
      if (variant.form === 'nesterov') (code.get(ds), code.get(vs), rate('mu'), mul(), add());
      else code.get(variant.form === 'heavy-ball' ? vs : ds);
      rate('lr');
      mul();
    }
    sub();
    store();
    code.get(at).i32Const(vector ? 16 : 4).i32Add().set(at).br(0);
    code.end().end();
  }
  return code;
}

/** Which Adam step a function computes: AdamW's decay is decoupled, Adam's coupled (none when it is 0). */
interface AdamVariant {
  decay: 'none' | 'coupled' | 'decoupled';
  /** store the step u in place of w − u·lr (LAMB) */
  direction: boolean;
}

const ADAM_VARIANTS: AdamVariant[] = [false, true].flatMap((direction) => (['none', 'coupled', 'decoupled'] as const).map((decay) => ({ decay, direction })));

const adamName = (v: AdamVariant): string => `adam-${v.decay}${v.direction ? '-direction' : ''}`;

/**
 * (w, g, m, v, wOut, mOut, vOut, n, lr, β1, 1−β1, β2, 1−β2, 1−β1^t, 1−β2^t, ε, decay): byte
 * addresses, a count of floats, the rates (each rounded to float32 as tfjs rounds its scalars)
 */
type AdamFn = (...args: number[]) => void;
const ADAM_PARAMS: ValType[] = [i32, i32, i32, i32, i32, i32, i32, i32, f32, f32, f32, f32, f32, f32, f32, f32, f32];

/**
 * adam.ts's step: g' = g (+ w·λ, coupled), m ← m·β1 + g'·(1−β1), v ← v·β2 + (g'·g')·(1−β2),
 * u = (m / c1) / (√(v / c2) + ε) (+ w·λ, decoupled), w ← w − u·lr; lanes then the rest.
 */
function adamFunction(variant: AdamVariant): Code {
  const [w, g, m, v, wOut, mOut, vOut, n] = [0, 1, 2, 3, 4, 5, 6, 7];
  const names = ['lr', 'beta1', 'oneMinusBeta1', 'beta2', 'oneMinusBeta2', 'correction1', 'correction2', 'epsilon', 'decay'] as const;
  const param = Object.fromEntries(names.map((name, i) => [name, 8 + i])) as Record<(typeof names)[number], number>;
  const code = new Code(ADAM_PARAMS.length);
  const at = code.local(i32);
  const vectorEnd = code.local(i32);
  const end = code.local(i32);
  const splats = Object.fromEntries(names.map((name) => [name, code.local(v128)])) as Record<(typeof names)[number], number>;
  for (const name of names) code.get(param[name]).f32x4Splat().set(splats[name]);
  code.get(n).i32Const(4).i32Mul().set(end);
  code.get(n).i32Const(-4).i32And().i32Const(4).i32Mul().set(vectorEnd);
  for (const lanes of ['vector', 'scalar'] as const) {
    const vector = lanes === 'vector';
    const type = vector ? v128 : f32;
    const [ws, gs, ms, vs] = [code.local(type), code.local(type), code.local(type), code.local(type)];
    const load = (base: number): Code => (code.get(base).get(at).i32Add(), vector ? code.v128Load() : code.f32Load());
    const store = (): Code => (vector ? code.v128Store() : code.f32Store());
    const address = (base: number): Code => code.get(base).get(at).i32Add();
    const op = {
      mul: (): Code => (vector ? code.f32x4Mul() : code.f32Mul()),
      add: (): Code => (vector ? code.f32x4Add() : code.f32Add()),
      sub: (): Code => (vector ? code.f32x4Sub() : code.f32Sub()),
      div: (): Code => (vector ? code.f32x4Div() : code.f32Div()),
      sqrt: (): Code => (vector ? code.f32x4Sqrt() : code.f32Sqrt()),
    };
    const rate = (r: (typeof names)[number]): Code => code.get(vector ? splats[r] : param[r]);
    const plusDecayedW = (): void => void (code.get(ws), rate('decay'), op.mul(), op.add());
    code.block().loop();
    code.get(at).get(vector ? vectorEnd : end).i32GeS().brIf(1);
    load(w).set(ws);
    load(g);
    if (variant.decay === 'coupled') plusDecayedW();
    code.set(gs);
    // m ← m·β1 + g·(1−β1)
    address(mOut);
    load(m);
    rate('beta1');
    op.mul();
    code.get(gs);
    rate('oneMinusBeta1');
    op.mul();
    op.add();
    code.tee(ms);
    store();
    // v ← v·β2 + (g·g)·(1−β2)
    address(vOut);
    load(v);
    rate('beta2');
    op.mul();
    code.get(gs).get(gs);
    op.mul();
    rate('oneMinusBeta2');
    op.mul();
    op.add();
    code.tee(vs);
    store();
    // w ← w − ((m / c1) / (√(v / c2) + ε) (+ w·λ))·lr, or (direction) that step itself
    address(wOut);
    if (!variant.direction) code.get(ws);
    code.get(ms);
    rate('correction1');
    op.div();
    code.get(vs);
    rate('correction2');
    op.div();
    op.sqrt();
    rate('epsilon');
    op.add();
    op.div();
    if (variant.decay === 'decoupled') plusDecayedW();
    if (!variant.direction) (rate('lr'), op.mul(), op.sub());
    store();
    code.get(at).i32Const(vector ? 16 : 4).i32Add().set(at).br(0);
    code.end().end();
  }
  return code;
}

let compiled: WasmModule | null | undefined;

/** The module (plain SIMD128), or null where the engine rejects it. */
function updateModule(): WasmModule | null {
  if (compiled === undefined) {
    const bytes = encodeModule([
      ...VARIANTS.map((variant) => ({ params: PARAMS, results: [], code: updateFunction(variant), exportName: variantName(variant) })),
      ...ADAM_VARIANTS.map((variant) => ({ params: ADAM_PARAMS, results: [], code: adamFunction(variant), exportName: adamName(variant) })),
    ]);
    compiled = wasmApi.validate(bytes) ? new wasmApi.Module(bytes) : null;
  }
  return compiled;
}

// per emscripten instance, like the GEMM's
const instances = new WeakMap<object, Record<string, unknown> | null>();

function updatesOn(backend: BackendWasm): Record<string, unknown> | null {
  let found = instances.get(backend.wasm);
  if (found === undefined) {
    const heap = wasmHeapOf(backend);
    const module = updateModule();
    found = heap && module ? new wasmApi.Instance(module, { env: { memory: heap.memory } }).exports : null;
    instances.set(backend.wasm, found);
  }
  return found;
}

let scalarOnly = false;

/** For tests: the kernels take their scalar fallback even where the SIMD module runs. */
export function forceScalarUpdates(on: boolean): void {
  scalarOnly = on;
}

/**
 * The update as a scalar loop, every operation rounded to float32 (the fallback; exported
 * for its test). `v` and `vOut` are read and written only for momentum.
 */
export function updateScalar(variant: Variant, w: Float32Array, g: Float32Array, v: Float32Array | null, wOut: Float32Array, vOut: Float32Array | null, attrs: UpdateAttrs): void {
  const [lr, mu, decay] = [attrs.lr, attrs.momentum ?? 0, attrs.decay].map(Math.fround) as [number, number, number];
  const f = Math.fround;
  for (let i = 0; i < w.length; i++) {
    const d = variant.decay ? f(g[i]! + f(w[i]! * decay)) : g[i]!;
    if (variant.form === 'sgd') {
      wOut[i] = w[i]! - f(d * lr);
      continue;
    }
    const vNext = f(f(v![i]! * mu) + (variant.form === 'lars' ? f(d * lr) : d));
    vOut![i] = vNext;
    if (variant.form === 'lars') wOut[i] = w[i]! - vNext;
    else wOut[i] = w[i]! - f((variant.form === 'nesterov' ? f(d + f(vNext * mu)) : vNext) * lr);
  }
}

/** The variant the attributes ask for. */
export function updateVariant(kernelName: string, attrs: UpdateAttrs): Variant {
  return { form: kernelName === MomentumUpdate ? (attrs.form ?? 'heavy-ball') : 'sgd', decay: attrs.decay > 0 };
}

const sizeOf = (t: TensorInfo): number => t.shape.reduce((a, b) => a * b, 1);

function updateKernel(kernelName: typeof SgdUpdate | typeof MomentumUpdate): FastKernel {
  const momentum = kernelName === MomentumUpdate;
  return {
    kernelName,
    backendNames: ['wasm'],
    build(): KernelFunc {
      return ({ inputs, backend, attrs }) => {
        const w = requireInput(inputs, 'w', kernelName);
        const g = requireInput(inputs, 'g', kernelName);
        const v = momentum ? requireInput(inputs, 'v', kernelName) : null;
        const inputsOf = [w, g, ...(v ? [v] : [])];
        if (inputsOf.some((t) => t.dtype !== 'float32' || sizeOf(t) !== sizeOf(w))) {
          throw new Error(`${kernelName}: inputs must be float32 of one size, got ${inputsOf.map((t) => `${t.dtype} [${t.shape}]`).join(', ')}`);
        }
        const options = attrs as unknown as UpdateAttrs;
        const variant = updateVariant(kernelName, options);
        const wasm = backend as unknown as BackendWasm;
        const wOut: TensorInfo = wasm.makeOutput(w.shape, 'float32');
        const vOut: TensorInfo | null = v ? wasm.makeOutput(v.shape, 'float32') : null;
        const updates = scalarOnly ? null : updatesOn(wasm);
        if (updates) {
          // offsets after the allocations: they stay valid when the heap grows
          const at = (t: TensorInfo | null): number => (t ? wasm.getMemoryOffset(t.dataId) : 0);
          (updates[variantName(variant)] as UpdateFn)(at(w), at(g), at(v), at(wOut), at(vOut), sizeOf(w), options.lr, options.momentum ?? 0, options.decay);
        } else {
          const view = (t: TensorInfo | null): Float32Array | null => (t ? (wasm.typedArrayFromHeap(t) as Float32Array) : null);
          updateScalar(variant, view(w)!, view(g)!, view(v), view(wOut)!, view(vOut), options);
        }
        return vOut ? [wOut, vOut] : wOut;
      };
    },
  };
}

export const wasmSgdUpdate = updateKernel(SgdUpdate);
export const wasmMomentumUpdate = updateKernel(MomentumUpdate);

/**
 * Adam's step as a scalar loop, every operation rounded to float32 (the fallback; exported for
 * its test). Rounding √ and ÷ from double is exact too.
 */
export function adamScalar(
  variant: AdamVariant,
  [w, g, m, v]: Float32Array[],
  [wOut, mOut, vOut]: Float32Array[],
  attrs: AdamUpdateAttrs,
): void {
  const f = Math.fround;
  const [lr, beta1, oneMinusBeta1, beta2, oneMinusBeta2, c1, c2, epsilon, decay] = adamRates(attrs).map(f) as number[];
  for (let i = 0; i < w!.length; i++) {
    const wi = w![i]!;
    const gi = variant.decay === 'coupled' ? f(g![i]! + f(wi * decay!)) : g![i]!;
    const mi = f(f(m![i]! * beta1!) + f(gi * oneMinusBeta1!));
    const vi = f(f(v![i]! * beta2!) + f(f(gi * gi) * oneMinusBeta2!));
    mOut![i] = mi;
    vOut![i] = vi;
    let u = f(f(mi / c1!) / f(f(Math.sqrt(f(vi / c2!))) + epsilon!));
    if (variant.decay === 'decoupled') u = f(u + f(wi * decay!));
    wOut![i] = variant.direction ? u : wi - f(u * lr!);
  }
}

/** The rates in ADAM_PARAMS order, as doubles (1 − β1 and 1 − β2 computed as adam.ts computes them). */
function adamRates(a: AdamUpdateAttrs): number[] {
  return [a.lr, a.beta1, 1 - a.beta1, a.beta2, 1 - a.beta2, a.correction1, a.correction2, a.epsilon, a.decay];
}

export function adamVariant(attrs: AdamUpdateAttrs): AdamVariant {
  return { decay: attrs.decay > 0 ? (attrs.decoupled ? 'decoupled' : 'coupled') : 'none', direction: attrs.direction === true };
}

export const wasmAdamUpdate: FastKernel = {
  kernelName: AdamUpdate,
  backendNames: ['wasm'],
  build(): KernelFunc {
    return ({ inputs, backend, attrs }) => {
      const ins = (['w', 'g', 'm', 'v'] as const).map((name) => requireInput(inputs, name, AdamUpdate));
      if (ins.some((t) => t.dtype !== 'float32' || sizeOf(t) !== sizeOf(ins[0]!))) {
        throw new Error(`${AdamUpdate}: inputs must be float32 of one size, got ${ins.map((t) => `${t.dtype} [${t.shape}]`).join(', ')}`);
      }
      const options = attrs as unknown as AdamUpdateAttrs;
      const variant = adamVariant(options);
      const wasm = backend as unknown as BackendWasm;
      const outs: TensorInfo[] = [0, 2, 3].map((i) => wasm.makeOutput(ins[i]!.shape, 'float32'));
      const updates = scalarOnly ? null : updatesOn(wasm);
      if (updates) {
        // offsets after the allocations: they stay valid when the heap grows
        const at = (t: TensorInfo): number => wasm.getMemoryOffset(t.dataId);
        (updates[adamName(variant)] as AdamFn)(...ins.map(at), ...outs.map(at), sizeOf(ins[0]!), ...adamRates(options));
      } else {
        const view = (t: TensorInfo): Float32Array => wasm.typedArrayFromHeap(t) as Float32Array;
        adamScalar(variant, ins.map(view), outs.map(view), options);
      }
      return outs;
    };
  },
};
