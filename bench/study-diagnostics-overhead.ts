/**
 * Row: what the large-batch study diagnostics (issue #14) add to a whole training run
 * at their default cadences — sharpness every `sharpnessEvery` steps, the gradient
 * noise scale and the trajectory (distance from initialization, update cosine) every
 * `studyEvery` steps — against the same run with all three off. Curvature and everything
 * else stay at the spec defaults in both.
 *
 * The two arms run side by side, each in a fresh process on its own core, started together in
 * every round: this VM's speed drifts by up to 40 % over minutes (docs/benchmarks.md), which two
 * runs taken one after the other turn into a difference between the arms; two runs at once see
 * the same drift. The row's figure is the median over rounds of each round's ratio. Needs two
 * idle cores. (The arm without ends first; the other then has the second core for V8's
 * background threads, which flatters it slightly — about the 0.1 core those take.)
 */
import { diagnosticsSpecSchema } from '../common/spec';
import { runTsChild } from './child-process';
import { unmeasuredRow, type Row } from './report';
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
  const ratios: number[] = [];
  const arm = async (on: boolean): Promise<number> => {
    const spec = mlpRunSpec({ batchSize: o.batchSize, steps, studyDiagnostics: on });
    const r = await runTsChild<TrainChildResult>('train-child.ts', [JSON.stringify(spec)], { timeoutMs: 20 * 60_000 });
    return r.summary.wallMs;
  };
  try {
    for (let round = 0; round < o.rounds; round++) {
      o.log(`  study diagnostics default and off side by side · B=${o.batchSize} · round ${round + 1}/${o.rounds}`);
      // which arm starts first alternates, though both start within the same tick
      const [withMs, withoutMs] = round % 2 === 0 ? await Promise.all([arm(true), arm(false)]) : await Promise.all([arm(false), arm(true)]).then(([off, on]) => [on, off] as const);
      onMs.push(withMs);
      offMs.push(withoutMs);
      ratios.push(withMs / withoutMs);
      o.log(`    with ${(withMs / 1000).toFixed(2)} s, without ${(withoutMs / 1000).toFixed(2)} s: +${((withMs / withoutMs - 1) * 100).toFixed(1)} %`);
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
    measured: (median(ratios) - 1) * 100,
    target,
    notes: [
      `side by side, per round: with [${onMs.map((ms) => (ms / 1000).toFixed(2)).join(', ')}] s, without [${offMs.map((ms) => (ms / 1000).toFixed(2)).join(', ')}] s, overhead [${ratios.map((r) => ((r - 1) * 100).toFixed(1)).join(', ')}] %; fastest of each: ${((Math.min(...onMs) / Math.min(...offMs) - 1) * 100).toFixed(1)} %`,
      `sharpness: Lanczos on curvatureBatch ${defaults.curvatureBatch}, at most ${defaults.sharpnessIterations} Hessian-vector products (2 gradient passes each) per block (network + each layer), warm-started`,
    ],
  };
}
