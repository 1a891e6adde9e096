/**
 * Row: peak resident memory (VmHWM, the whole training process: its replica threads
 * and their wasm heaps included) of one MLP run at B=8192 on `threads` threads whose
 * gradient is accumulated over micro-batches (batch.microBatch), with the spec's
 * default diagnostics and a final evaluation (issue #10: 2 threads, ≤ 1.0 GiB). For
 * comparison the same run without a micro-batch (one 8192-sample pass) is measured too.
 */
import { runTsChild } from './child-process';
import { formatNumber, unmeasuredRow, type Row } from './report';
import { mlpRunSpec, withThreads } from './run-specs';
import type { TrainChildResult } from './train-child';

export interface AccumulationMemoryOptions {
  batchSize: number;
  microBatch: number;
  threads: number;
  steps: number;
  log: (line: string) => void;
}

const GiB = 1024 * 1024;

export async function accumulationMemoryRow(o: AccumulationMemoryOptions): Promise<Row> {
  const id = 'accumulation-memory';
  const label = `peak RSS, MLP B=${o.batchSize}, ${o.threads} thread${o.threads === 1 ? '' : 's'}, microBatch ${o.microBatch}, ${o.steps} steps`;
  const target = { op: '<=', value: 1.0, unit: ' GiB' } as const;
  const run = async (microBatch: number | undefined): Promise<TrainChildResult> => {
    o.log(`  B=${o.batchSize} ${microBatch ? `micro-batch ${microBatch}` : 'in one pass'}`);
    const r = await runTsChild<TrainChildResult>('train-child.ts', [JSON.stringify(withThreads(mlpRunSpec({ batchSize: o.batchSize, microBatch, steps: o.steps }), o.threads))], { timeoutMs: 20 * 60_000 });
    o.log(`    VmHWM ${r.vmHwmKiB === null ? 'unknown' : `${(r.vmHwmKiB / GiB).toFixed(2)} GiB`}, ${formatNumber(r.summary.samplesPerSec)} samples/s`);
    return r;
  };
  let accumulated: TrainChildResult;
  let onePass: TrainChildResult | null = null;
  try {
    accumulated = await run(o.microBatch);
  } catch (error) {
    return unmeasuredRow(id, label, target, `the run failed: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
  }
  let onePassNote = '';
  try {
    onePass = await run(undefined);
  } catch (error) {
    onePassNote = `the one-pass comparison failed: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`;
  }
  if (accumulated.vmHwmKiB === null) return unmeasuredRow(id, label, target, '/proc/self/status has no VmHWM on this system');
  const gib = (r: TrainChildResult): string => (r.vmHwmKiB === null ? 'unknown' : `${(r.vmHwmKiB / GiB).toFixed(2)} GiB`);
  return {
    id,
    label,
    batchscope: `${gib(accumulated)} (${formatNumber(accumulated.summary.samplesPerSec)} samples/s)`,
    reference: onePass ? `${gib(onePass)} without microBatch (${formatNumber(onePass.summary.samplesPerSec)} samples/s)` : '—',
    measured: accumulated.vmHwmKiB / GiB,
    target,
    notes: [onePassNote || 'reference column: the same run in one 8192-sample pass, for comparison (not a target)', 'MNIST is held in memory as float32: 60,000 × 784 train + 10,000 test ≈ 0.2 GiB of it'],
  };
}
