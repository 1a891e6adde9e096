/**
 * Chooses the tfjs backend at run time: tfjs-node-gpu → tfjs-node → wasm → cpu.
 * A preferred backend that fails to load is a logged fallback, never a crash.
 * BATCHSCOPE_BACKEND (or the spec's `backend`) forces one.
 */
import * as tf from '@tensorflow/tfjs-core';
import { createRequire } from 'node:module';
import type { BackendPreference } from '../../common/spec';
import type { BackendInfo } from '../../common/metrics';
import { registerFastKernels } from './kernels/register';

const requireModule = createRequire(import.meta.url);
// tfjs-core's Node bundle carries no gradient functions; the umbrella package registers them
requireModule('@tensorflow/tfjs');

interface Candidate {
  preference: Exclude<BackendPreference, 'auto'>;
  pkg: string;
  backendName: string;
  gpu: boolean;
  load: () => Promise<void>;
}

const candidates: Candidate[] = [
  {
    preference: 'tensorflow-gpu',
    pkg: '@tensorflow/tfjs-node-gpu',
    backendName: 'tensorflow',
    gpu: true,
    load: async () => void requireModule('@tensorflow/tfjs-node-gpu'),
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
  const fromEnv = process.env.BATCHSCOPE_BACKEND as BackendPreference | undefined;
  if (fromEnv && fromEnv !== 'auto') {
    if (!candidates.some((c) => c.preference === fromEnv)) {
      throw new Error(`BATCHSCOPE_BACKEND: unknown backend '${fromEnv}' (expected one of auto, ${candidates.map((c) => c.preference).join(', ')})`);
    }
    return fromEnv;
  }
  return fromSpec ?? 'auto';
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
      await candidate.load();
      const ok = await tf.setBackend(candidate.backendName);
      if (!ok) throw new Error(`tf.setBackend('${candidate.backendName}') returned false`);
      await tf.ready();
      if (candidate.gpu && !(await hasGpuDevice())) throw new Error('no GPU device visible to TensorFlow');
      registerFastKernels(candidate.backendName);
      active = {
        name: candidate.backendName,
        package: candidate.pkg,
        version: packageVersion(candidate.pkg),
        gpu: candidate.gpu,
        fallbacks,
      };
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
