/**
 * Copies a float32 tensor's values into a host array (shared memory, for the other
 * threads of a shard pool). On wasm it copies straight out of the heap: reading with
 * data() would first copy into a fresh array, which at a model's size costs more in
 * allocation, page faults and garbage collection than the copy itself. Shards run only
 * on wasm and cpu (train-run.ts), so there is no device to wait for.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

export async function copyOut(t: tf.Tensor, into: Float32Array, offset: number): Promise<void> {
  if (t.dtype !== 'float32') throw new Error(`copyOut: a ${t.dtype} tensor; shards exchange float32 values only`);
  const backend = tf.engine().backend;
  if (tf.getBackend() === 'wasm') {
    // a fresh view each time: a growing heap detaches older ones
    into.set((backend as BackendWasm).typedArrayFromHeap(t) as Float32Array, offset);
    return;
  }
  into.set((await t.data()) as Float32Array, offset);
}
