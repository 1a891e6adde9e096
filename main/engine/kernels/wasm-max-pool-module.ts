/**
 * The 2x2 max-pool gradient as wasm SIMD, four channels per vector (wasm-max-pool-grad.ts
 * calls it for runs of whole 2x2 windows when the channel count is a multiple of 4).
 *
 * `row(x, dy, dx, windows, channelBytes, rowBytes, colStep)`: for `windows` windows whose
 * top-left corners lie colStep bytes apart from x on (dx the same place in dx's layout,
 * dy their windows' dy one after another), it does per channel what routeWindows2x2 does:
 * order keys of the four values (ints ordered as the floats, -0 as 0, NaN lowest), the same
 * tournament (earlier side wins ties), and 0 + dy into the first maximum unless the window
 * held only NaN and -Infinity. It writes all four places of each window, zero where the
 * maximum is not: windows that do not overlap leave every place to one window, and the
 * caller's zeroed dx stays zero elsewhere.
 */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { HeapModule } from './gemm/backend-heap';
import { Code, encodeModule, i32, v128 } from './gemm/wasm-emitter';

const INFINITY_BITS = 0x7f800000;

export type RouteRow = (x: number, dy: number, dx: number, windows: number, channelBytes: number, rowBytes: number, colStep: number) => void;

function routeRowFunction(): Code {
  const code = new Code(7);
  const [x, dy, dx, windows, channelBytes, rowBytes, colStep] = [0, 1, 2, 3, 4, 5, 6];
  const [corner, at, d, w, delta] = [code.local(i32), code.local(i32), code.local(i32), code.local(i32), code.local(i32)];
  const vector = (): number => code.local(v128);
  const [k0, k1, k2, k3] = [vector(), vector(), vector(), vector()];
  const [topRight, bottomRight, topMax, bottomMax, bottom, valid, value] = [vector(), vector(), vector(), vector(), vector(), vector(), vector()];
  const [absMask, infinity, lowest, zero] = [vector(), vector(), vector(), vector()];

  code.i32Const(0x7fffffff).i32x4Splat().set(absMask);
  code.i32Const(INFINITY_BITS).i32x4Splat().set(infinity);
  code.i32Const(-INFINITY_BITS).i32x4Splat().set(lowest);
  code.i32Const(0).i32x4Splat().set(zero);
  code.get(dx).get(x).i32Sub().set(delta);
  code.get(x).set(corner);
  /** the order key of the vector at `at` + offset: magnitude ^ sign − sign, or lowest where the magnitude is above +∞ (NaN) */
  const orderKey = (offset: (c: Code) => void, into: number): void => {
    code.get(at);
    offset(code);
    code.v128Load().set(into);
    code.get(lowest);
    code.get(into).get(absMask).v128And().get(into).i32Const(31).i32x4ShrS().v128Xor().get(into).i32Const(31).i32x4ShrS().i32x4Sub();
    code.get(into).get(absMask).v128And().get(infinity).i32x4GtS();
    code.v128Bitselect().set(into);
  };
  code.i32Const(0).set(w);
  code.block().loop();
  code.get(w).get(windows).i32GeS().brIf(1);
  {
    code.i32Const(0).set(d);
    code.block().loop();
    code.get(d).get(channelBytes).i32GeS().brIf(1);
    {
      code.get(corner).get(d).i32Add().set(at);
      orderKey(() => undefined, k0);
      orderKey((c) => c.get(channelBytes).i32Add(), k1);
      orderKey((c) => c.get(rowBytes).i32Add(), k2);
      orderKey((c) => c.get(rowBytes).i32Add().get(channelBytes).i32Add(), k3);
      // top row, bottom row, then the rows against each other; strict >: the earlier side wins ties
      code.get(k1).get(k0).i32x4GtS().set(topRight);
      code.get(k1).get(k0).get(topRight).v128Bitselect().set(topMax);
      code.get(k3).get(k2).i32x4GtS().set(bottomRight);
      code.get(k3).get(k2).get(bottomRight).v128Bitselect().set(bottomMax);
      code.get(bottomMax).get(topMax).i32x4GtS().set(bottom);
      // the window's maximum above lowest: it held something other than NaN and -∞
      code.get(bottomMax).get(topMax).get(bottom).v128Bitselect().get(lowest).i32x4GtS().set(valid);
      code.get(dy).v128Load().get(zero).f32x4Add().get(valid).v128And().set(value); // 0 + dy, or 0
      const store = (offset: (c: Code) => void, mask: () => void): void => {
        code.get(at).get(delta).i32Add();
        offset(code);
        code.get(value);
        mask();
        code.v128And().v128Store();
      };
      // top-left: neither bottom nor right; top-right; bottom-left; bottom-right
      store(() => undefined, () => code.get(bottom).get(topRight).v128Or().v128Not());
      store((c) => c.get(channelBytes).i32Add(), () => code.get(topRight).get(bottom).v128AndNot());
      store((c) => c.get(rowBytes).i32Add(), () => code.get(bottom).get(bottomRight).v128AndNot());
      store((c) => c.get(rowBytes).i32Add().get(channelBytes).i32Add(), () => code.get(bottom).get(bottomRight).v128And());
      code.get(dy).i32Const(16).i32Add().set(dy);
    }
    code.get(d).i32Const(16).i32Add().set(d);
    code.br(0);
    code.end().end();
  }
  code.get(corner).get(colStep).i32Add().set(corner);
  code.get(w).i32Const(1).i32Add().set(w);
  code.br(0);
  code.end().end();
  return code;
}

const poolModule = new HeapModule(() => encodeModule([{ params: Array.from({ length: 7 }, () => i32), results: [], code: routeRowFunction(), exportName: 'row' }]));

/** The row router on `backend`'s heap, or null where a module cannot import it. */
export function routeRowOn(backend: BackendWasm): RouteRow | null {
  return (poolModule.exportsOn(backend)?.row as RouteRow | undefined) ?? null;
}
