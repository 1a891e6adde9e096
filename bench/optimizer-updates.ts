/**
 * One optimizer update of the MLP 784-256-128-10's six parameters (235k weights) on wasm, in
 * one pass (SgdUpdate; MomentumUpdate for momentum and LARS; AdamUpdate; both halves of LAMB:
 * wasm-update-kernels.ts) against the stock route (a tfjs kernel per operation), in this one
 * process: the one-pass route first, then the kernels are unregistered and the same optimizers,
 * each from the same fresh weights and state, timed again.
 *
 *   node bin/run-ts.mjs bench/optimizer-updates.ts [--decay 5e-4] [--calls 200]
 */
import * as tf from '@tensorflow/tfjs-core';
import { optimizerSpecSchema } from '../common/spec';
import { parseArgs } from 'node:util';
import { selectBackend } from '../main/engine/backend';
import { AdamUpdate, MomentumUpdate, SgdUpdate } from '../main/engine/kernels/update-kernels';
import type { LayerGroup } from '../main/engine/models/layer-group';
import { AdamOptimizer, type AdamSpec } from '../main/engine/optimizers/adam';
import { LambOptimizer, type LambSpec } from '../main/engine/optimizers/lamb';
import { LarsOptimizer, type LarsSpec } from '../main/engine/optimizers/lars';
import { MomentumOptimizer } from '../main/engine/optimizers/momentum';
import type { LayerOptimizer } from '../main/engine/optimizers/optimizer';
import { SgdOptimizer } from '../main/engine/optimizers/sgd';
import { timePerCallAsync } from './stats';

const { values } = parseArgs({ options: { decay: { type: 'string', default: '0' }, calls: { type: 'string', default: '200' } } });
const weightDecay = Number(values.decay);
const callsPerRep = Number(values.calls);

await selectBackend('wasm');
const widths = [784, 256, 128, 10];
const names = ['SGD', 'momentum (heavy ball)', 'LARS', 'Adam', 'LAMB'];

/** The MLP's parameters, gradients and one optimizer of each kind, all fresh and alike for each route. */
function fresh(): { groups: LayerGroup[]; grads: tf.Tensor[][]; optimizers: LayerOptimizer[] } {
  const groups: LayerGroup[] = widths.slice(1).map((fanOut, l) => ({
    name: `dense_${l}`,
    kind: 'dense',
    params: [tf.variable(tf.randomUniform([widths[l]!, fanOut], -0.1, 0.1, 'float32', 1 + l)), tf.variable(tf.zeros([fanOut]))],
    roles: ['weight', 'bias'],
  }));
  const grads = groups.map((g, l) => g.params.map((p, i) => tf.randomUniform(p.shape, -1, 1, 'float32', 10 + 2 * l + i)));
  const optimizers: LayerOptimizer[] = [
    new SgdOptimizer({ name: 'sgd', weightDecay }, groups),
    new MomentumOptimizer({ name: 'momentum', momentum: 0.9, nesterov: false, weightDecay }, groups),
    // LARS and LAMB: their layer norms included (one batched read), which the one pass does not change
    new LarsOptimizer(optimizerSpecSchema.parse({ name: 'lars', weightDecay }) as LarsSpec, groups),
    new AdamOptimizer(optimizerSpecSchema.parse({ name: 'adam', weightDecay }) as AdamSpec, groups),
    new LambOptimizer(optimizerSpecSchema.parse({ name: 'lamb', weightDecay }) as LambSpec, groups),
  ];
  return { groups, grads, optimizers };
}

/** ms per update of each optimizer, each starting from the same weights and state. */
async function route(): Promise<number[]> {
  const ms: number[] = [];
  for (let k = 0; k < names.length; k++) {
    const { groups, grads, optimizers } = fresh();
    let step = 0;
    const t = await timePerCallAsync(async () => void (await optimizers[k]!.apply({ groups, grads, lr: 0.01, step: step++ })), { warmup: 100, reps: 7, callsPerRep });
    ms.push(t.wall.median);
    optimizers.forEach((o) => o.dispose());
    groups.forEach((g) => g.params.forEach((p) => p.dispose()));
    tf.dispose(grads.flat());
  }
  return ms;
}

const onePass = await route();
tf.unregisterKernel(SgdUpdate, 'wasm');
tf.unregisterKernel(MomentumUpdate, 'wasm');
tf.unregisterKernel(AdamUpdate, 'wasm');
const stock = await route();
process.stdout.write(`weight decay ${weightDecay}, ms per update (median of 7 × ${callsPerRep} calls)\n`);
names.forEach((name, i) => process.stdout.write(`${name.padEnd(24)} one pass ${onePass[i]!.toFixed(3)}  stock kernels ${stock[i]!.toFixed(3)}\n`));
