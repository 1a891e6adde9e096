import * as tf from '@tensorflow/tfjs-core';
import { it, expect } from 'vitest';
import { selectBackend } from '../main/engine/backend';
import { readValues } from '../main/engine/training/read-back';
it('lost', async () => {
  const info = await selectBackend('webgpu');
  console.log(JSON.stringify(info.adapter));
  const a = tf.matMul(tf.ones([64, 64]), tf.ones([64, 64]));
  console.log((await readValues(a))[0]);
  const b = tf.matMul(a, a);
  (tf.backend() as unknown as { device: { destroy(): void } }).device.destroy();
  const err = await readValues(b).then(() => 'resolved', (e) => String(e));
  console.log('after destroy:', err);
}, 120000);
