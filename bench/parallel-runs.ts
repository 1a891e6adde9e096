/**
 * Row: two training runs at once, each in its own worker process (forkWorker, as
 * the app's runner starts them), against one run alone. Throughput is counted
 * only while every run of the group is stepping: from the moment the last one
 * reaches its warm-up step to the moment the first one takes its last step, using
 * the arrival times of the workers' step messages.
 */
import type { RunSpecInput } from '../common/spec';
import { forkWorker } from '../main/worker/fork-worker';
import { formatNumber, unmeasuredRow, type Row } from './report';
import { mlpRunSpec } from './run-specs';
import { median } from './stats';

export interface ParallelRunsOptions {
  batchSize: number;
  steps: number;
  rounds: number;
  log: (line: string) => void;
}

/** steps left out at the start of each run (wasm compile, first allocations) */
const WARMUP_STEPS = 3;

interface StepTrace {
  /** parent clock, ms */
  at: number[];
  samplesSeen: number[];
}

function runWorker(spec: RunSpecInput): Promise<StepTrace> {
  const trace: StepTrace = { at: [], samplesSeen: [] };
  return new Promise((resolve, reject) => {
    const handle = forkWorker(spec, (message) => {
      if (message.type === 'step') {
        trace.at.push(performance.now());
        trace.samplesSeen.push(message.metrics.samplesSeen);
      } else if (message.type === 'failed') reject(new Error(`worker failed: ${message.error.message}`));
      else if (message.type === 'finished') resolve(trace);
    });
    void handle.exited.then(({ code, signal }) => reject(new Error(`worker exited (${code ?? signal}) before finishing: ${handle.stderrTail().slice(-500)}`)));
  });
}

/** samples seen by time t, linear between step messages */
function samplesAt(trace: StepTrace, t: number): number {
  const i = trace.at.findIndex((at) => at >= t);
  if (i <= 0) return i === 0 ? trace.samplesSeen[0]! : trace.samplesSeen.at(-1)!;
  const [t0, t1] = [trace.at[i - 1]!, trace.at[i]!];
  const [s0, s1] = [trace.samplesSeen[i - 1]!, trace.samplesSeen[i]!];
  return s0 + ((s1 - s0) * (t - t0)) / Math.max(t1 - t0, 1e-9);
}

/** Total samples/s of a group of runs over the window in which all of them were stepping. */
export function overlappedThroughput(traces: StepTrace[]): { samplesPerSec: number; windowMs: number } {
  const start = Math.max(...traces.map((t) => t.at[Math.min(WARMUP_STEPS, t.at.length - 1)]!));
  const end = Math.min(...traces.map((t) => t.at.at(-1)!));
  if (!(end > start)) throw new Error('the runs did not overlap: make them longer');
  const samples = traces.reduce((sum, t) => sum + samplesAt(t, end) - samplesAt(t, start), 0);
  return { samplesPerSec: samples / ((end - start) / 1000), windowMs: end - start };
}

export async function parallelRunsRow(o: ParallelRunsOptions): Promise<Row> {
  const id = 'parallel-runs';
  const label = `2 runs at once (2 worker processes) vs 1 run, MLP B=${o.batchSize}: total samples/s`;
  const target = { op: '>=', value: 1.8, unit: '×' } as const;
  const spec = mlpRunSpec({ batchSize: o.batchSize, steps: o.steps });
  const single: number[] = [];
  const pair: number[] = [];
  const windows: number[] = [];
  try {
    for (let round = 0; round < o.rounds; round++) {
      o.log(`  one run · round ${round + 1}/${o.rounds}`);
      const one = overlappedThroughput([await runWorker(spec)]);
      single.push(one.samplesPerSec);
      o.log(`    ${formatNumber(one.samplesPerSec)} samples/s`);
      o.log(`  two runs · round ${round + 1}/${o.rounds}`);
      const two = overlappedThroughput(await Promise.all([runWorker(spec), runWorker({ ...spec, training: { ...spec.training!, seed: 2 } })]));
      pair.push(two.samplesPerSec);
      windows.push(two.windowMs);
      o.log(`    ${formatNumber(two.samplesPerSec)} samples/s in total over ${(two.windowMs / 1000).toFixed(1)} s of overlap`);
    }
  } catch (error) {
    return unmeasuredRow(id, label, target, `a run failed: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
  }
  const one = median(single);
  const two = median(pair);
  return {
    id,
    label,
    batchscope: `${formatNumber(two)} samples/s (two runs)`,
    reference: `${formatNumber(one)} samples/s (one run)`,
    measured: two / one,
    target,
    notes: [
      `one run [${single.map((v) => formatNumber(v)).join(', ')}], two runs [${pair.map((v) => formatNumber(v)).join(', ')}] samples/s; overlap windows [${windows.map((w) => (w / 1000).toFixed(1)).join(', ')}] s`,
      'default diagnostics (layer statistics and ΔL every step, curvature every 10 steps)',
    ],
  };
}
