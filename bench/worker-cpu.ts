/**
 * `node bin/run-ts.mjs bench/worker-cpu.ts [--steps 800] [--workload mnist|blobs]`: how many cores
 * one training process uses, thread by thread (Linux /proc), for a run alone. Two runs on two
 * cores scale by at most 2 / (the cores one run uses, with its relay and coordinator): this is
 * what bounds the "2 workers vs 1" row of bench/distributed.ts (docs/benchmarks.md, Distributed).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { RunSpecInput } from '../common/spec';
import { forkWorker } from '../main/worker/fork-worker';
import { mlpRunSpec } from './run-specs';

const { values } = parseArgs({ options: { steps: { type: 'string', default: '800' }, workload: { type: 'string', default: 'mnist' } } });
const steps = Number(values.steps);
const spec: RunSpecInput =
  values.workload === 'mnist'
    ? { ...mlpRunSpec({ batchSize: 256, steps }), threads: 1 }
    : { dataset: { kind: 'blobs', samples: 4000, features: 32 }, model: { kind: 'mlp', hidden: [128, 128] }, batch: { size: 128 }, training: { steps, evalEverySteps: 50 }, diagnostics: { curvatureEvery: 0 }, threads: 1 };

/** CPU seconds (utime + stime) of each thread of `pid`, by thread id, with its name. */
function threadCpu(pid: number): { tid: string; name: string; seconds: number }[] {
  return readdirSync(`/proc/${pid}/task`).map((tid) => {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { tid, name, seconds: (Number(fields[11]) + Number(fields[12])) / 100 };
  });
}

const t0 = performance.now();
let startedAt = 0;
let threads: ReturnType<typeof threadCpu> = [];
const handle = forkWorker(spec, (message) => {
  if (message.type === 'started') startedAt = performance.now();
  if (message.type === 'finished' || message.type === 'failed') threads = threadCpu(handle.child.pid!);
});
await handle.exited;
const wall = (performance.now() - t0) / 1000;
const main = threads.find((t) => t.tid === String(handle.child.pid))!;
const others = threads.filter((t) => t !== main);
const otherSeconds = others.reduce((s, t) => s + t.seconds, 0);
const total = main.seconds + otherSeconds;
process.stdout.write(`${values.workload}, ${steps} steps, 1 thread: fork → started ${((startedAt - t0) / 1000).toFixed(1)} s, → finished ${wall.toFixed(1)} s\n`);
process.stdout.write(`CPU: main thread ${main.seconds.toFixed(2)} s, ${others.length} other threads ${otherSeconds.toFixed(2)} s (${others.filter((t) => t.seconds >= 0.05).map((t) => `${t.name} ${t.seconds.toFixed(2)}`).join(', ')})\n`);
process.stdout.write(`cores used by the run alone: ${(total / wall).toFixed(2)} (main thread ${(main.seconds / wall).toFixed(2)})\n`);
