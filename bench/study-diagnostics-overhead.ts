/**
 * Row: what the large-batch study diagnostics (issue #14) add to a whole training run
 * at their default cadences — sharpness every `sharpnessEvery` steps, the gradient
 * noise scale and the trajectory (distance from initialization, update cosine) every
 * `studyEvery` steps — against the same run with all three off. Curvature and everything
 * else stay at the spec defaults in both. The two runs alternate, each in a fresh process.
 */
import { diagnosticsSpecSchema } from '../common/spec';
import { runTsChild } from './child-process';
import { formatNumber, unmeasuredRow, type Row } from './report';
import { mlpRunSpec } from './run-specs';
import { median } from './stats';
import type { TrainChildResult } from './train-child';

export interface StudyOverheadOptions {
  batchSize: number;
  /** the run is firings × sharpnessEvery steps, so sharpness fires at exactly its default rate */
  firings: number;
  rounds: number;
  log: (line: string) => void;
}

export async function studyDiagnosticsOverheadRow(o: StudyOverheadOptions): Promise<Row> {
  const defaults = diagnosticsSpecSchema.parse({});
  const steps = o.firings * defaults.sharpnessEvery;
  const id = 'study-diagnostics-overhead';
  const label = `sharpness every ${defaults.sharpnessEvery} steps + noise scale and trajectory every ${defaults.studyEvery} (the defaults), MLP B=${o.batchSize}, ${steps} steps: run time vs all three off`;
  const target = { op: '<=', value: 10, unit: '%' } as const;
  const onMs: number[] = [];
  const offMs: number[] = [];
  try {
    for (let round = 0; round < o.rounds; round++) {
      for (const on of [true, false]) {
        o.log(`  study diagnostics ${on ? 'default' : 'off'} · B=${o.batchSize} · round ${round + 1}/${o.rounds}`);
        const spec = mlpRunSpec({ batchSize: o.batchSize, steps, studyDiagnostics: on });
        const r = await runTsChild<TrainChildResult>('train-child.ts', [JSON.stringify(spec)], { timeoutMs: 20 * 60_000 });
        (on ? onMs : offMs).push(r.summary.wallMs);
        o.log(`    ${(r.summary.wallMs / 1000).toFixed(2)} s, ${formatNumber(r.summary.samplesPerSec)} samples/s`);
      }
    }
  } catch (error) {
    return unmeasuredRow(id, label, target, `a run failed: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
  }
  const on = median(onMs);
  const off = median(offMs);
  return {
    id,
    label,
    batchscope: `${(on / 1000).toFixed(2)} s with them`,
    reference: `${(off / 1000).toFixed(2)} s without`,
    measured: (on / off - 1) * 100,
    target,
    notes: [
      `run wall times with [${onMs.map((ms) => (ms / 1000).toFixed(2)).join(', ')}] s, without [${offMs.map((ms) => (ms / 1000).toFixed(2)).join(', ')}] s; fastest of each: ${((Math.min(...onMs) / Math.min(...offMs) - 1) * 100).toFixed(1)} %`,
      `sharpness: Lanczos on curvatureBatch ${defaults.curvatureBatch}, at most ${defaults.sharpnessIterations} Hessian-vector products (2 gradient passes each) per block (network + each layer), warm-started`,
    ],
  };
}
