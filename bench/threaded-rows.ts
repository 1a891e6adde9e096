/**
 * The rows that need more than one thread in one run (issue #10's data-parallel
 * shards, asked for with the spec's `threads`):
 *   - one run, MLP B=1024 on MNIST, 2 threads vs 1 thread
 *   - one run, CNN B=512 on MNIST, 2 threads vs 1 thread
 *   - CNN B=512 vs PyTorch, 2 threads each (Batchscope's training step alone)
 * Batchscope trains through `trainRun` (train-child.ts), as a run of the app would;
 * throughput counts the steps only (the sum of their times as the loop reports
 * them), not the data loading or the final evaluation. The scaling rows train with the
 * spec's default diagnostics but sharpness (run-specs.ts, withoutSharpness): every
 * step's layer statistics and ΔL, the study diagnostics every 10 steps, curvature every 50.
 */
import { join } from 'node:path';
import { repoRoot, runChild, runTsChild } from './child-process';
import { formatNumber, unmeasuredRow, type Row, type Target } from './report';
import { bareRunSpec, cnnRunSpec, mlpRunSpec, withoutSharpness, withThreads } from './run-specs';
import { median } from './stats';
import { stepArgList, type StepResult } from './step-result';
import { pinnedThreadEnv, type TorchPython } from './torch-python';
import type { TrainChildResult } from './train-child';
import type { RunSpecInput } from '../common/spec';

export const THREADED_ROW_IDS = ['mlp-2-threads', 'cnn-2-threads', 'cnn-vs-torch-2-threads'] as const;
export type ThreadedRowId = (typeof THREADED_ROW_IDS)[number];

export interface ThreadedRowOptions {
  rounds: number;
  /** steps per run */
  steps: number;
  torch: TorchPython;
  child: { reps: number; warmup: number; warmupMs: number; callsPerRep: number };
  log: (line: string) => void;
}

const THREADS = 2;

/** ms per training step of a run, from the loop's own step times */
async function runStepMs(spec: RunSpecInput): Promise<number> {
  const r = await runTsChild<TrainChildResult>('train-child.ts', [JSON.stringify(spec)], { timeoutMs: 20 * 60_000 });
  return r.stepsMs / r.summary.steps;
}

async function scalingRow(id: ThreadedRowId, label: string, spec: RunSpecInput, batchSize: number, o: ThreadedRowOptions): Promise<Row> {
  const target: Target = { op: '>=', value: 1.8, unit: '×' };
  const one: number[] = [];
  const two: number[] = [];
  for (let round = 0; round < o.rounds; round++) {
    for (const threads of [1, THREADS]) {
      o.log(`  ${id} · ${threads} thread(s) · round ${round + 1}/${o.rounds}`);
      const ms = await runStepMs(withThreads(withoutSharpness(spec), threads));
      (threads === 1 ? one : two).push(ms);
      o.log(`    ${ms.toFixed(1)} ms/step`);
    }
  }
  const [oneMs, twoMs] = [median(one), median(two)];
  const sps = (ms: number): string => `${formatNumber(batchSize / (ms / 1000))} samples/s (${ms.toFixed(1)} ms/step)`;
  return {
    id,
    label,
    batchscope: `${sps(twoMs)}, ${THREADS} threads`,
    reference: `${sps(oneMs)}, 1 thread`,
    measured: oneMs / twoMs,
    target,
    notes: [
      `step ms with 1 thread [${one.map((v) => v.toFixed(1)).join(', ')}], with ${THREADS} [${two.map((v) => v.toFixed(1)).join(', ')}]`,
      'default diagnostics but sharpness (due at the first and last step of a short run, every 1000 steps otherwise)',
    ],
  };
}

async function cnnVsTorchRow(label: string, spec: RunSpecInput, batchSize: number, o: ThreadedRowOptions): Promise<Row> {
  const id: ThreadedRowId = 'cnn-vs-torch-2-threads';
  const target: Target = { op: '>=', value: 1, unit: '×' };
  if (!o.torch.ok) return unmeasuredRow(id, label, target, o.torch.why);
  const python = o.torch.python;
  const ours: number[] = [];
  const theirs: number[] = [];
  let runtime = '';
  for (let round = 0; round < o.rounds; round++) {
    o.log(`  ${id} · Batchscope · round ${round + 1}/${o.rounds}`);
    ours.push(await runStepMs(withThreads(bareRunSpec(spec), THREADS)));
    o.log(`  ${id} · PyTorch · round ${round + 1}/${o.rounds}`);
    const args = stepArgList({ workload: 'cnn', batchSize, threads: THREADS, profile: false, ...o.child });
    const r = await runChild<StepResult>(python, [join(repoRoot, 'bench/torch_reference.py'), ...args], { timeoutMs: 15 * 60_000, env: pinnedThreadEnv(THREADS) });
    theirs.push(r.stepMs.median);
    runtime = r.runtime;
  }
  const [oursMs, theirsMs] = [median(ours), median(theirs)];
  return {
    id,
    label,
    batchscope: `${formatNumber(batchSize / (oursMs / 1000))} samples/s (${oursMs.toFixed(1)} ms/step)`,
    reference: `${formatNumber(batchSize / (theirsMs / 1000))} samples/s (${theirsMs.toFixed(1)} ms/step) (PyTorch + ${o.torch.blas.kind})`,
    measured: theirsMs / oursMs,
    target,
    notes: [`PyTorch: ${runtime}`, 'Batchscope: trainRun with diagnostics as sparse as the spec allows, step times as the loop reports them'],
  };
}

export async function threadedRows(ids: readonly ThreadedRowId[], o: ThreadedRowOptions): Promise<Row[]> {
  const rows: Row[] = [];
  for (const id of ids) {
    const mlp = mlpRunSpec({ batchSize: 1024, steps: o.steps });
    const cnn = cnnRunSpec({ batchSize: 512, steps: o.steps });
    const [label, target]: [string, Target] =
      id === 'mlp-2-threads'
        ? ['one run, MLP 784-256-128-10 B=1024 on MNIST: 2 threads vs 1', { op: '>=', value: 1.8, unit: '×' }]
        : id === 'cnn-2-threads'
          ? ['one run, CNN B=512 on MNIST: 2 threads vs 1', { op: '>=', value: 1.8, unit: '×' }]
          : ['CNN B=512: vs PyTorch, 2 threads each', { op: '>=', value: 1, unit: '×' }];
    try {
      if (id === 'mlp-2-threads') rows.push(await scalingRow(id, label, mlp, 1024, o));
      else if (id === 'cnn-2-threads') rows.push(await scalingRow(id, label, cnn, 512, o));
      else rows.push(await cnnVsTorchRow(label, cnn, 512, o));
    } catch (error) {
      rows.push(unmeasuredRow(id, label, target, `a run failed: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`));
    }
  }
  return rows;
}
