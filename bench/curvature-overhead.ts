/**
 * Row: what per-layer curvature at the spec's default cadence (curvatureEvery,
 * curvatureEstimator and curvatureBatch as common/spec.ts defaults them) adds to a
 * whole training run, against the same run with curvatureEvery 0. Everything else
 * is the spec default (layer statistics and the ΔL forward pass every step). The
 * two runs alternate, each in a fresh process.
 */
import { diagnosticsSpecSchema } from '../common/spec';
import { runTsChild } from './child-process';
import { formatNumber, unmeasuredRow, type Row } from './report';
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

export async function curvatureOverheadRow(o: CurvatureOverheadOptions): Promise<Row> {
  const defaults = diagnosticsSpecSchema.parse({});
  const steps = o.firings * defaults.curvatureEvery;
  const id = o.batchSize === 256 ? 'curvature-overhead' : `curvature-overhead-b${o.batchSize}`;
  const label = `curvature every ${defaults.curvatureEvery} steps (default), MLP B=${o.batchSize}, ${steps} steps: run time vs curvatureEvery 0`;
  const target = { op: '<=', value: 10, unit: '%' } as const;
  const withMs: number[] = [];
  const withoutMs: number[] = [];
  const withCpuMs: number[] = [];
  const withoutCpuMs: number[] = [];
  try {
    for (let round = 0; round < o.rounds; round++) {
      for (const curvatureEvery of [undefined, 0]) {
        o.log(`  curvature ${curvatureEvery === 0 ? 'off' : 'default'} · B=${o.batchSize} · round ${round + 1}/${o.rounds}`);
        const spec = mlpRunSpec({ batchSize: o.batchSize, steps, curvatureEvery });
        const r = await runTsChild<TrainChildResult>('train-child.ts', [JSON.stringify(spec)], { timeoutMs: 20 * 60_000 });
        (curvatureEvery === 0 ? withoutMs : withMs).push(r.summary.wallMs);
        (curvatureEvery === 0 ? withoutCpuMs : withCpuMs).push(r.loopCpuMs);
        o.log(`    ${(r.summary.wallMs / 1000).toFixed(2)} s, ${formatNumber(r.summary.samplesPerSec)} samples/s`);
      }
    }
  } catch (error) {
    return unmeasuredRow(id, label, target, `a run failed: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
  }
  const withCurvature = median(withMs);
  const without = median(withoutMs);
  return {
    id,
    label,
    batchscope: `${(withCurvature / 1000).toFixed(2)} s with curvature`,
    reference: `${(without / 1000).toFixed(2)} s with curvatureEvery 0`,
    measured: (withCurvature / without - 1) * 100,
    target,
    notes: [
      `in CPU time of the training loop: ${((median(withCpuMs) / median(withoutCpuMs) - 1) * 100).toFixed(1)} % (${(median(withCpuMs) / 1000).toFixed(2)} vs ${(median(withoutCpuMs) / 1000).toFixed(2)} s)`,
      `run wall times with curvature [${withMs.map((ms) => (ms / 1000).toFixed(2)).join(', ')}] s, without [${withoutMs.map((ms) => (ms / 1000).toFixed(2)).join(', ')}] s`,
      `${defaults.curvatureEstimator} on curvatureBatch ${defaults.curvatureBatch}${defaults.curvatureEstimator === 'gradient-difference' ? ' costs 2 gradient passes per layer' : ''} each time it fires`,
    ],
  };
}
