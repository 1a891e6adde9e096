/**
 * Shared set-up of the WebGPU suites: whether this machine has an adapter (CI installs
 * Mesa's lavapipe), and cpu-vs-webgpu comparison in one process. Without an adapter the
 * suites are skipped and say why; with BATCHSCOPE_REQUIRE_WEBGPU=1 (set by .ci/run) a
 * missing adapter fails them instead, so CI cannot pass by skipping.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, it } from 'vitest';
import { adapterLabel } from '../../../common/adapter-label';
import type { BackendInfo } from '../../../common/metrics';
import { selectBackend } from '../../../main/engine/backend';
import { probeAdapter } from '../../../main/engine/webgpu/gpu-adapter';
import { installNodeWebGPU } from '../../../main/engine/webgpu/node-webgpu';

export type Availability = { available: true; info: BackendInfo; label: string } | { available: false; reason: string };

/** Probes for an adapter (software allowed) and, if there is one, activates the webgpu backend. */
export async function webgpuAvailability(): Promise<Availability> {
  try {
    await probeAdapter(await installNodeWebGPU(), true);
    const info = await selectBackend('webgpu');
    return { available: true, info, label: info.adapter ? adapterLabel(info.adapter) : 'unknown adapter' };
  } catch (error) {
    return { available: false, reason: error instanceof Error ? error.message : String(error) };
  }
}

/** describe() when WebGPU is here; otherwise a skipped suite (or, when required, a failing test) naming the reason. */
export function describeWebgpu(name: string, availability: Availability, body: () => void): void {
  if (availability.available) {
    describe(`${name} [${availability.label}]`, body);
    return;
  }
  const why = `WebGPU suite '${name}' not run: ${availability.reason}`;
  if (process.env.BATCHSCOPE_REQUIRE_WEBGPU === '1') {
    describe(name, () => it('needs a WebGPU adapter (BATCHSCOPE_REQUIRE_WEBGPU=1)', () => {
      throw new Error(why);
    }));
    return;
  }
  console.warn(why);
  describe.skip(name, body);
}

export type ComparedBackend = 'cpu' | 'webgpu';

/** Runs `compute` on a backend and reads every output back asynchronously; all it made is disposed. */
export async function computeOn(backend: ComparedBackend, compute: () => tf.Tensor[]): Promise<Float32Array[]> {
  if (tf.getBackend() !== backend) await tf.setBackend(backend);
  const outputs = tf.tidy(compute);
  try {
    return await Promise.all(outputs.map(async (t) => Float32Array.from(await t.data())));
  } finally {
    tf.dispose(outputs);
  }
}

/** max |a − b| / max |b|: the error relative to the reference tensor's scale. */
export function relativeError(actual: Float32Array, expected: Float32Array): number {
  if (actual.length !== expected.length) return Infinity;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i]! - expected[i]!));
    scale = Math.max(scale, Math.abs(expected[i]!));
  }
  return diff / Math.max(scale, 1e-30);
}
