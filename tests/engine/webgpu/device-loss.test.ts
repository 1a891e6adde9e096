import { describe, expect, it } from 'vitest';
import { DeviceLostError, unlessDeviceLost, watchDeviceLoss } from '../../../main/engine/webgpu/device-loss';

/** A backend whose device reports its loss when `lose` is called, as a destroyed GPUDevice does. */
function backendWithDevice(): { backend: unknown; lose(message: string): void } {
  let lose: (info: { reason: string; message: string }) => void = () => undefined;
  const lost = new Promise<{ reason: string; message: string }>((resolve) => (lose = resolve));
  return { backend: { device: { lost } }, lose: (message) => lose({ reason: 'destroyed', message }) };
}

describe('reads on a WebGPU device that may be lost', () => {
  it('a read that fails just before the device reports its loss fails with the loss, not its own empty error', async () => {
    const device = backendWithDevice();
    watchDeviceLoss(device.backend, undefined);
    const read = unlessDeviceLost(() => Promise.reject(new Error('')));
    setTimeout(() => device.lose('Device was destroyed.'), 50);
    await expect(read).rejects.toThrow(DeviceLostError);
    await expect(read).rejects.toThrow(/the WebGPU device was lost: Device was destroyed\./);
  });

  it('a read that fails on a live device keeps its own error', async () => {
    watchDeviceLoss(backendWithDevice().backend, undefined);
    await expect(unlessDeviceLost(() => Promise.reject(new Error('out of memory')))).rejects.toThrow('out of memory');
  });

  it('a read that never answers is rejected when the device is lost, and later reads fail at once', async () => {
    const device = backendWithDevice();
    watchDeviceLoss(device.backend, undefined);
    const read = unlessDeviceLost(() => new Promise<never>(() => undefined));
    device.lose('gone');
    await expect(read).rejects.toThrow(/device was lost: gone/);
    let started = false;
    await expect(unlessDeviceLost(() => ((started = true), Promise.resolve(1)))).rejects.toThrow(DeviceLostError);
    expect(started).toBe(false);
  });

  it('a read that succeeds returns its value', async () => {
    watchDeviceLoss(backendWithDevice().backend, undefined);
    await expect(unlessDeviceLost(() => Promise.resolve(42))).resolves.toBe(42);
  });
});
