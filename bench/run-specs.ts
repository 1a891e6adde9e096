/** The whole-run specs the run-level rows train (real MNIST, wasm, plain SGD). */
import type { RunSpecInput } from '../common/spec';
import { workloads } from './workloads';

export interface MlpRunOptions {
  batchSize: number;
  steps: number;
  microBatch?: number;
  /** undefined keeps the spec default (common/spec.ts) */
  curvatureEvery?: number;
  /** false turns the noise scale, the trajectory and sharpness off (the study diagnostics of issue #14); true or undefined keeps the defaults (all on) */
  studyDiagnostics?: boolean;
}

const STUDY_DIAGNOSTICS_OFF = { sharpnessEvery: 0, noiseScale: false, geometry: false } as const;

/** MLP 784-256-128-10 on MNIST with the spec's default diagnostics; one evaluation, at the end. */
export function mlpRunSpec(o: MlpRunOptions): RunSpecInput {
  return {
    name: `bench mlp B=${o.batchSize}`,
    dataset: { kind: 'mnist' },
    model: { kind: 'mlp', hidden: [256, 128], activation: 'relu' },
    optimizer: { name: 'sgd' },
    lr: { base: 0.05 },
    batch: { size: o.batchSize, ...(o.microBatch !== undefined ? { microBatch: o.microBatch } : {}) },
    training: { steps: o.steps, seed: 1, evalEverySteps: o.steps },
    ...(o.curvatureEvery !== undefined || o.studyDiagnostics !== undefined
      ? {
          diagnostics: {
            ...(o.curvatureEvery !== undefined ? { curvatureEvery: o.curvatureEvery } : {}),
            ...(o.studyDiagnostics === false ? STUDY_DIAGNOSTICS_OFF : {}),
          },
        }
      : {}),
    backend: 'wasm',
  };
}

export interface CnnRunOptions {
  batchSize: number;
  steps: number;
}

/** The CNN of bench/workloads.ts on MNIST, spec-default diagnostics; one evaluation, at the end. */
export function cnnRunSpec(o: CnnRunOptions): RunSpecInput {
  return {
    name: `bench cnn B=${o.batchSize}`,
    dataset: { kind: 'mnist' },
    model: workloads.cnn.model,
    optimizer: { name: 'sgd' },
    lr: { base: 0.05 },
    batch: { size: o.batchSize },
    training: { steps: o.steps, seed: 1, evalEverySteps: o.steps },
    backend: 'wasm',
  };
}

/** The same run with its diagnostics as sparse as the spec allows: the training step alone. */
export function bareRunSpec(spec: RunSpecInput): RunSpecInput {
  const steps = spec.training?.steps ?? 1;
  return { ...spec, diagnostics: { every: steps + 1, curvatureEvery: 0, lossUpdate: false, ...STUDY_DIAGNOSTICS_OFF } };
}

/**
 * The same run without sharpness, its other diagnostics at the spec's defaults. Sharpness is
 * due every 1000 steps and at a run's last step, so a short bench run fires it at its first and
 * last step: in 60 steps of the CNN at B=512 that is 21 s of Lanczos against 35 s of training,
 * some 30 times the weight it has in a run of the default cadence (docs/benchmarks.md).
 */
export function withoutSharpness(spec: RunSpecInput): RunSpecInput {
  return { ...spec, diagnostics: { ...spec.diagnostics, sharpnessEvery: 0 } };
}

/** The spec with `threads` (data-parallel shards in one run). */
export function withThreads(spec: RunSpecInput, threads: number): RunSpecInput {
  return { ...spec, threads };
}
