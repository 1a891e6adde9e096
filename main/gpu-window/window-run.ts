/**
 * What the GPU window trains: a run spec resolved in main into plain data, since the
 * sandboxed window can neither read dataset files nor use Node. main builds it from the
 * parsed spec and the loaded dataset (windowRunFor) and posts it with `{ type: 'start' }`;
 * the typed arrays travel as transferables where the channel allows it.
 *
 * The window runs a reduced loop (window-training.ts): what a spec asks for that it does
 * not run is listed in `omitted`, and main reports it as a note event with the run.
 */
import type { LrSchedule, ModelSpec, OptimizerSpec, RunSpec } from '../../common/spec';
import type { Dataset, DataSplit } from '../engine/data/dataset';
import { planBatches, type BatchPlan } from '../engine/training/batch-plan';
import { evalSamples } from '../engine/training/eval-samples';

/** 'auto' takes a hardware adapter only; 'webgpu' also a software one (as in Node, docs/webgpu.md) */
export type WindowBackendPreference = 'auto' | 'webgpu' | 'cpu';

export interface WindowRun {
  backend: WindowBackendPreference;
  model: ModelSpec;
  optimizer: OptimizerSpec;
  lr: LrSchedule;
  plan: BatchPlan;
  seed: number;
  inputShape: number[];
  numClasses: number;
  train: DataSplit;
  test: DataSplit;
  /** the samples evaluated once at the end: trainRun's subsets (engine/training/eval-samples.ts) */
  trainEval: Int32Array;
  testEval: Int32Array;
}

/** Messages from the host (Electron main, or a test page) to the window. */
export type HostMessage = { type: 'start'; run: WindowRun } | { type: 'cancel' };

/** Optimizers that need the curvature oracle, which the window does not run. */
const needsCurvature = new Set(['cblr', 'mclr']);

export class WindowRunError extends Error {
  constructor(field: string, problem: string) {
    super(`${field}: ${problem}`);
    this.name = 'SpecError';
  }
}

function windowBackend(preference: RunSpec['backend']): WindowBackendPreference {
  return preference === 'webgpu' || preference === 'cpu' ? preference : 'auto';
}

/** The parts of a spec the window's loop leaves out, in words for the run's note event. */
export function omittedInWindow(spec: RunSpec): string[] {
  const omitted = ['per-layer statistics and curvature (diagnostics)', 'evaluation during training (the window evaluates once, at the end)'];
  if (spec.discard) omitted.push('discarding (spec.discard)');
  if (spec.batch.microBatch !== undefined) omitted.push('gradient accumulation (batch.microBatch): each step takes the whole batch at once');
  return omitted;
}

export function windowRunFor(spec: RunSpec, data: Dataset): { run: WindowRun; omitted: string[]; transfer: ArrayBuffer[] } {
  if (needsCurvature.has(spec.optimizer.name)) {
    throw new WindowRunError('optimizer.name', `'${spec.optimizer.name}' needs per-layer curvature, which the GPU window does not compute yet; use another optimizer or a non-WebGPU backend`);
  }
  const seed = spec.training.seed;
  // an optimizer's own rate overrides the schedule's base rate (as in trainRun)
  const lr = spec.optimizer.lr === undefined ? spec.lr : { ...spec.lr, base: spec.optimizer.lr };
  const run: WindowRun = {
    backend: windowBackend(spec.backend),
    model: spec.model,
    optimizer: spec.optimizer,
    lr,
    plan: planBatches(spec, data.train.count),
    seed,
    inputShape: data.inputShape,
    numClasses: data.numClasses,
    train: data.train,
    test: data.test,
    trainEval: evalSamples(data.train.count, spec.training.trainEvalSamples, seed, 'train'),
    testEval: evalSamples(data.test.count, spec.training.testEvalSamples, seed, 'test'),
  };
  const buffers = [run.train.x, run.train.y, run.test.x, run.test.y, run.trainEval, run.testEval].map((a) => a.buffer);
  const transfer = [...new Set(buffers)].filter((b): b is ArrayBuffer => b instanceof ArrayBuffer);
  return { run, omitted: omittedInWindow(spec), transfer };
}
