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
 * the same drift. Needs two idle cores.
 *
 * The row's figure is the median over rounds of a drift-free ratio: each arm's steps in units
 * of its own median step (Σ stepMs / (steps × median stepMs): what the diagnostics that fire
 * on some steps add, against that run's own speed), with over without. The study diagnostics
 * all run inside the loop's steps (sharpness in its step, the noise scale and trajectory on
 * theirs); a plain step costs the same in both arms. The plain wall-time ratio is printed too
 * (there the arm without ends first and leaves the other the second core for V8's background
 * threads, which flatters it slightly — about the 0.1 core those take).
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
  const stepUnits: number[] = [];
  const arm = async (on: boolean): Promise<{ wallMs: number; units: number }> => {
    const spec = mlpRunSpec({ batchSize: o.batchSize, steps, studyDiagnostics: on });
    const r = await runTsChild<TrainChildResult>('train-child.ts', [JSON.stringify(spec)], { timeoutMs: 20 * 60_000 });
    return { wallMs: r.summary.wallMs, units: r.stepsMs / (steps * r.medianStepMs) };
  };
  try {
    for (let round = 0; round < o.rounds; round++) {
      o.log(`  study diagnostics default and off side by side · B=${o.batchSize} · round ${round + 1}/${o.rounds}`);
      // which arm starts first alternates, though both start within the same tick
      const [withRun, withoutRun] = round % 2 === 0 ? await Promise.all([arm(true), arm(false)]) : await Promise.all([arm(false), arm(true)]).then(([off, on]) => [on, off] as const);
      onMs.push(withRun.wallMs);
      offMs.push(withoutRun.wallMs);
      ratios.push(withRun.wallMs / withoutRun.wallMs);
      stepUnits.push(withRun.units / withoutRun.units);
      o.log(
        `    with ${(withRun.wallMs / 1000).toFixed(2)} s, without ${(withoutRun.wallMs / 1000).toFixed(2)} s: +${((withRun.wallMs / withoutRun.wallMs - 1) * 100).toFixed(1)} % wall; ` +
          `in median steps ${withRun.units.toFixed(4)} vs ${withoutRun.units.toFixed(4)}: +${((withRun.units / withoutRun.units - 1) * 100).toFixed(1)} %`,
      );
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
    measured: (median(stepUnits) - 1) * 100,
    target,
    notes: [
      `in units of each run's median step, per round: +[${stepUnits.map((r) => ((r - 1) * 100).toFixed(1)).join(', ')}] %`,
      `wall time side by side, per round: with [${onMs.map((ms) => (ms / 1000).toFixed(2)).join(', ')}] s, without [${offMs.map((ms) => (ms / 1000).toFixed(2)).join(', ')}] s, +[${ratios.map((r) => ((r - 1) * 100).toFixed(1)).join(', ')}] % (median +${((median(ratios) - 1) * 100).toFixed(1)} %); fastest of each: ${((Math.min(...onMs) / Math.min(...offMs) - 1) * 100).toFixed(1)} %`,
      `sharpness: Lanczos on curvatureBatch ${defaults.curvatureBatch}, at most ${defaults.sharpnessIterations} Hessian-vector products (2 gradient passes each) per block (network + each layer), warm-started`,
    ],
  };
}
