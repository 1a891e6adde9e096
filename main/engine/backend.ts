/**
 * Chooses the tfjs backend at run time: tfjs-node-gpu → WebGPU → tfjs-node → wasm → cpu.
 * A preferred backend that fails to load is a logged fallback, never a crash.
 * BATCHSCOPE_BACKEND (or the spec's `backend`) forces one. WebGPU joins the automatic
 * chain only with a hardware adapter; a software one (lavapipe …) only when forced.
 */
import * as tf from '@tensorflow/tfjs-core';
import { createRequire } from 'node:module';
import type { BackendPreference } from '../../common/spec';
import { resolveBackendPreference } from '../../common/backend-preference';
import type { BackendInfo, GpuAdapterInfo } from '../../common/metrics';
import { registerFastKernels } from './kernels/register';
import { adapterLabel } from '../../common/adapter-label';
import { probeAdapter, withTimeout } from './webgpu/gpu-adapter';
import { installNodeWebGPU, noGpuDeviceNodeReason } from './webgpu/node-webgpu';
import { watchDeviceLoss } from './webgpu/device-loss';

const requireModule = createRequire(import.meta.url);
// tfjs-core's Node bundle carries no gradient functions; the umbrella package registers them
requireModule('@tensorflow/tfjs');

interface Candidate {
  preference: Exclude<BackendPreference, 'auto'>;
  pkg: string;
  backendName: string;
  gpu: boolean;
  /** `forced`: this backend was asked for by name, not reached through the chain */
  load: (forced: boolean) => Promise<void>;
}

// Dawn compiles a pipeline per kernel on first use; with a cold shader cache on a
// software adapter the backend's own start-up takes seconds, not minutes.
const webgpuStartTimeoutMs = 120_000;
let webgpuAdapter: GpuAdapterInfo | undefined;

const candidates: Candidate[] = [
  {
    preference: 'tensorflow-gpu',
    pkg: '@tensorflow/tfjs-node-gpu',
    backendName: 'tensorflow',
    gpu: true,
    load: async () => void requireModule('@tensorflow/tfjs-node-gpu'),
  },
  {
    preference: 'webgpu',
    pkg: '@tensorflow/tfjs-backend-webgpu',
    backendName: 'webgpu',
    gpu: true,
    load: async (forced) => {
      const noDevice = forced ? null : noGpuDeviceNodeReason();
      if (noDevice) throw new Error(noDevice);
      const gpu = await installNodeWebGPU();
      webgpuAdapter = await probeAdapter(gpu, forced);
      // registers the 'webgpu' backend; it must come after navigator.gpu exists
      await import('@tensorflow/tfjs-backend-webgpu');
    },
  },
  {
    preference: 'tensorflow',
    pkg: '@tensorflow/tfjs-node',
    backendName: 'tensorflow',
    gpu: false,
    load: async () => void requireModule('@tensorflow/tfjs-node'),
  },
  {
    preference: 'wasm',
    pkg: '@tensorflow/tfjs-backend-wasm',
    backendName: 'wasm',
    gpu: false,
    load: async () => void (await import('@tensorflow/tfjs-backend-wasm')),
  },
  {
    preference: 'cpu',
    pkg: '@tensorflow/tfjs-backend-cpu',
    backendName: 'cpu',
    gpu: false,
    load: async () => void (await import('@tensorflow/tfjs-backend-cpu')),
  },
];

function packageVersion(pkg: string): string {
  try {
    return (requireModule(`${pkg}/package.json`) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export function resolvePreference(fromSpec: BackendPreference | undefined): BackendPreference {
  return resolveBackendPreference(fromSpec, process.env.BATCHSCOPE_BACKEND);
}

let active: BackendInfo | null = null;

/**
 * Loads and activates a backend. With a forced preference only that one is tried
 * (and its failure is an error); with 'auto' the chain falls through to cpu.
 */
export async function selectBackend(preference: BackendPreference = 'auto'): Promise<BackendInfo> {
  const chain = preference === 'auto' ? candidates : candidates.filter((c) => c.preference === preference);
  const fallbacks: BackendInfo['fallbacks'] = [];
  for (const candidate of chain) {
    try {
      await candidate.load(preference !== 'auto');
      const isWebgpu = candidate.backendName === 'webgpu';
      const started = tf.setBackend(candidate.backendName);
      const ok = isWebgpu ? await withTimeout(started, webgpuStartTimeoutMs, 'the WebGPU device') : await started;
      if (!ok) throw new Error(`tf.setBackend('${candidate.backendName}') returned false`);
      await tf.ready();
      if (candidate.backendName === 'tensorflow' && candidate.gpu && !(await hasGpuDevice())) throw new Error('no GPU device visible to TensorFlow');
      if (isWebgpu) watchDeviceLoss(tf.backend(), webgpuAdapter);
      registerFastKernels(candidate.backendName);
      active = {
        name: candidate.backendName,
        package: candidate.pkg,
        version: packageVersion(candidate.pkg),
        gpu: candidate.gpu,
        fallbacks,
        ...(isWebgpu && webgpuAdapter ? { adapter: webgpuAdapter } : {}),
      };
      if (isWebgpu && webgpuAdapter?.software && process.env.BATCHSCOPE_QUIET !== '1') {
        console.error(`[batchscope] WebGPU on ${adapterLabel(webgpuAdapter)}: correct but slow`);
      }
      return active;
    } catch (error) {
      const message = error instanceof Error ? error.message.split('\n')[0]! : String(error);
      fallbacks.push({ name: candidate.preference, error: message });
      if (preference === 'auto' && process.env.BATCHSCOPE_QUIET !== '1') {
        console.error(`[batchscope] backend ${candidate.preference} unavailable, falling back: ${message}`);
      }
    }
  }
  throw new Error(`backend '${preference}' could not be loaded: ${fallbacks.map((f) => `${f.name}: ${f.error}`).join('; ')}`);
}

async function hasGpuDevice(): Promise<boolean> {
  // tfjs-node-gpu silently runs on the CPU when CUDA is missing; a tiny matmul's
  // placement is not observable, so trust the CUDA env the binding reports.
  try {
    const binding = (tf.backend() as unknown as { binding?: { isUsingGpuDevice?: () => boolean } }).binding;
    return binding?.isUsingGpuDevice?.() ?? false;
  } catch {
    return false;
  }
}

export function activeBackend(): BackendInfo | null {
  return active;
}
