/**
 * Reading tensors back to the host, asynchronously: a GPU backend cannot read
 * synchronously in Node (tfjs-backend-webgpu's dataSync needs OffscreenCanvas) and
 * should not block the loop elsewhere. A lost WebGPU device turns into an error
 * here rather than a read that never answers.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { unlessDeviceLost } from '../webgpu/device-loss';

export function readValues(t: tf.Tensor): Promise<Float32Array | Int32Array | Uint8Array> {
  return unlessDeviceLost(() => t.data() as Promise<Float32Array | Int32Array | Uint8Array>);
}
