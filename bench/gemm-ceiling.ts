/**
 * Child: the MLP training step's arithmetic rate against the rate of one large
 * MatMul on the same backend (wasm, Batchscope's kernels registered), timed in
 * turns in this one process so machine load hits both alike. Also profiles the
 * step per kernel, to say how much of it is MatMul.
 *
 *   node bin/run-ts.mjs bench/gemm-ceiling.ts [--size 1024 --rounds 5 --calls 5 --warmup-ms 2000]
 *
 * The large product runs on the kernel the step's products run on (Batchscope's own
 * GEMM, gemm-matmul.ts; XNNPACK under BATCHSCOPE_WASM_GEMM=off, which then packs the
 * fixed weights once): its sustained rate is the ceiling a step made only of products
 * could reach. The step's products are smaller, which is part of the distance measured.
 * Both are awaited per call: the step's update runs after its loss is read back.
 */
import * as tf from '@tensorflow/tfjs-core';
import { parseArgs } from 'node:util';
import { emitResult } from './child-process';
import { engineTrainer } from './engine-trainer';
import { byKernelName, profileKernels, type KernelProfile } from './kernel-profile';
import { median, timePerCallAsync, warmUp, type Summary } from './stats';
import { mlpLayerWidths, mlpStepFlops } from './step-flops';
import { workloads } from './workloads';

export interface RateResult {
  what: string;
  flops: number;
  /** ms per call, median over rounds of each round's median */
  wallMs: number;
  cpuMs: number;
  gflopsWall: number;
  gflopsCpu: number;
  /** the fastest repetition's wall ms per call: on a shared machine, the one least disturbed */
  bestWallMs: number;
  gflopsWallBest: number;
  rounds: Summary[];
}

export interface GemmCeilingResult {
  ceiling: RateResult;
  step: RateResult;
  batchSize: number;
  runtime: string;
  /** MatMul kernels' share of the profiled step: of the kernels' time and of its wall time */
  matMulShare: { ofKernels: number; ofWall: number; matMulMs: number };
  profile: KernelProfile;
}

const { values } = parseArgs({
  options: { size: { type: 'string', default: '1024' }, rounds: { type: 'string', default: '5' }, calls: { type: 'string', default: '5' }, 'warmup-ms': { type: 'string', default: '2000' } },
});
const STEP_WARMUP_MS = Number(values['warmup-ms']);
const size = Number(values.size);
const rounds = Number(values.rounds);
const callsPerRep = Number(values.calls);

const mlp = workloads.mlp;
if (mlp.model.kind !== 'mlp') throw new Error('workloads.mlp is not an MLP');
const trainer = await engineTrainer(mlp, mlp.batchSize);
const widths = mlpLayerWidths(mlp.inputShape.reduce((a, b) => a * b, 1), mlp.model.hidden, mlp.numClasses);
const stepFlops = mlpStepFlops(widths, trainer.batchSize);

const a = tf.randomUniform([size, size], -1, 1, 'float32', 5);
const b = tf.randomUniform([size, size], -1, 1, 'float32', 6);
const bigMatMul = async (): Promise<void> => tf.matMul(a, b).dispose();
const ceilingFlops = 2 * size ** 3;

const wall: [number[], number[]] = [[], []];
const cpu: [number[], number[]] = [[], []];
const bestWall: [number, number] = [Infinity, Infinity];
const perRound: [Summary[], Summary[]] = [[], []];
const fns = [bigMatMul, trainer.step];
// warm-up: heap growth, and the step's JavaScript optimized as in a run's thousands of steps
// (its round medians still fell 8.9 → 7.2 ms over the first 80 calls after 3 warm-up calls)
await warmUp(bigMatMul, { warmup: 3 });
await warmUp(trainer.step, { warmup: 3, warmupMs: STEP_WARMUP_MS });
for (let r = 0; r < rounds; r++) {
  for (const [i, fn] of fns.entries()) {
    const t = await timePerCallAsync(fn, { warmup: 1, reps: 3, callsPerRep });
    wall[i]!.push(t.wall.median);
    cpu[i]!.push(t.cpu.median);
    bestWall[i] = Math.min(bestWall[i]!, t.wall.min);
    perRound[i]!.push(t.wall);
  }
}

function rate(i: 0 | 1, what: string, flops: number): RateResult {
  const wallMs = median(wall[i]);
  const cpuMs = median(cpu[i]);
  const bestWallMs = bestWall[i];
  return { what, flops, wallMs, cpuMs, gflopsWall: flops / wallMs / 1e6, gflopsCpu: flops / cpuMs / 1e6, bestWallMs, gflopsWallBest: flops / bestWallMs / 1e6, rounds: perRound[i] };
}

const profile = await profileKernels(trainer.step, 20, 'cpu');
const matMulMs = byKernelName(profile)
  .filter((k) => /MatMul/.test(k.kernel))
  .reduce((s, k) => s + k.totalMs, 0);
const result: GemmCeilingResult = {
  ceiling: rate(0, `MatMul ${size}×${size}·${size}×${size}`, ceilingFlops),
  step: rate(1, `${mlp.label} training step, B=${trainer.batchSize}`, stepFlops),
  batchSize: trainer.batchSize,
  runtime: `tfjs ${tf.version_core} ${trainer.backend.name} (${trainer.backend.package} ${trainer.backend.version}), Batchscope kernels, 1 thread`,
  matMulShare: { ofKernels: matMulMs / profile.kernelMs, ofWall: matMulMs / profile.wallMs, matMulMs },
  profile,
};
tf.dispose([a, b]);
emitResult(result);
