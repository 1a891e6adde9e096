/** The whole-run specs the run-level rows train (real MNIST, wasm, plain SGD). */
import type { RunSpecInput } from '../common/spec';

export interface MlpRunOptions {
  batchSize: number;
  steps: number;
  microBatch?: number;
  /** undefined keeps the spec default (common/spec.ts) */
  curvatureEvery?: number;
}

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
    ...(o.curvatureEvery !== undefined ? { diagnostics: { curvatureEvery: o.curvatureEvery } } : {}),
    backend: 'wasm',
  };
}
