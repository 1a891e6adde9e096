/**
 * relu's gradient as a kernel of Batchscope's own: dz = dy · step(y) in one pass, where
 * y = relu(z) is the layer's output (y > 0 exactly where z > 0). The dense and conv layers'
 * gradients take it where it is registered (wasm, wasm-relu-grad.ts) and the stock Step and
 * Multiply elsewhere. The name lives here, apart from the wasm implementation, so the models
 * can ask for it without importing the wasm heap's machinery (the GPU window's bundle).
 */
import * as tf from '@tensorflow/tfjs-core';
import { registeredHere } from './fast-kernel';

/** inputs {dy, y} of one shape; output dy · step(y): step is 1 where y > 0, NaN where y is NaN, else 0 */
export const ReluGrad = 'BatchscopeReluGrad';

/** dy · step(y), by the kernel where the backend has it, else by the stock ops (same values bit for bit). */
export function reluGrad(dy: tf.Tensor, y: tf.Tensor): tf.Tensor {
  if (!registeredHere(ReluGrad)) return tf.mul(dy, tf.step(y));
  return tf.engine().runKernel(ReluGrad, { dy, y }) as tf.Tensor;
}
