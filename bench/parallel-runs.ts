/**
 * Row: two training runs at once, each in its own worker process (forkWorker, as
 * the app's runner starts them), against one run alone. Throughput is counted
 * only while every run of the group is stepping: from the moment the last one
 * reaches its warm-up step to the moment the first one takes its last step, using
 * the arrival times of the workers' step messages.
 */
import { readFileSync } from 'node:fs';
import { diagnosticsSpecSchema, type RunSpecInput } from '../common/spec';
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

/**
 * Steps left out at the start of each run: V8 compiles the wasm module to optimized
 * code on background threads during the first seconds (about 0.15 of a core on top
 * of the run's own), which a run alone gets from the idle second core and two runs
 * have to share.
 */
const warmupSteps = (steps: number): number => Math.max(3, Math.floor(steps * 0.2));

interface StepTrace {
  /** parent clock, ms */
  at: number[];
  samplesSeen: number[];
  /** the worker's CPU ms (utime + stime) at each step message; NaN where /proc cannot be read */
  cpuMs: number[];
}

/** clock ticks per second of /proc/<pid>/stat on Linux */
const CLOCK_TICKS = 100;

function processCpuMs(pid: number | undefined): number {
  try {
    // fields after the parenthesised command name; utime and stime are the 14th and 15th of the line
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return NaN;
  }
}

function runWorker(spec: RunSpecInput): Promise<StepTrace> {
  const trace: StepTrace = { at: [], samplesSeen: [], cpuMs: [] };
  return new Promise((resolve, reject) => {
    const handle = forkWorker(spec, (message) => {
      if (message.type === 'step') {
        trace.at.push(performance.now());
        trace.samplesSeen.push(message.metrics.samplesSeen);
        trace.cpuMs.push(processCpuMs(handle.child.pid));
      } else if (message.type === 'failed') reject(new Error(`worker failed: ${message.error.message}`));
      else if (message.type === 'finished') resolve(trace);
    });
    void handle.exited.then(({ code, signal }) => reject(new Error(`worker exited (${code ?? signal}) before finishing: ${handle.stderrTail().slice(-500)}`)));
  });
}

/** a trace's series (samples seen, CPU ms) at time t, linear between step messages */
function valueAt(trace: StepTrace, series: number[], t: number): number {
  const i = trace.at.findIndex((at) => at >= t);
  if (i <= 0) return i === 0 ? series[0]! : series.at(-1)!;
  const [t0, t1] = [trace.at[i - 1]!, trace.at[i]!];
  const [v0, v1] = [series[i - 1]!, series[i]!];
  return v0 + ((v1 - v0) * (t - t0)) / Math.max(t1 - t0, 1e-9);
}

export interface GroupThroughput {
  samplesPerSec: number;
  windowMs: number;
  /** per run, the share of one core it got during the window (1 = never waited for a CPU) */
  coreShare: number[];
}

/** Total samples/s of a group of runs over the window in which all of them were stepping. */
export function overlappedThroughput(traces: StepTrace[]): GroupThroughput {
  const start = Math.max(...traces.map((t) => t.at[Math.min(warmupSteps(t.at.length), t.at.length - 1)]!));
  const end = Math.min(...traces.map((t) => t.at.at(-1)!));
  if (!(end > start)) throw new Error('the runs did not overlap: make them longer');
  const delta = (t: StepTrace, series: number[]): number => valueAt(t, series, end) - valueAt(t, series, start);
  const samples = traces.reduce((sum, t) => sum + delta(t, t.samplesSeen), 0);
  return {
    samplesPerSec: samples / ((end - start) / 1000),
    windowMs: end - start,
    coreShare: traces.map((t) => delta(t, t.cpuMs) / (end - start)),
  };
}

export async function parallelRunsRow(o: ParallelRunsOptions): Promise<Row> {
  const id = 'parallel-runs';
  const label = `2 runs at once (2 worker processes) vs 1 run, MLP B=${o.batchSize}: total samples/s`;
  const target = { op: '>=', value: 1.8, unit: '×' } as const;
  const spec = mlpRunSpec({ batchSize: o.batchSize, steps: o.steps });
  const single: number[] = [];
  const pair: number[] = [];
  const windows: number[] = [];
  const shares: string[] = [];
  const share = (g: GroupThroughput): string => g.coreShare.map((c) => (Number.isNaN(c) ? '?' : c.toFixed(2))).join('+');
  try {
    for (let round = 0; round < o.rounds; round++) {
      o.log(`  one run · round ${round + 1}/${o.rounds}`);
      const one = overlappedThroughput([await runWorker(spec)]);
      single.push(one.samplesPerSec);
      o.log(`    ${formatNumber(one.samplesPerSec)} samples/s, core share ${share(one)}`);
      o.log(`  two runs · round ${round + 1}/${o.rounds}`);
      const two = overlappedThroughput(await Promise.all([runWorker(spec), runWorker({ ...spec, training: { ...spec.training!, seed: 2 } })]));
      pair.push(two.samplesPerSec);
      windows.push(two.windowMs);
      shares.push(`${share(one)} alone, ${share(two)} together`);
      o.log(`    ${formatNumber(two.samplesPerSec)} samples/s in total over ${(two.windowMs / 1000).toFixed(1)} s of overlap, core shares ${share(two)}`);
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
      `CPU cores the workers got while measured (1.00 = a whole core): ${shares.join('; ')}. Below 1, another process was taking CPU time`,
      `default diagnostics (layer statistics and ΔL every step, curvature every ${diagnosticsSpecSchema.parse({}).curvatureEvery} steps)`,
    ],
  };
}
