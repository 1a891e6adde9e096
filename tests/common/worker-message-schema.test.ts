import { describe, expect, it } from 'vitest';
import { resolveBackendPreference } from '../../common/backend-preference';
import { parseWorkerMessage } from '../../common/worker-message-schema';
import type { WorkerMessage } from '../../common/worker-protocol';
import { runsInGpuWindow } from '../../main/runner/backend-routed-executor';

const step: WorkerMessage = {
  type: 'step',
  metrics: { step: 1, epoch: 0.1, loss: 1.2, accuracy: NaN, batchSize: 32, samplesSeen: 32, discarded: 0, lr: 0.1, lossUpdate: null, noiseScale: 120, sharpness: null, stepMs: 3, wallMs: 3 },
};

describe('worker messages from an untrusted sender (the GPU window)', () => {
  it('accepts every message the protocol allows, NaN and infinite metrics included', () => {
    const messages: WorkerMessage[] = [
      { type: 'ready', pid: 0 },
      step,
      { type: 'progress', progress: { step: 1, totalSteps: 10, epoch: 0.1, loss: Infinity, accuracy: 0.5, samplesPerSec: 100, etaMs: 90 } },
      { type: 'event', event: { step: 0, kind: 'note', detail: { host: 'gpu-window' } } },
      { type: 'finished', summary: { status: 'completed', steps: 1, epoch: 0.1, samplesSeen: 32, wallMs: 3, samplesPerSec: 10, lastEval: null } },
      { type: 'failed', error: { name: 'Error', message: 'no adapter' } },
    ];
    for (const message of messages) expect(parseWorkerMessage(message)).toEqual({ ok: true, message });
  });

  it('refuses a wrong shape, naming the field', () => {
    expect(parseWorkerMessage({ ...step, metrics: { ...step.metrics, loss: '1.2' } })).toEqual({ ok: false, error: 'step.metrics.loss: expected a number' });
    expect(parseWorkerMessage({ type: 'ready', pid: 0, extra: 1 })).toMatchObject({ ok: false, error: expect.stringContaining('ready') });
    expect(parseWorkerMessage({ type: 'exec', code: 'rm -rf' })).toMatchObject({ ok: false, error: expect.stringMatching(/^exec\.type: Invalid discriminator/) });
    expect(parseWorkerMessage(null)).toMatchObject({ ok: false, error: expect.stringMatching(/^\(no type\)/) });
  });
});

describe('which runs go to the GPU window', () => {
  it('forced WebGPU only (spec or BATCHSCOPE_BACKEND); auto and every other backend stay with the worker', () => {
    expect(runsInGpuWindow({ backend: 'webgpu' }, {})).toBe(true);
    expect(runsInGpuWindow({ backend: 'auto' }, {})).toBe(false);
    expect(runsInGpuWindow({ backend: 'wasm' }, {})).toBe(false);
    expect(runsInGpuWindow({ backend: 'auto' }, { BATCHSCOPE_BACKEND: 'webgpu' })).toBe(true);
    expect(runsInGpuWindow({ backend: 'webgpu' }, { BATCHSCOPE_BACKEND: 'wasm' })).toBe(false);
    expect(runsInGpuWindow({ backend: 'webgpu' }, { BATCHSCOPE_BACKEND: 'auto' })).toBe(true);
  });

  it('names a misspelt BATCHSCOPE_BACKEND and the choices', () => {
    expect(() => resolveBackendPreference('auto', 'webgpgpu')).toThrow("BATCHSCOPE_BACKEND: unknown backend 'webgpgpu' (expected one of auto, tensorflow-gpu, webgpu, tensorflow, wasm, cpu)");
  });
});
