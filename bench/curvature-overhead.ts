/**
 * Row: what per-layer curvature at the spec's default cadence (curvatureEvery,
 * curvatureEstimator and curvatureBatch as common/spec.ts defaults them) adds to a
 * whole training run, against the same run with curvatureEvery 0. Everything else
 * is the spec default (layer statistics and the ΔL forward pass every step).
 *
 * Measured as the study-diagnostics row is (study-diagnostics-overhead.ts): the two arms
 * run side by side, each in a fresh process on its own core, started together in every
 * round, and the figure is the median over rounds of each arm's steps in units of its own
 * median step, with over without. Curvature runs inside the steps it fires on, so this is
 * its whole cost at the run's own speed, free of this VM's drift (runs taken one after the
 * other at 200 steps gave −9 % and +10 % for the same code). Needs two idle cores.
 */
import { diagnosticsSpecSchema } from '../common/spec';
import { runTsChild } from './child-process';
import { unmeasuredRow, type Row } from './report';
import { mlpRunSpec } from './run-specs';
import { median } from './stats';
import type { TrainChildResult } from './train-child';

export interface CurvatureOverheadOptions {
  batchSize: number;
  /** how often curvature fires in the run: the run is firings × curvatureEvery steps, so it fires at exactly the default rate */
  firings: number;
  rounds: number;
  log: (line: string) => void;
}

interface Arm {
  wallMs: number;
  loopCpuMs: number;
  /** Σ stepMs / (steps × median stepMs) */
  units: number;
}

export async function curvatureOverheadRow(o: CurvatureOverheadOptions): Promise<Row> {
  const defaults = diagnosticsSpecSchema.parse({});
  const steps = o.firings * defaults.curvatureEvery;
  const id = o.batchSize === 256 ? 'curvature-overhead' : `curvature-overhead-b${o.batchSize}`;
  const label = `curvature every ${defaults.curvatureEvery} steps (default), MLP B=${o.batchSize}, ${steps} steps: run time vs curvatureEvery 0`;
  const target = { op: '<=', value: 10, unit: '%' } as const;
  const arm = async (on: boolean): Promise<Arm> => {
    const spec = mlpRunSpec({ batchSize: o.batchSize, steps, curvatureEvery: on ? undefined : 0 });
    const r = await runTsChild<TrainChildResult>('train-child.ts', [JSON.stringify(spec)], { timeoutMs: 20 * 60_000 });
    return { wallMs: r.summary.wallMs, loopCpuMs: r.loopCpuMs, units: r.stepsMs / (steps * r.medianStepMs) };
  };
  const withRuns: Arm[] = [];
  const withoutRuns: Arm[] = [];
  try {
    for (let round = 0; round < o.rounds; round++) {
      o.log(`  curvature default and off side by side · B=${o.batchSize} · round ${round + 1}/${o.rounds}`);
      // which arm starts first alternates, though both start within the same tick
      const [on, off] = round % 2 === 0 ? await Promise.all([arm(true), arm(false)]) : await Promise.all([arm(false), arm(true)]).then(([a, b]) => [b, a] as const);
      withRuns.push(on);
      withoutRuns.push(off);
      o.log(`    with ${(on.wallMs / 1000).toFixed(2)} s, without ${(off.wallMs / 1000).toFixed(2)} s; in median steps ${on.units.toFixed(4)} vs ${off.units.toFixed(4)}: +${((on.units / off.units - 1) * 100).toFixed(1)} %`);
    }
  } catch (error) {
    return unmeasuredRow(id, label, target, `a run failed: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
  }
  const percent = (ratios: number[]): string => `[${ratios.map((r) => ((r - 1) * 100).toFixed(1)).join(', ')}] %`;
  const unitRatios = withRuns.map((r, i) => r.units / withoutRuns[i]!.units);
  const wallRatios = withRuns.map((r, i) => r.wallMs / withoutRuns[i]!.wallMs);
  const cpuRatios = withRuns.map((r, i) => r.loopCpuMs / withoutRuns[i]!.loopCpuMs);
  const wall = (runs: Arm[]): string => `[${runs.map((r) => (r.wallMs / 1000).toFixed(2)).join(', ')}] s`;
  return {
    id,
    label,
    batchscope: `${(median(withRuns.map((r) => r.wallMs)) / 1000).toFixed(2)} s with curvature`,
    reference: `${(median(withoutRuns.map((r) => r.wallMs)) / 1000).toFixed(2)} s with curvatureEvery 0`,
    measured: (median(unitRatios) - 1) * 100,
    target,
    notes: [
      `in units of each run's median step, per round: +${percent(unitRatios)}`,
      `wall time side by side: with ${wall(withRuns)}, without ${wall(withoutRuns)}, per round +${percent(wallRatios)}; CPU time of the training loop per round +${percent(cpuRatios)}`,
      `${defaults.curvatureEstimator} on curvatureBatch ${defaults.curvatureBatch}${defaults.curvatureEstimator === 'gradient-difference' ? ' costs 2 gradient passes per layer' : ''} each time it fires, plus one forward pass recording the activation pattern (and one gradient pass for g when the step's own gradient is not the curvature batch's)`,
    ],
  };
}
