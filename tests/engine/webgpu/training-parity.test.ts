/**
 * Twenty optimizer steps of the engine's MLP and CNN on real MNIST give the same losses
 * on WebGPU as on the cpu backend (within 1e-3 relative), from the same seeded weights
 * and batches. Built from the engine's own model, loss, batch source and optimizers,
 * reading every loss back asynchronously.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, expect, it } from 'vitest';
import { parseRunSpec, type RunSpecInput } from '../../../common/spec';
import { loadDataset } from '../../../main/engine/data/load-dataset';
import { buildModel } from '../../../main/engine/models/build-model';
import { createOptimizer } from '../../../main/engine/optimizers/create-optimizer';
import { streamSeed } from '../../../main/engine/seed-streams';
import { BatchSource, disposeBatch } from '../../../main/engine/training/batch-source';
import { perSampleCrossEntropy } from '../../../main/engine/training/loss';
import { describeWebgpu, webgpuAvailability, type ComparedBackend } from './webgpu-suite';

const STEPS = 20;
const TOLERANCE = 1e-3;
const availability = await webgpuAvailability();
const agreement: string[] = [];

async function losses(backend: ComparedBackend, input: RunSpecInput): Promise<number[]> {
  await tf.setBackend(backend);
  const spec = parseRunSpec(input);
  const data = await loadDataset(spec.dataset, spec.training.seed);
  const model = buildModel(spec.model, data.inputShape, data.numClasses, spec.training.seed);
  const optimizer = createOptimizer(spec.optimizer, model.groups);
  const source = new BatchSource(data.train, data.inputShape, data.numClasses, streamSeed(spec.training.seed, 'batchOrder'));
  const vars = model.groups.flatMap((g) => g.params);
  const out: number[] = [];
  try {
    source.startEpoch();
    const tensorsAtStart = tf.memory().numTensors;
    for (let step = 0; step < STEPS; step++) {
      const batch = source.next(spec.batch.size);
      const { value, grads } = tf.variableGrads(
        () => tf.mean(perSampleCrossEntropy(model.apply(batch.x, { training: true, updateStats: true }), batch.oneHot)) as tf.Scalar,
        vars,
      );
      out.push((await value.data())[0]!);
      await optimizer.apply({ groups: model.groups, grads: model.groups.map((g) => g.params.map((p) => grads[p.name]!)), lr: spec.lr.base, step });
      tf.dispose([value, grads]);
      disposeBatch(batch);
    }
    // the optimizer's slots are made on its first step; after that nothing may pile up
    expect(tf.memory().numTensors).toBeLessThanOrEqual(tensorsAtStart + 3 * vars.length);
    return out;
  } finally {
    optimizer.dispose();
    model.dispose();
  }
}

async function expectSameLosses(what: string, input: RunSpecInput): Promise<void> {
  const cpu = await losses('cpu', input);
  const gpu = await losses('webgpu', input);
  const relative = gpu.map((l, i) => Math.abs(l - cpu[i]!) / Math.abs(cpu[i]!));
  const worst = Math.max(...relative);
  agreement.push(`${what}: max relative loss difference ${worst.toExponential(1)} over ${STEPS} steps (cpu ${cpu[0]!.toFixed(4)} → ${cpu.at(-1)!.toFixed(4)})`);
  expect(cpu.at(-1)!, 'the loss must fall, or the comparison proves little').toBeLessThan(cpu[0]!);
  relative.forEach((r, i) => expect(r, `${what} step ${i + 1}: cpu ${cpu[i]} webgpu ${gpu[i]}`).toBeLessThan(TOLERANCE));
}

const mnist = { kind: 'mnist', trainLimit: 1280, testLimit: 100 } as const;

describeWebgpu('20 training steps, WebGPU vs cpu', availability, () => {
  afterAll(() => console.log(agreement.join('\n')));

  it('MLP 784-128-64-10, momentum, B=64', async () => {
    await expectSameLosses('MLP momentum', {
      dataset: mnist,
      model: { kind: 'mlp', hidden: [128, 64] },
      optimizer: { name: 'momentum' },
      lr: { base: 0.05 },
      batch: { size: 64 },
    });
  }, 600_000);

  it('CNN conv5x5·8 – pool – conv3x3·16 stride 2 – dense 32, adam, B=16', async () => {
    await expectSameLosses('CNN adam', {
      dataset: mnist,
      model: {
        kind: 'cnn',
        conv: [
          { filters: 8, kernelSize: 5, stride: 1, padding: 'same', pool: 2 },
          { filters: 16, kernelSize: 3, stride: 2, padding: 'valid', pool: 1 },
        ],
        dense: [32],
      },
      optimizer: { name: 'adam' },
      lr: { base: 1e-3 },
      batch: { size: 16 },
    });
  }, 600_000);
});
