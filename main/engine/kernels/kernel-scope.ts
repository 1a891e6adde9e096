/**
 * Runs registered kernels from inside another kernel, on the same backend.
 *
 * Inside a kernel there is no engine bookkeeping: other kernels' results are bare
 * TensorInfos owned by the backend, so every intermediate must be released with
 * `backend.disposeData` or it leaks backend memory (it never shows up in
 * `tf.memory().numTensors`, only in the backend's data-id count). A scope records
 * each intermediate and releases all but the one result the composed kernel returns.
 */
import {
  getKernel,
  type KernelBackend,
  type KernelFunc,
  type NamedAttrMap,
  type NamedTensorInfoMap,
  type TensorInfo,
} from '@tensorflow/tfjs-core';

export class KernelScope {
  private readonly intermediates: TensorInfo[] = [];

  constructor(
    readonly backend: KernelBackend,
    readonly backendName: string,
  ) {}

  /** Runs the kernel registered as `kernelName` for this scope's backend. */
  run(kernelName: string, inputs: NamedTensorInfoMap, attrs: object = {}): TensorInfo {
    const kernel = getKernel(kernelName, this.backendName);
    if (!kernel) {
      throw new Error(`kernel '${kernelName}' is not registered for backend '${this.backendName}'; a fast kernel composed from it cannot run`);
    }
    return this.runFunc(kernel.kernelFunc, inputs, attrs);
  }

  /** Runs a given kernel function (e.g. the stock kernel a fast one wraps). */
  runFunc(kernelFunc: KernelFunc, inputs: NamedTensorInfoMap, attrs: object = {}): TensorInfo {
    const out = kernelFunc({ inputs, backend: this.backend, attrs: attrs as NamedAttrMap });
    if (Array.isArray(out)) {
      out.forEach((info) => this.intermediates.push(info));
      throw new Error('KernelScope expects single-output kernels');
    }
    this.intermediates.push(out);
    return out;
  }

  /** Records a buffer made directly on the backend (e.g. its `makeOutput`) as an intermediate of this scope. */
  adopt(info: TensorInfo): TensorInfo {
    this.intermediates.push(info);
    return info;
  }

  /** Reshape without copying (every backend's Reshape shares the data id and counts a reference). */
  reshape(x: TensorInfo, shape: number[]): TensorInfo {
    return this.run('Reshape', { x }, { shape });
  }

  transpose(x: TensorInfo, perm: number[]): TensorInfo {
    return this.run('Transpose', { x }, { perm });
  }

  /** Contiguous crop `x[begin : begin + size]` per axis. */
  crop(x: TensorInfo, begin: number[], size: number[]): TensorInfo {
    const end = begin.map((b, axis) => b + size[axis]!);
    return this.run('StridedSlice', { x }, {
      begin,
      end,
      strides: begin.map(() => 1),
      beginMask: 0,
      endMask: 0,
      ellipsisMask: 0,
      newAxisMask: 0,
      shrinkAxisMask: 0,
    });
  }

  /**
   * Releases every intermediate except `result`, which the engine will own once the
   * composed kernel returns it. Call in `finally` so a throwing kernel leaks nothing.
   */
  release(result?: TensorInfo): void {
    for (const info of this.intermediates) {
      if (info !== result) this.backend.disposeData(info.dataId);
    }
    this.intermediates.length = 0;
  }
}

/** Runs `body` in a fresh scope; intermediates are released whether it returns or throws. */
export function composeKernel(backend: unknown, backendName: string, body: (scope: KernelScope) => TensorInfo): TensorInfo {
  const scope = new KernelScope(backend as KernelBackend, backendName);
  let result: TensorInfo | undefined;
  try {
    result = body(scope);
    return result;
  } finally {
    scope.release(result);
  }
}

/** A kernel's named input, with an error naming the kernel if the engine did not pass it. */
export function requireInput(inputs: NamedTensorInfoMap, name: string, kernelName: string): TensorInfo {
  const input = inputs[name];
  if (!input) throw new Error(`${kernelName}: missing input '${name}'`);
  return input;
}
