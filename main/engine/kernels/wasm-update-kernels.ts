/**
 * SgdUpdate, MomentumUpdate and AdamUpdate (update-kernels.ts) for wasm: one SIMD pass over
 * the backend's heap per parameter. The stock route takes a tfjs kernel per operation (SGD:
 * Multiply, Sub; momentum: Multiply, Add, Multiply, Sub; LARS: Multiply, Multiply, Add, Sub;
 * Adam: fourteen; two or three more with decay or Nesterov), each with its own tensor and
 * dispatch (for the MLP's 235k weights, bench/optimizer-updates.ts and docs/benchmarks.md).
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
import type { KernelFunc, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';
import type { FastKernel } from './fast-kernel';
import { HeapModule } from './gemm/backend-heap';
import { Code, encodeModule, f32, i32, v128, type ValType } from './gemm/wasm-emitter';
import { requireInput } from './kernel-scope';
import { AdamUpdate, MomentumUpdate, SgdUpdate, type AdamUpdateAttrs, type MomentumForm, type UpdateAttrs } from './update-kernels';

/** The instructions of one lane width, four floats (v128) or one (f32), for a loop body. */
interface Lanes<R extends string> {
  /** a fresh local of the lane type */
  local(): number;
  /** pushes the lane(s) at `base` + the loop's byte offset */
  load(base: number): void;
  /** pushes `base` + the loop's byte offset, the address of a later store */
  address(base: number): void;
  store(): void;
  mul(): void;
  add(): void;
  sub(): void;
  div(): void;
  sqrt(): void;
  /** pushes a rate parameter, splat across the lanes where they are four */
  rate(name: R): void;
}

/**
 * Emits `body` twice over n floats: four lanes at a time up to n − n mod 4, then one at a
 * time to n (byte offsets from 0, i32 locals). `rates` names the function's f32 parameters.
 */
function laneLoops<R extends string>(code: Code, n: number, rates: Record<R, number>, body: (lanes: Lanes<R>) => void): void {
  const at = code.local(i32);
  const vectorEnd = code.local(i32);
  const end = code.local(i32);
  const names = Object.keys(rates) as R[];
  const splats = Object.fromEntries(names.map((name) => [name, code.local(v128)])) as Record<R, number>;
  for (const name of names) code.get(rates[name]).f32x4Splat().set(splats[name]);
  code.get(n).i32Const(4).i32Mul().set(end);
  code.get(n).i32Const(-4).i32And().i32Const(4).i32Mul().set(vectorEnd);
  for (const vector of [true, false]) {
    const lanes: Lanes<R> = {
      local: () => code.local(vector ? v128 : f32),
      load: (base) => void (vector ? code.get(base).get(at).i32Add().v128Load() : code.get(base).get(at).i32Add().f32Load()),
      address: (base) => void code.get(base).get(at).i32Add(),
      store: () => void (vector ? code.v128Store() : code.f32Store()),
      mul: () => void (vector ? code.f32x4Mul() : code.f32Mul()),
      add: () => void (vector ? code.f32x4Add() : code.f32Add()),
      sub: () => void (vector ? code.f32x4Sub() : code.f32Sub()),
      div: () => void (vector ? code.f32x4Div() : code.f32Div()),
      sqrt: () => void (vector ? code.f32x4Sqrt() : code.f32Sqrt()),
      rate: (name) => void code.get(vector ? splats[name] : rates[name]),
    };
    code.block().loop();
    code.get(at).get(vector ? vectorEnd : end).i32GeS().brIf(1);
    body(lanes);
    code.get(at).i32Const(vector ? 16 : 4).i32Add().set(at).br(0);
    code.end().end();
  }
}

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

/** The variant's function (the formulas in this file's header). */
function updateFunction(variant: Variant): Code {
  const [w, g, v, wOut, vOut, n, lr, mu, decay] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const code = new Code(PARAMS.length);
  laneLoops(code, n, { lr, mu, decay }, (x) => {
    const [ws, ds, vs] = [x.local(), x.local(), x.local()];
    x.load(w);
    code.set(ws);
    // d = g (+ w·decay)
    x.load(g);
    if (variant.decay) {
      code.get(ws);
      x.rate('decay');
      x.mul();
      x.add();
    }
    code.set(ds);
    if (variant.form !== 'sgd') {
      // v ← v·μ + d (LARS: + d·lr), stored
      x.address(vOut);
      x.load(v);
      x.rate('mu');
      x.mul();
      code.get(ds);
      if (variant.form === 'lars') {
        x.rate('lr');
        x.mul();
      }
      x.add();
      code.tee(vs);
      x.store();
    }
    // w ← w − direction·lr, the direction d, v or d + v·μ; LARS: w ← w − v
    x.address(wOut);
    code.get(ws);
    if (variant.form === 'lars') code.get(vs);
    else {
      if (variant.form === 'nesterov') {
        code.get(ds).get(vs);
        x.rate('mu');
        x.mul();
        x.add();
      } else code.get(variant.form === 'heavy-ball' ? vs : ds);
      x.rate('lr');
      x.mul();
    }
    x.sub();
    x.store();
  });
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
const ADAM_RATES = ['lr', 'beta1', 'oneMinusBeta1', 'beta2', 'oneMinusBeta2', 'correction1', 'correction2', 'epsilon', 'decay'] as const;
const ADAM_PARAMS: ValType[] = [...Array<ValType>(8).fill(i32), ...ADAM_RATES.map((): ValType => f32)];

/**
 * adam.ts's step: g' = g (+ w·λ, coupled), m ← m·β1 + g'·(1−β1), v ← v·β2 + (g'·g')·(1−β2),
 * u = (m / c1) / (√(v / c2) + ε) (+ w·λ, decoupled), w ← w − u·lr (or, direction, u itself).
 */
function adamFunction(variant: AdamVariant): Code {
  const [w, g, m, v, wOut, mOut, vOut, n] = [0, 1, 2, 3, 4, 5, 6, 7];
  const rates = Object.fromEntries(ADAM_RATES.map((name, i) => [name, 8 + i])) as Record<(typeof ADAM_RATES)[number], number>;
  const code = new Code(ADAM_PARAMS.length);
  laneLoops(code, n, rates, (x) => {
    const [ws, gs, ms, vs] = [x.local(), x.local(), x.local(), x.local()];
    const plusDecayedW = (): void => {
      code.get(ws);
      x.rate('decay');
      x.mul();
      x.add();
    };
    x.load(w);
    code.set(ws);
    x.load(g);
    if (variant.decay === 'coupled') plusDecayedW();
    code.set(gs);
    // m ← m·β1 + g·(1−β1)
    x.address(mOut);
    x.load(m);
    x.rate('beta1');
    x.mul();
    code.get(gs);
    x.rate('oneMinusBeta1');
    x.mul();
    x.add();
    code.tee(ms);
    x.store();
    // v ← v·β2 + (g·g)·(1−β2)
    x.address(vOut);
    x.load(v);
    x.rate('beta2');
    x.mul();
    code.get(gs).get(gs);
    x.mul();
    x.rate('oneMinusBeta2');
    x.mul();
    x.add();
    code.tee(vs);
    x.store();
    // w ← w − ((m / c1) / (√(v / c2) + ε) (+ w·λ))·lr, or (direction) that step itself
    x.address(wOut);
    if (!variant.direction) code.get(ws);
    code.get(ms);
    x.rate('correction1');
    x.div();
    code.get(vs);
    x.rate('correction2');
    x.div();
    x.sqrt();
    x.rate('epsilon');
    x.add();
    x.div();
    if (variant.decay === 'decoupled') plusDecayedW();
    if (!variant.direction) {
      x.rate('lr');
      x.mul();
      x.sub();
    }
    x.store();
  });
  return code;
}

/** The module (plain SIMD128), per backend heap. */
const updateModule = new HeapModule(() =>
  encodeModule([
    ...VARIANTS.map((variant) => ({ params: PARAMS, results: [], code: updateFunction(variant), exportName: variantName(variant) })),
    ...ADAM_VARIANTS.map((variant) => ({ params: ADAM_PARAMS, results: [], code: adamFunction(variant), exportName: adamName(variant) })),
  ]),
);

const updatesOn = (backend: BackendWasm): Record<string, unknown> | null => updateModule.exportsOn(backend);

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

/** The named inputs, which must be float32 of one size (a clear error naming them otherwise). */
function float32Inputs(kernelName: string, inputs: NamedTensorInfoMap, names: readonly string[]): TensorInfo[] {
  const ins = names.map((name) => requireInput(inputs, name, kernelName));
  if (ins.some((t) => t.dtype !== 'float32' || sizeOf(t) !== sizeOf(ins[0]!))) {
    throw new Error(`${kernelName}: inputs must be float32 of one size, got ${ins.map((t) => `${t.dtype} [${t.shape}]`).join(', ')}`);
  }
  return ins;
}

function updateKernel(kernelName: typeof SgdUpdate | typeof MomentumUpdate): FastKernel {
  const momentum = kernelName === MomentumUpdate;
  return {
    kernelName,
    backendNames: ['wasm'],
    build(): KernelFunc {
      return ({ inputs, backend, attrs }) => {
        const [w, g, v = null] = float32Inputs(kernelName, inputs, momentum ? ['w', 'g', 'v'] : ['w', 'g']) as [TensorInfo, TensorInfo, TensorInfo?];
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
      const ins = float32Inputs(AdamUpdate, inputs, ['w', 'g', 'm', 'v']);
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
