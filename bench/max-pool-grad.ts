/**
 * The wasm MaxPoolGrad's routing before and after its disjoint-window path, on the
 * CNN's two 2x2 stride 2 pools, interleaved call by call in one process so both see
 * the same load. Each routine runs on views of the wasm heap (as the kernel does) and
 * on copies of the same values in ordinary typed arrays, to show whether reading the
 * heap costs anything (and the after routine once more on a copy of x made off the heap
 * first); the kernel itself (output allocation and zeroing included) is
 * timed through tfjs too, in JS and with its whole 2x2 windows in wasm SIMD
 * (wasm-max-pool-module.ts). Prints median and min ms per call.
 *
 *   node bin/run-ts.mjs bench/max-pool-grad.ts [--reps 30]
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { registerFastKernels } from '../main/engine/kernels/register';
import { forceJsMaxPoolGrad, routeMaxPoolGradient } from '../main/engine/kernels/wasm-max-pool-grad';
import { median } from './stats';

type Pool2DInfo = ReturnType<typeof tf.backend_util.computePool2DInfo>;

/** The routing as of 0555da9 (one generic loop for every window shape), kept verbatim as the baseline. */
function routeBefore(x: ArrayLike<number>, dy: ArrayLike<number>, dx: Float32Array, info: Pool2DInfo): void {
  const { batchSize, inHeight, inWidth, inChannels: channels, outHeight, outWidth, strideHeight, strideWidth, filterHeight, filterWidth } = info;
  const padTop = info.padInfo.top;
  const padLeft = info.padInfo.left;
  const maxValue = new Float64Array(channels);
  const maxIndex = new Int32Array(channels);
  let dyIndex = 0;
  for (let b = 0; b < batchSize; b++) {
    const xBatch = b * inHeight * inWidth * channels;
    for (let yR = 0; yR < outHeight; yR++) {
      const rowStart = yR * strideHeight - padTop;
      const rowFrom = Math.max(0, rowStart);
      const rowTo = Math.min(inHeight, rowStart + filterHeight);
      for (let yC = 0; yC < outWidth; yC++) {
        const colStart = yC * strideWidth - padLeft;
        const colFrom = Math.max(0, colStart);
        const colTo = Math.min(inWidth, colStart + filterWidth);
        maxValue.fill(Number.NEGATIVE_INFINITY);
        maxIndex.fill(-1);
        for (let xR = rowFrom; xR < rowTo; xR++) {
          for (let xC = colFrom; xC < colTo; xC++) {
            const pixel = xBatch + (xR * inWidth + xC) * channels;
            for (let d = 0; d < channels; d++) {
              const value = x[pixel + d]!;
              if (value > maxValue[d]!) {
                maxValue[d] = value;
                maxIndex[d] = pixel + d;
              }
            }
          }
        }
        for (let d = 0; d < channels; d++, dyIndex++) {
          const at = maxIndex[d]!;
          if (at >= 0) dx[at] = dx[at]! + dy[dyIndex]!;
        }
      }
    }
  }
}

const { values: args } = parseArgs({ options: { reps: { type: 'string', default: '30' } } });
const reps = Number(args.reps);

await tf.setBackend('wasm');
registerFastKernels('wasm');
const wasm = tf.backend() as BackendWasm;
console.log(`load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}; ${reps} calls of each, interleaved`);

for (const shape of [[128, 28, 28, 16], [128, 14, 14, 32]] as [number, number, number, number][]) {
  const info = tf.backend_util.computePool2DInfo(shape, 2, 2, 1, 'valid');
  const x = tf.randomNormal(shape, 0, 1, 'float32', 1);
  const y = tf.maxPool(x as tf.Tensor4D, 2, 2, 'valid');
  const dy = tf.randomNormal(info.outShape, 0, 1, 'float32', 2);
  const dxOut = tf.zeros(shape);
  // fresh views on every call: the kernel's output allocation may grow the heap, which detaches older views
  const heapViews = () => ({
    x: wasm.typedArrayFromHeap(x) as Float32Array,
    dy: wasm.typedArrayFromHeap(dy) as Float32Array,
    dx: wasm.typedArrayFromHeap(dxOut) as Float32Array,
  });
  const first = heapViews();
  const plain = { x: first.x.slice(), dy: first.dy.slice(), dx: new Float32Array(first.dx.length) };
  const plainViews = () => plain;
  const routines = { before: routeBefore, after: routeMaxPoolGradient };
  const runs: Record<string, () => Float32Array> = {};
  for (const [name, route] of Object.entries(routines)) {
    for (const [where, views] of Object.entries({ heap: heapViews, plain: plainViews })) {
      runs[`${name}, ${where}`] = () => {
        const { x, dy, dx } = views();
        dx.fill(0);
        route(x, dy, dx, info);
        return dx;
      };
    }
  }
  const scratch = new Float32Array(plain.x.length);
  runs['after, x copied off the heap first'] = () => {
    const { x, dy, dx } = heapViews();
    scratch.set(x);
    dx.fill(0);
    routeMaxPoolGradient(scratch, dy, dx, info);
    return dx;
  };
  const reference = runs['before, plain']!().slice();
  for (const [name, run] of Object.entries(runs)) {
    const out = run();
    if (!out.every((v, i) => Object.is(v, reference[i]))) throw new Error(`${name} differs from the routing before`);
  }
  const kernel = (jsOnly: boolean, copy = false) => () => {
    forceJsMaxPoolGrad(jsOnly);
    const dx = tf.engine().runKernel('MaxPoolGrad', { dy, input: x, output: y }, { filterSize: 2, strides: 2, pad: 'valid' }) as tf.Tensor;
    forceJsMaxPoolGrad(false);
    const values = wasm.typedArrayFromHeap(dx) as Float32Array;
    const kept = copy ? values.slice() : values;
    dx.dispose();
    return kept;
  };
  for (const jsOnly of [true, false]) {
    const out = kernel(jsOnly, true)();
    if (!out.every((v, i) => Object.is(v, reference[i]))) throw new Error(`the kernel${jsOnly ? ' in JS' : ''} differs from the routing before`);
  }
  runs['kernel, JS (tfjs, output allocated and zeroed)'] = kernel(true);
  runs['kernel, 2x2 windows in wasm SIMD'] = kernel(false);
  const ms: Record<string, number[]> = {};
  for (let rep = -3; rep < reps; rep++) {
    for (const [name, run] of Object.entries(runs)) {
      const t0 = performance.now();
      run();
      if (rep >= 0) (ms[name] ??= []).push(performance.now() - t0);
    }
  }
  console.log(`x [${shape}], 2x2 stride 2 valid:`);
  for (const [name, samples] of Object.entries(ms)) {
    console.log(`  ${name.padEnd(44)} median ${median(samples).toFixed(2)} ms, min ${Math.min(...samples).toFixed(2)} ms`);
  }
}
