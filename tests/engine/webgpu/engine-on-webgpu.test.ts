/**
 * The engine end to end on WebGPU: trainRun for the MLP, CNN and ResNet, every
 * optimizer, per-layer diagnostics and curvature, accumulation and discarding; the
 * curvature estimators against the cpu backend; a device lost mid-run. (WebGPU in Node
 * cannot read synchronously; `npm run lint` keeps dataSync/arraySync/bufferSync out of
 * main/engine outside the wasm kernels.)
 */
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import type { RunSpecInput } from '../../../common/spec';
import { estimateLayerCurvature } from '../../../main/engine/diagnostics/curvature';
import { trainRun } from '../../../main/engine/training/train-run';
import { createTinyMlp } from '../diagnostics/tiny-mlp';
import { RecordingSink } from '../training/record-sink';
import { describeWebgpu, webgpuAvailability } from './webgpu-suite';

const availability = await webgpuAvailability();

const blobs = { kind: 'blobs', samples: 256, classes: 3, features: 8, spread: 0.8 } as const;
const mnist = { kind: 'mnist', trainLimit: 256, testLimit: 64 } as const;

async function run(input: RunSpecInput, sink = new RecordingSink()): Promise<{ sink: RecordingSink; status: string }> {
  const summary = await trainRun({ backend: 'webgpu', ...input }, sink);
  return { sink, status: summary.status };
}

describeWebgpu('the engine on WebGPU', availability, () => {
  it('the same step losses as on cpu (MLP, momentum, diagnostics every step)', async () => {
    const spec: RunSpecInput = { dataset: mnist, model: { kind: 'mlp', hidden: [32] }, optimizer: { name: 'momentum' }, batch: { size: 32 }, training: { steps: 10 }, diagnostics: { every: 1, curvatureEvery: 0 } };
    const cpu = new RecordingSink();
    await trainRun({ ...spec, backend: 'cpu' }, cpu);
    const { sink: gpu } = await run(spec);
    expect(gpu.info?.backend.name).toBe('webgpu');
    expect(gpu.steps.map((s) => s.step)).toEqual(cpu.steps.map((s) => s.step));
    gpu.steps.forEach((s, i) => expect(Math.abs(s.loss - cpu.steps[i]!.loss) / cpu.steps[i]!.loss).toBeLessThan(1e-3));
    expect(gpu.layerRows.length).toBe(cpu.layerRows.length);
    // WebGPU sums the layer statistics on the device, cpu in place in host memory (layer-stats.ts)
    gpu.layerRows.forEach((r, i) => {
      const c = cpu.layerRows[i]!;
      for (const key of ['gradNorm', 'weightNorm', 'updateNorm'] as const) {
        expect(Math.abs(r[key] - c[key]) / c[key], `row ${i} ${key}`).toBeLessThan(1e-3);
      }
    });
  }, 600_000);

  it('every optimizer trains an MLP with layer statistics and curvature', async () => {
    for (const name of ['sgd', 'momentum', 'adam', 'adamw', 'lars', 'lamb', 'cblr', 'mclr'] as const) {
      const { sink, status } = await run({
        dataset: blobs,
        model: { kind: 'mlp', hidden: [16] },
        optimizer: { name },
        batch: { size: 32 },
        training: { steps: 4 },
        diagnostics: { every: 1, curvatureEvery: 2 },
      });
      expect(status, name).toBe('completed');
      expect(sink.steps.every((s) => Number.isFinite(s.loss)), name).toBe(true);
      expect(sink.layerRows.some((r) => r.curvature !== null), name).toBe(true);
    }
  }, 600_000);

  it('a CNN with accumulation (micro-batches) and discarding, and a ResNet', async () => {
    const cnn = await run({
      dataset: mnist,
      model: { kind: 'cnn', conv: [{ filters: 4, kernelSize: 3, stride: 1, padding: 'same', pool: 2 }], dense: [16] },
      batch: { size: 32, microBatch: 8 },
      training: { steps: 3 },
      diagnostics: { curvatureEvery: 0 },
      discard: { fraction: 0.25, fromEpoch: 0 },
    });
    expect(cnn.status).toBe('completed');
    expect(cnn.sink.steps.every((s) => s.discarded === 8)).toBe(true);
    const resnet = await run({ dataset: mnist, model: { kind: 'resnet', stages: [1], width: 4 }, batch: { size: 16 }, training: { steps: 2 }, diagnostics: { curvatureEvery: 0 } });
    expect(resnet.status).toBe('completed');
  }, 600_000);

  it('curvature estimators agree with cpu within 1e-3', async () => {
    const estimate = async (backend: string, estimator: Parameters<typeof estimateLayerCurvature>[2]): Promise<number[]> => {
      await tf.setBackend(backend);
      const mlp = createTinyMlp();
      try {
        return (await estimateLayerCurvature(mlp.groups, mlp.lossFn, estimator)).kappa;
      } finally {
        mlp.dispose();
      }
    };
    for (const estimator of ['gradient-difference', 'loss-difference', 'hutchinson', 'all-layers', 'lars-proxy'] as const) {
      const cpu = await estimate('cpu', estimator);
      const gpu = await estimate('webgpu', estimator);
      cpu.forEach((k, l) => expect(Math.abs(gpu[l]! - k), `${estimator} layer ${l}: cpu ${k} webgpu ${gpu[l]}`).toBeLessThan(1e-3 * Math.max(1, Math.abs(k))));
    }
  }, 600_000);

  it('a device lost mid-run fails the run with the reason instead of hanging', async () => {
    const sink = new RecordingSink();
    const destroyAfterTwo = Object.assign(sink, {
      step(metrics: (typeof sink.steps)[number]) {
        sink.steps.push(metrics);
        if (metrics.step === 2) (tf.backend() as unknown as { device: { destroy(): void } }).device.destroy();
      },
    });
    await expect(trainRun({ backend: 'webgpu', dataset: blobs, model: { kind: 'mlp', hidden: [8] }, batch: { size: 32 }, training: { steps: 50 }, diagnostics: { curvatureEvery: 0 } }, destroyAfterTwo)).rejects.toThrow(
      /the WebGPU device was lost/,
    );
    expect(sink.steps.length).toBeLessThan(50);
  }, 600_000);
});
