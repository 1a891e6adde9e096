/**
 * The WebGPU bench row: the default CNN (conv5x5·16 – pool – conv5x5·32 – pool – dense 128)
 * on MNIST at B=1024, samples/s on wasm and on WebGPU, printed with the adapter. The
 * target on a real GPU is ≥ 10× wasm; on a software adapter (lavapipe) only the
 * correctness column means anything: both backends start from the same weights and
 * batch, so their first-step losses must agree.
 *
 *   node bin/run-ts.mjs bench/webgpu-vs-wasm.ts [--steps 5] [--quick]
 *
 * The step is the engine's model, loss and optimizer with an async loss read (what the
 * training loop does once every read is async), not trainRun, so both backends run
 * the same code whatever the state of the other branches' read conversion.
 */
import * as tf from '@tensorflow/tfjs-core';
import { parseArgs } from 'node:util';
import { adapterLabel } from '../common/adapter-label';
import type { BackendInfo } from '../common/metrics';
import { parseRunSpec } from '../common/spec';
import { selectBackend } from '../main/engine/backend';
import { loadDataset } from '../main/engine/data/load-dataset';
import { buildModel } from '../main/engine/models/build-model';
import { createOptimizer } from '../main/engine/optimizers/create-optimizer';
import { BatchSource, disposeBatch } from '../main/engine/training/batch-source';
import { perSampleCrossEntropy } from '../main/engine/training/loss';

const { values } = parseArgs({ options: { steps: { type: 'string', default: '5' }, quick: { type: 'boolean', default: false } } });
const steps = values.quick ? 1 : Math.max(1, Number(values.steps));
const B = 1024;
const spec = parseRunSpec({ dataset: { kind: 'mnist', trainLimit: 4 * B }, model: { kind: 'cnn' }, optimizer: { name: 'sgd' }, batch: { size: B } });

interface Measured {
  info: BackendInfo;
  firstLoss: number;
  samplesPerSec: number;
}

async function measure(backend: 'wasm' | 'webgpu'): Promise<Measured> {
  const info = await selectBackend(backend);
  const data = await loadDataset(spec.dataset, spec.training.seed);
  const model = buildModel(spec.model, data.inputShape, data.numClasses, spec.training.seed);
  const optimizer = createOptimizer(spec.optimizer, model.groups);
  const source = new BatchSource(data.train, data.inputShape, data.numClasses, spec.training.seed + 1);
  const vars = model.groups.flatMap((g) => g.params);
  source.startEpoch();
  const step = async (i: number): Promise<number> => {
    const batch = source.next(B);
    const { value, grads } = tf.variableGrads(() => tf.mean(perSampleCrossEntropy(model.apply(batch.x, { training: true, updateStats: true }), batch.oneHot)) as tf.Scalar, vars);
    const loss = (await value.data())[0]!;
    await optimizer.apply({ groups: model.groups, grads: model.groups.map((g) => g.params.map((p) => grads[p.name]!)), lr: 0.01, step: i });
    tf.dispose([value, grads]);
    disposeBatch(batch);
    return loss;
  };
  try {
    // the first step compiles every kernel (shaders on WebGPU): the warm-up, and the correctness probe
    const firstLoss = await step(0);
    const started = performance.now();
    for (let i = 1; i <= steps; i++) await step(i);
    const seconds = (performance.now() - started) / 1000;
    return { info, firstLoss, samplesPerSec: (B * steps) / seconds };
  } finally {
    optimizer.dispose();
    model.dispose();
  }
}

const wasm = await measure('wasm');
let gpu: Measured;
try {
  gpu = await measure('webgpu');
} catch (error) {
  console.log(`cnn-webgpu-vs-wasm B=${B}: WebGPU unavailable (${error instanceof Error ? error.message : String(error)}); wasm ${wasm.samplesPerSec.toFixed(0)} samples/s`);
  process.exit(0);
}
const adapter = gpu.info.adapter;
const lossDiff = Math.abs(gpu.firstLoss - wasm.firstLoss) / Math.abs(wasm.firstLoss);
const speedup = gpu.samplesPerSec / wasm.samplesPerSec;
console.log(`cnn-webgpu-vs-wasm  CNN (default), MNIST, B=${B}, ${steps} timed step(s) after one warm-up`);
console.log(`  adapter   ${adapter ? `${adapterLabel(adapter)} — ${adapter.description || adapter.device}` : 'unknown'}`);
console.log(`  wasm      ${wasm.samplesPerSec.toFixed(0).padStart(8)} samples/s`);
console.log(`  webgpu    ${gpu.samplesPerSec.toFixed(0).padStart(8)} samples/s   ${speedup.toFixed(2)}× wasm (target ≥ 10× on a real GPU)`);
console.log(`  first-step loss: wasm ${wasm.firstLoss.toFixed(6)}, webgpu ${gpu.firstLoss.toFixed(6)} (relative difference ${lossDiff.toExponential(1)}) ${lossDiff < 1e-3 ? 'agree' : 'DISAGREE'}`);
if (adapter?.software) console.log('  software adapter: the speed column means nothing here, only the loss agreement does');
process.exit(lossDiff < 1e-3 ? 0 : 1);
