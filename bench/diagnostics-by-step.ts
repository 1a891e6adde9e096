/**
 * One whole run through `trainRun` with a chosen set of diagnostics, and what its steps
 * cost: the first step, the curvature steps, and the mean and median of the rest. It shows
 * what each per-step diagnostic adds to a plain step and how the diagnostics that fire now
 * and then (curvature, sharpness) weigh in a short run, with 1 thread or more.
 *
 *   node bin/run-ts.mjs bench/diagnostics-by-step.ts --model mlp|cnn --batch 1024 --threads 2 --steps 102 --diagnostics default
 *
 * --diagnostics: bare (none), stats (layer statistics every step), loss (stats and the ΔL
 * forward pass), default-no-sharpness (the spec's defaults, sharpness off), default.
 */
import { parseArgs } from 'node:util';
import { diagnosticsSpecSchema, type RunSpecInput } from '../common/spec';
import { trainRun } from '../main/engine/training/train-run';
import { cnnRunSpec, mlpRunSpec, withThreads } from './run-specs';
import { median } from './stats';

const VARIANTS = ['bare', 'stats', 'loss', 'default-no-sharpness', 'default'] as const;
type Variant = (typeof VARIANTS)[number];

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'mlp' },
    batch: { type: 'string', default: '1024' },
    threads: { type: 'string', default: '1' },
    steps: { type: 'string', default: '102' },
    diagnostics: { type: 'string', default: 'default' },
  },
});
const variant = values.diagnostics as Variant;
if (!VARIANTS.includes(variant)) throw new Error(`--diagnostics must be one of ${VARIANTS.join(', ')}, got '${values.diagnostics}'`);
if (values.model !== 'mlp' && values.model !== 'cnn') throw new Error(`--model must be mlp or cnn, got '${values.model}'`);
const steps = Number(values.steps);
const batchSize = Number(values.batch);
const threads = Number(values.threads);

const off = { sharpnessEvery: 0, noiseScale: false, geometry: false, curvatureEvery: 0 } as const;
const diagnostics: Record<Variant, RunSpecInput['diagnostics']> = {
  bare: { every: steps + 1, lossUpdate: false, ...off },
  stats: { every: 1, lossUpdate: false, ...off },
  loss: { every: 1, lossUpdate: true, ...off },
  'default-no-sharpness': { sharpnessEvery: 0 },
  default: undefined,
};
const base = values.model === 'cnn' ? cnnRunSpec({ batchSize, steps }) : mlpRunSpec({ batchSize, steps });
const spec = withThreads({ ...base, ...(diagnostics[variant] ? { diagnostics: diagnostics[variant] } : {}) }, threads);

const stepMs: number[] = [];
const summary = await trainRun(spec, {
  started: () => {},
  step: (m) => void stepMs.push(m.stepMs),
  layers: () => {},
  eval: () => {},
  event: () => {},
  progress: () => {},
});
if (summary.status !== 'completed') throw new Error(`run ended ${summary.status}${summary.reason ? `: ${summary.reason}` : ''}`);
const curvatureEvery = variant.startsWith('default') ? diagnosticsSpecSchema.parse({}).curvatureEvery : 0;
const curvatureSteps = curvatureEvery ? stepMs.filter((_, i) => i > 0 && i % curvatureEvery === 0) : [];
const rest = stepMs.filter((_, i) => i > 0 && i < stepMs.length - 1 && !(curvatureEvery && i % curvatureEvery === 0));
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(xs.length, 1);
const ms = (v: number): string => `${v.toFixed(1)} ms`;
console.log(
  [
    `${values.model} B=${batchSize}, ${threads} thread(s), ${steps} steps, diagnostics ${variant}`,
    `mean of all steps ${ms(mean(stepMs))}`,
    `first ${ms(stepMs[0]!)}`,
    `last ${ms(stepMs.at(-1)!)}`,
    ...(curvatureSteps.length ? [`curvature steps ${curvatureSteps.map(ms).join(', ')}`] : []),
    `other steps mean ${ms(mean(rest))}, median ${ms(median(rest))}`,
  ].join('; '),
);
