/**
 * Copies a float32 tensor's values into a host array (shared memory, for the other
 * threads of a shard pool). On wasm and cpu it copies straight out of the backend's
 * memory (host-values.ts): reading with data() would first copy into a fresh array, which
 * at a model's size costs more in allocation, page faults and garbage collection than the
 * copy itself. Shards run only on wasm and cpu (train-run.ts), so there is no device to wait for.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { hostValues } from '../host-values';

export async function copyOut(t: tf.Tensor, into: Float32Array, offset: number): Promise<void> {
  if (t.dtype !== 'float32') throw new Error(`copyOut: a ${t.dtype} tensor; shards exchange float32 values only`);
  into.set(hostValues(t) ?? ((await t.data()) as Float32Array), offset);
}
