/**
 * The MLP training step (bench/engine-trainer.ts, B = 256) in a plain loop: 200 warm-up steps,
 * then N timed ones, mean wall ms per step. For A/Bs between processes (old source, new source,
 * in turns) and for CPU profiles of the step (`node --cpu-prof`); the bench rows time the step
 * with their own statistics (bench/engine-step.ts, bench/gemm-ceiling.ts).
 *
 *   N=800 node bin/run-ts.mjs bench/step-loop.ts
 */
import { engineTrainer } from './engine-trainer';
import { workloads } from './workloads';

const trainer = await engineTrainer(workloads.mlp, 256);
for (let i = 0; i < 200; i++) await trainer.step();
const steps = Number(process.env.N ?? 1000);
const start = performance.now();
for (let i = 0; i < steps; i++) await trainer.step();
console.log('wall ms/step', ((performance.now() - start) / steps).toFixed(3));
