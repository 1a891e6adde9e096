/**
 * Backend selection inside a Chromium window (the Electron GPU host): WebGPU from the
 * browser's own navigator.gpu (no dawn.node, so nothing for Electron's memory cage to
 * refuse), else the cpu backend. The same rule as in Node: a software adapter
 * (SwiftShader) only when forced. No Node imports here: this is bundled for a browser.
 */
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core carries no gradient functions; the Node path gets them from '@tensorflow/tfjs'
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-cpu';
import type { BackendInfo } from '../../common/metrics';
import { probeAdapter, withTimeout, type GpuLike } from '../engine/webgpu/gpu-adapter';
import { watchDeviceLoss } from '../engine/webgpu/device-loss';
import type { WindowBackendPreference } from './window-run';


const TFJS_VERSION = '4.22.0';

export async function selectWindowBackend(preference: WindowBackendPreference): Promise<BackendInfo> {
  const fallbacks: BackendInfo['fallbacks'] = [];
  if (preference !== 'cpu') {
    try {
      const gpu = (navigator as Navigator & { gpu?: GpuLike }).gpu;
      if (!gpu) throw new Error('this window has no navigator.gpu (WebGPU disabled, or not a secure context)');
      const adapter = await probeAdapter(gpu, preference === 'webgpu');
      await import('@tensorflow/tfjs-backend-webgpu');
      if (!(await withTimeout(tf.setBackend('webgpu'), 120_000, 'the WebGPU device'))) throw new Error("tf.setBackend('webgpu') returned false");
      await tf.ready();
      watchDeviceLoss(tf.backend(), adapter);
      return { name: 'webgpu', package: '@tensorflow/tfjs-backend-webgpu', version: TFJS_VERSION, gpu: true, fallbacks, adapter };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (preference === 'webgpu') throw new Error(`backend 'webgpu' could not be loaded: ${message}`);
      fallbacks.push({ name: 'webgpu', error: message });
    }
  }
  await tf.setBackend('cpu');
  await tf.ready();
  return { name: 'cpu', package: '@tensorflow/tfjs-backend-cpu', version: TFJS_VERSION, gpu: false, fallbacks };
}
