/**
 * A float32 tensor's values read in place, where the backend keeps them in host memory:
 * the wasm heap, or the cpu backend's arrays. Small per-step reductions (layer statistics)
 * and the shard pool's copies read them there instead of through data(), which would first
 * copy into a fresh array. GPU backends keep their values on the device: null there, and
 * the caller computes on the device and reads back once.
 *
 * The view is valid until the next tfjs allocation (a growing wasm heap detaches it):
 * take it, use it, drop it, with no tensor operation in between.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

interface CpuStorage {
  data: { get(dataId: object): { values?: unknown } | undefined };
}

export function hostValues(t: tf.Tensor): Float32Array | null {
  if (t.dtype !== 'float32') return null;
  const name = tf.getBackend();
  const backend = tf.engine().backend;
  if (name === 'wasm') return (backend as BackendWasm).typedArrayFromHeap(t) as Float32Array;
  if (name === 'cpu') {
    const values = (backend as unknown as CpuStorage).data.get(t.dataId)?.values;
    return values instanceof Float32Array ? values : null;
  }
  return null;
}
