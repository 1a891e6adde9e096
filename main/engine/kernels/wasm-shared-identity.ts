/**
 * Identity, and Cast to the same dtype, for wasm without a copy: the output shares the
 * input's heap memory, counted by the backend's reference count (as Reshape already
 * does on wasm, and Identity does on the cpu backend).
 *
 * The engine clones every tensor it saves for a gradient (Engine.saveTensorsForBackwardMode
 * runs Identity on it), and the stock wasm Identity copies the whole buffer: about 7 % of a
 * CNN gradient pass, all of it memory traffic, which two shard threads then share
 * (docs/benchmarks.md, "Shared Identity"). Sharing is safe because no wasm kernel, stock or
 * ours, writes into an input: every kernel writes a fresh output (makeOutput).
 */
import { Cast, Identity, type CastAttrs, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { FastKernel } from './fast-kernel';
import { requireInput } from './kernel-scope';

function share(x: TensorInfo, backend: BackendWasm): TensorInfo {
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

export const wasmSharedIdentity: FastKernel = {
  kernelName: Identity,
  backendNames: ['wasm'],
  build(stock: KernelConfig | undefined, backendName: string): KernelFunc {
    if (!stock) throw new Error(`${Identity}: the fast kernel wraps the stock ${backendName} kernel, which is not registered`);
    return ({ inputs, backend, attrs }) => {
      const x = requireInput(inputs, 'x', Identity);
      // strings live outside the heap; the stock kernel handles them
      if (x.dtype === 'string') return stock.kernelFunc({ inputs, backend, attrs });
      return share(x, backend as BackendWasm);
    };
  },
};

export const wasmSharedCast: FastKernel = {
  kernelName: Cast,
  backendNames: ['wasm'],
  build(stock: KernelConfig | undefined, backendName: string): KernelFunc {
    if (!stock) throw new Error(`${Cast}: the fast kernel wraps the stock ${backendName} kernel, which is not registered`);
    return ({ inputs, backend, attrs }) => {
      const x = requireInput(inputs, 'x', Cast);
      const { dtype } = attrs as unknown as CastAttrs;
      // another dtype is another encoding in the heap: the stock kernel converts it
      if (dtype !== x.dtype || x.dtype === 'string') return stock.kernelFunc({ inputs, backend, attrs });
      return share(x, backend as BackendWasm);
    };
  },
};
