/**
 * WebGPU's place in the backend chain: a software adapter only when forced, no adapter
 * or a lost device as a clear error or a logged fallback, never a hang. Each case
 * selects in its own child process, since the active backend is process-global.
 */
import * as tf from '@tensorflow/tfjs-core';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import type { BackendInfo } from '../../../common/metrics';
import { readValues } from '../../../main/engine/training/read-back';
import { assertDeviceAlive, DeviceLostError } from '../../../main/engine/webgpu/device-loss';
import { describeWebgpu, webgpuAvailability } from './webgpu-suite';

const run = promisify(execFile);
type Outcome = { ok: true; info: BackendInfo } | { ok: false; error: string };

async function selectInChild(preference: string, env: NodeJS.ProcessEnv = {}): Promise<Outcome> {
  const { stdout } = await run(process.execPath, ['bin/run-ts.mjs', 'tests/engine/webgpu/fixtures/select-backend-child.ts', preference], {
    env: { ...process.env, BATCHSCOPE_BACKEND: '', ...env },
    timeout: 120_000,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as Outcome;
}

const availability = await webgpuAvailability();

describeWebgpu('WebGPU in the backend chain', availability, () => {
  it('forced, it runs on whatever adapter there is and records its vendor and architecture', async () => {
    const outcome = await selectInChild('webgpu');
    expect(outcome.ok, JSON.stringify(outcome)).toBe(true);
    const info = (outcome as { info: BackendInfo }).info;
    expect(info).toMatchObject({ name: 'webgpu', package: '@tensorflow/tfjs-backend-webgpu', version: '4.22.0', gpu: true });
    expect(info.adapter?.vendor).toBeTruthy();
    expect(typeof info.adapter?.software).toBe('boolean');
  }, 180_000);

  it('in the automatic chain a software adapter is skipped with the reason logged; a hardware one is used', async () => {
    const outcome = await selectInChild('auto');
    expect(outcome.ok).toBe(true);
    const info = (outcome as { info: BackendInfo }).info;
    if (availability.available && availability.info.adapter?.software) {
      expect(info.name).not.toBe('webgpu');
      // without a GPU device node the chain does not even ask Dawn
      expect(info.fallbacks.find((f) => f.name === 'webgpu')?.error).toMatch(/only a software WebGPU adapter.* used only when forced/);
    } else {
      expect(info.name).toBe('webgpu');
      expect(info.adapter?.software).toBe(false);
    }
  }, 180_000);

  it('with no Vulkan driver visible: forced is an error naming the cause, auto falls back', async () => {
    // the Vulkan loader finds no ICD, so Dawn has no adapter (on Linux; elsewhere Metal/D3D12 ignore this)
    const noDriver = { VK_ICD_FILENAMES: '/nonexistent.json', VK_DRIVER_FILES: '/nonexistent.json' };
    if (process.platform !== 'linux') return;
    const forced = await selectInChild('webgpu', noDriver);
    expect(forced).toMatchObject({ ok: false });
    expect((forced as { error: string }).error).toMatch(/backend 'webgpu' could not be loaded: webgpu: no WebGPU adapter/);
    const auto = await selectInChild('auto', noDriver);
    expect(auto.ok).toBe(true);
    const info = (auto as { info: BackendInfo }).info;
    expect(info.name).not.toBe('webgpu');
    expect(info.fallbacks.find((f) => f.name === 'webgpu')?.error).toMatch(/no WebGPU adapter|no GPU device node/);
  }, 180_000);

  it('a lost device turns a pending read and the next step into an error, not a hang', async () => {
    // this process's backend is webgpu (webgpuAvailability selected it)
    expect(tf.getBackend()).toBe('webgpu');
    const a = tf.matMul(tf.ones([64, 64]), tf.ones([64, 64]));
    expect((await readValues(a))[0]).toBe(64);
    const b = tf.matMul(a, a);
    (tf.backend() as unknown as { device: { destroy(): void } }).device.destroy();
    await expect(readValues(b)).rejects.toThrow(DeviceLostError);
    await expect(readValues(b)).rejects.toThrow(/the WebGPU device was lost on .*: /);
    expect(() => assertDeviceAlive()).toThrow(DeviceLostError);
  }, 120_000);
});
