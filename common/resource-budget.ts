/**
 * What a run will cost before it starts: memory (parameters and their optimizer copies,
 * activations of one micro-batch, the dataset in memory) and steps, checked against a
 * budget so a spec that cannot finish is refused at validation, with the field to change,
 * instead of growing a worker until the machine kills it. Estimates are upper bounds from
 * shapes alone (no tensors, no I/O); the budget itself comes from the caller (main derives
 * it from the machine, see main/api/machine-budget.ts).
 */
import { parameterCountOf } from './param-count';
import type { RunSpec, SpecIssue } from './spec';

export interface ResourceBudget {
  /** bytes one run may plan to hold */
  memoryBytes: number;
  /** optimizer steps one run may plan */
  maxSteps: number;
  /** said after a refusal: how to change the budget */
  source: string;
}

/** batch-plan.ts refuses more epochs than this; validation says so first. */
export const maxEpochs = 1_000_000;

/** The longest typed array V8 allocates (elements); a dataset split is one Float32Array. */
export const maxArrayElements = 2 ** 32;

/** What the dataset looks like, from its kind (mnist …) or from the pre-flight check of its files (idx, csv). */
export interface DatasetShape {
  inputShape: number[];
  numClasses: number;
  /** samples held in memory (train + test), before limits */
  samples: number;
  /** training samples after the held-out split and trainLimit */
  trainSamples: number;
}

/**
 * Float32 copies of each parameter alive at once: weights, gradients, up to two optimizer
 * moments (Adam, LAMB), a previous gradient and a perturbed copy for curvature, and the
 * update itself; 8 is a round upper bound over the optimizers in main/engine/optimizers.
 */
const PARAM_COPIES = 8;
/** activations are kept for the backward pass and mirrored by their gradients; ×3 leaves room for temporaries */
const ACTIVATION_COPIES = 3;
/** the dataset as stored (bytes or floats) plus its normalised Float32 copy */
const DATASET_COPIES = 2;
const FLOAT_BYTES = 4;

/** Output values per sample of every layer (what backprop keeps), mirroring main/engine/models. */
export function activationsPerSample(model: RunSpec['model'], inputShape: number[], numClasses: number): number {
  const inputSize = inputShape.reduce((a, b) => a * b, 1);
  if (model.kind === 'mlp') return inputSize + model.hidden.reduce((a, b) => a + b, 0) + numClasses;
  const [height, width] = inputShape.length === 3 ? inputShape : [inputShape[0] ?? 1, inputShape[1] ?? 1];
  let [h, w] = [height!, width!];
  let total = inputSize;
  if (model.kind === 'cnn') {
    for (const block of model.conv) {
      const out = (size: number) => (block.padding === 'same' ? Math.ceil(size / block.stride) : Math.floor((size - block.kernelSize) / block.stride) + 1);
      total += 2 * out(h) * out(w) * block.filters; // conv output and its activation
      h = Math.floor(out(h) / block.pool);
      w = Math.floor(out(w) / block.pool);
      total += h * w * block.filters;
    }
    return total + model.dense.reduce((a, b) => a + b, 0) + numClasses;
  }
  model.stages.forEach((count, s) => {
    if (s > 0) [h, w] = [Math.ceil(h / 2), Math.ceil(w / 2)];
    // per block: two convs, two batch norms, two activations, the shortcut
    total += count * 7 * h * w * model.width * 2 ** s;
  });
  return total + numClasses;
}

export interface RunCost {
  paramCount: number;
  memoryBytes: number;
  /** the part that dominates the memory, as the field a user would change */
  memoryPath: string;
  memoryParts: { parameters: number; activations: number; dataset: number };
  /** an upper bound: the smallest batch of the schedule for every epoch */
  steps: number;
  epochs: number;
}

export function estimateRunCost(spec: RunSpec, shape: DatasetShape): RunCost {
  const paramCount = parameterCountOf(spec.model, shape.inputShape, shape.numClasses);
  const sizes = [spec.batch.size, ...spec.batch.schedule.map((s) => s.size)];
  const widestBatch = Math.min(spec.batch.microBatch ?? Infinity, Math.max(...sizes), shape.trainSamples);
  const evalBatch = Math.min(Math.max(spec.training.trainEvalSamples, spec.training.testEvalSamples ?? 0), shape.samples);
  const parts = {
    parameters: paramCount * PARAM_COPIES * FLOAT_BYTES,
    activations: activationsPerSample(spec.model, shape.inputShape, shape.numClasses) * Math.max(widestBatch, Math.min(evalBatch, 1024)) * ACTIVATION_COPIES * FLOAT_BYTES,
    dataset: shape.samples * shape.inputShape.reduce((a, b) => a * b, 1) * DATASET_COPIES * FLOAT_BYTES,
  };
  const largest = (Object.entries(parts) as [keyof typeof parts, number][]).sort((a, b) => b[1] - a[1])[0]![0];
  const memoryPath = largest === 'parameters' ? modelPath(spec.model) : largest === 'activations' ? 'batch.size' : 'dataset';
  const stepsPerEpoch = Math.max(1, Math.floor(shape.trainSamples / Math.max(1, Math.min(Math.min(...sizes), shape.trainSamples))));
  const epochs = spec.training.epochs ?? Math.ceil((spec.training.steps ?? 0) / stepsPerEpoch);
  const steps = spec.training.steps ?? Math.ceil(epochs * stepsPerEpoch);
  return { paramCount, memoryBytes: parts.parameters + parts.activations + parts.dataset, memoryPath, memoryParts: parts, steps, epochs };
}

function modelPath(model: RunSpec['model']): string {
  return model.kind === 'mlp' ? 'model.hidden' : model.kind === 'cnn' ? 'model.conv' : 'model.width';
}

/** 1536 → "1.5 KiB"; up to EiB, beyond which the exponent says enough. */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  if (value >= 1024) return `${bytes.toExponential(1)} bytes`;
  return unit === 0 ? `${Math.round(value)} bytes` : `${value.toFixed(1)} ${units[unit]}`;
}

const count = (n: number): string => (n >= 1e6 ? n.toExponential(2) : String(Math.round(n)));

/** Field-level problems when the run would not fit the budget; [] when it does. */
export function checkRunBudget(spec: RunSpec, shape: DatasetShape, budget: ResourceBudget): SpecIssue[] {
  const issues: SpecIssue[] = [];
  const cost = estimateRunCost(spec, shape);
  const elements = shape.samples * shape.inputShape.reduce((a, b) => a * b, 1);
  if (elements > maxArrayElements) {
    issues.push({
      path: 'dataset',
      message: `the dataset would hold ${count(elements)} values (${count(shape.samples)} samples × ${count(elements / shape.samples)} features); one array holds at most ${count(maxArrayElements)}`,
    });
  }
  if (cost.memoryBytes > budget.memoryBytes) {
    const { parameters, activations, dataset } = cost.memoryParts;
    issues.push({
      path: cost.memoryPath,
      message:
        `the run would need about ${formatBytes(cost.memoryBytes)} of memory (parameters ${formatBytes(parameters)} for ${count(cost.paramCount)} weights, ` +
        `activations ${formatBytes(activations)}, dataset ${formatBytes(dataset)}); the budget is ${formatBytes(budget.memoryBytes)} (${budget.source})`,
    });
  }
  if (cost.epochs > maxEpochs) {
    issues.push({ path: spec.training.epochs !== undefined ? 'training.epochs' : 'training.steps', message: `the run would take ${count(cost.epochs)} epochs; at most ${count(maxEpochs)} are allowed` });
  } else if (cost.steps > budget.maxSteps) {
    issues.push({
      path: spec.training.epochs !== undefined ? 'training.epochs' : 'training.steps',
      message: `the run would take ${count(cost.steps)} steps; the budget is ${count(budget.maxSteps)} (${budget.source})`,
    });
  }
  return issues;
}
