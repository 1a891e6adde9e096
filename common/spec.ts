/**
 * The experiment spec: one schema shared by the worker (parsing), main (validation)
 * and the renderer (form errors). Types are derived from it, never written twice.
 */
import { z } from 'zod';

const positiveInt = z.number().int().positive();
const nonNegative = z.number().nonnegative();
const fraction = z.number().min(0).max(1);

const datasetLimits = {
  /** use only the first N training samples (after a seeded shuffle); omit for all */
  trainLimit: positiveInt.optional(),
  /** use only the first N test samples; omit for all */
  testLimit: positiveInt.optional(),
};

/** Larger class counts almost always mean the wrong column or file was taken for the labels. */
export const maxClasses = 1000;

/** the class count of a user's labels; when omitted it is the largest label + 1 (with a warning when most classes are empty) */
const numClasses = z.number().int().min(2).max(maxClasses).optional();

export const datasetSpecSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('mnist'), ...datasetLimits }),
  z.strictObject({ kind: z.literal('fashion-mnist'), ...datasetLimits }),
  /** without `dir`: the copy `batchscope datasets --download cifar10` (or the designer's Download) put beside the database */
  z.strictObject({ kind: z.literal('cifar10'), dir: z.string().min(1).optional(), ...datasetLimits }),
  z.strictObject({
    kind: z.literal('idx'),
    trainImages: z.string().min(1),
    trainLabels: z.string().min(1),
    testImages: z.string().min(1).optional(),
    testLabels: z.string().min(1).optional(),
    /** when no test files are given, this fraction of the training set is held out */
    testFraction: z.number().gt(0).lt(1).default(0.2),
    numClasses,
    ...datasetLimits,
  }),
  z.strictObject({
    kind: z.literal('csv'),
    path: z.string().min(1),
    /** column holding the integer class label; default: the last one */
    labelColumn: z.union([z.string().min(1), z.number().int().nonnegative()]).optional(),
    header: z.boolean().default(true),
    testFraction: z.number().gt(0).lt(1).default(0.2),
    numClasses,
    ...datasetLimits,
  }),
  z.strictObject({
    kind: z.literal('blobs'),
    samples: positiveInt.default(2000),
    classes: z.number().int().min(2).max(100).default(4),
    features: positiveInt.default(2),
    spread: z.number().positive().default(1),
    testFraction: z.number().gt(0).lt(1).default(0.2),
    ...datasetLimits,
  }),
  z.strictObject({
    kind: z.literal('spirals'),
    samples: positiveInt.default(2000),
    arms: z.number().int().min(2).max(10).default(2),
    noise: nonNegative.default(0.1),
    testFraction: z.number().gt(0).lt(1).default(0.2),
    ...datasetLimits,
  }),
]);

export const activationSchema = z.enum(['relu', 'tanh', 'sigmoid', 'elu']);

export const convBlockSchema = z.strictObject({
  filters: positiveInt,
  kernelSize: z.number().int().min(1).max(11).default(3),
  stride: z.number().int().min(1).max(4).default(1),
  padding: z.enum(['same', 'valid']).default('same'),
  /** max-pool window (and stride) after the conv; 1 means no pooling */
  pool: z.number().int().min(1).max(4).default(2),
});

export const modelSpecSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('mlp'),
    hidden: z.array(positiveInt).max(16).default([256, 128]),
    activation: activationSchema.default('relu'),
  }),
  z.strictObject({
    kind: z.literal('cnn'),
    /** LeNet-like default: conv5x5·16 – pool – conv5x5·32 – pool – dense 128 */
    conv: z
      .array(convBlockSchema)
      .min(1)
      .max(8)
      .default([
        { filters: 16, kernelSize: 5, stride: 1, padding: 'same', pool: 2 },
        { filters: 32, kernelSize: 5, stride: 1, padding: 'same', pool: 2 },
      ]),
    dense: z.array(positiveInt).max(4).default([128]),
    activation: activationSchema.default('relu'),
  }),
  z.strictObject({
    kind: z.literal('resnet'),
    /** basic blocks per stage; each later stage halves the resolution and doubles the width */
    stages: z.array(z.number().int().min(1).max(8)).min(1).max(4).default([1, 1, 1]),
    width: positiveInt.default(16),
  }),
]);

const curvatureEstimatorSchema = z.enum([
  'gradient-difference',
  'loss-difference',
  'hutchinson',
  'all-layers',
  'lars-proxy',
]);
export type CurvatureEstimator = z.infer<typeof curvatureEstimatorSchema>;

const weightDecay = nonNegative.default(0);
/** this optimizer's own base learning rate, overriding lr.base (so a sweep over optimizers can give each its usual rate) */
const ownLr = { lr: z.number().positive().optional() };
const excludeBiasAndNorm = z.boolean().default(true);

const curvatureLrFields = {
  /** absolute: c = 1 (damped Newton step); relative: c = geometric mean of κ over layers */
  mode: z.enum(['absolute', 'relative']).default('relative'),
  /** steps between curvature refreshes (K in the paper's notation) */
  refreshEvery: positiveInt.default(10),
  kappaMin: z.number().positive().default(1e-6),
  /** bounds of a layer's rate relative to the global one; wide bounds let one noisy κ blow a layer up */
  ratioMin: z.number().positive().default(0.1),
  ratioMax: z.number().positive().default(10),
  momentum: z.number().min(0).lt(1).default(0.9),
  weightDecay,
};

export const optimizerSpecSchema = z.discriminatedUnion('name', [
  z.strictObject({ name: z.literal('sgd'), weightDecay, ...ownLr }),
  z.strictObject({
    name: z.literal('momentum'),
    ...ownLr,
    momentum: z.number().min(0).lt(1).default(0.9),
    nesterov: z.boolean().default(false),
    weightDecay,
  }),
  z.strictObject({
    name: z.literal('adam'),
    ...ownLr,
    beta1: z.number().min(0).lt(1).default(0.9),
    beta2: z.number().min(0).lt(1).default(0.999),
    epsilon: z.number().positive().default(1e-8),
    /** L2 penalty added to the gradient (coupled), as in the original Adam */
    weightDecay,
  }),
  z.strictObject({
    name: z.literal('adamw'),
    ...ownLr,
    beta1: z.number().min(0).lt(1).default(0.9),
    beta2: z.number().min(0).lt(1).default(0.999),
    epsilon: z.number().positive().default(1e-8),
    /** decoupled weight decay (Loshchilov & Hutter) */
    weightDecay: nonNegative.default(0.01),
  }),
  z.strictObject({
    name: z.literal('lars'),
    ...ownLr,
    momentum: z.number().min(0).lt(1).default(0.9),
    trustCoefficient: z.number().positive().default(0.001),
    weightDecay: nonNegative.default(0.0005),
    epsilon: nonNegative.default(1e-9),
    excludeBiasAndNorm,
    /** LARC-style clipping: the local rate never exceeds the global one */
    clip: z.boolean().default(false),
  }),
  z.strictObject({
    name: z.literal('lamb'),
    ...ownLr,
    beta1: z.number().min(0).lt(1).default(0.9),
    beta2: z.number().min(0).lt(1).default(0.999),
    epsilon: z.number().positive().default(1e-6),
    weightDecay: nonNegative.default(0.01),
    excludeBiasAndNorm,
    /** upper bound of the trust ratio; 0 for none */
    trustClip: nonNegative.default(10),
  }),
  z.strictObject({
    name: z.literal('cblr'),
    ...ownLr,
    curvature: curvatureEstimatorSchema.default('gradient-difference'),
    ...curvatureLrFields,
  }),
  z.strictObject({
    name: z.literal('mclr'),
    ...ownLr,
    /** element-wise curvature whose median stands in for κ_l */
    elementCurvature: z.enum(['secant', 'hutchinson']).default('secant'),
    ...curvatureLrFields,
  }),
]);

export const lrScheduleSchema = z
  .strictObject({
    /** learning rate at baseBatchSize */
    base: z.number().positive().default(0.1),
    baseBatchSize: positiveInt.default(128),
    scaling: z.enum(['none', 'linear', 'sqrt']).default('none'),
    warmup: z
      .strictObject({ epochs: nonNegative.optional(), steps: z.number().int().nonnegative().optional() })
      .refine((w) => !(w.epochs !== undefined && w.steps !== undefined), {
        message: 'give warmup in epochs or in steps, not both',
      })
      .default({}),
    decay: z
      .discriminatedUnion('kind', [
        z.strictObject({ kind: z.literal('constant') }),
        z.strictObject({
          kind: z.literal('step'),
          /** epochs at which the rate is multiplied by factor */
          milestones: z.array(nonNegative).min(1),
          factor: z.number().positive().max(1).default(0.1),
        }),
        z.strictObject({ kind: z.literal('cosine'), minFactor: fraction.default(0) }),
        z.strictObject({
          kind: z.literal('polynomial'),
          power: z.number().positive().default(2),
          minFactor: fraction.default(0),
        }),
      ])
      .default({ kind: 'constant' }),
  })
  .default({ base: 0.1, baseBatchSize: 128, scaling: 'none', warmup: {}, decay: { kind: 'constant' } });

export const batchSpecSchema = z
  .strictObject({
    size: positiveInt.max(1 << 20).default(128),
    /** batch size becomes `size` at `epoch` (Smith et al. 2018; the paper's scheduling) */
    schedule: z.array(z.strictObject({ epoch: nonNegative, size: positiveInt.max(1 << 20) })).default([]),
    /** largest micro-batch evaluated at once; gradients are accumulated up to the logical batch */
    microBatch: positiveInt.optional(),
  })
  .default({ size: 128, schedule: [] });

export const discardSpecSchema = z
  .strictObject({
    /** fraction of the batch with the smallest per-sample loss left out of the gradient */
    fraction: z.number().min(0).lt(1).optional(),
    /** samples with a loss below this are left out */
    threshold: nonNegative.optional(),
    fromEpoch: nonNegative.default(0),
    toEpoch: nonNegative.optional(),
  })
  .refine((d) => (d.fraction === undefined) !== (d.threshold === undefined), {
    message: 'give either fraction or threshold',
  });

export const trainingSpecSchema = z
  .strictObject({
    epochs: z.number().positive().optional(),
    steps: positiveInt.optional(),
    seed: z.number().int().nonnegative().default(0),
    /** evaluate train/test loss and accuracy every this many epochs (may be fractional) */
    evalEveryEpochs: z.number().positive().optional(),
    evalEverySteps: positiveInt.optional(),
    /** train accuracy is measured on a fixed subset of this size */
    trainEvalSamples: positiveInt.default(2000),
    testEvalSamples: positiveInt.optional(),
  })
  .default({ epochs: 1, seed: 0, trainEvalSamples: 2000 });

export const diagnosticsSpecSchema = z
  .strictObject({
    /** per-layer norms and step lengths every this many steps */
    every: positiveInt.default(1),
    /** per-layer curvature every this many steps; 0 turns it off (50 keeps its cost under 10 % of an MLP run, docs/benchmarks.md) */
    curvatureEvery: z.number().int().nonnegative().default(50),
    curvatureEstimator: curvatureEstimatorSchema.default('gradient-difference'),
    /** curvature is estimated on the first this-many samples of the step's batch (bounds its cost at large B) */
    curvatureBatch: positiveInt.default(256),
    /** h = relativeStep · max(‖w_l‖, 1) */
    relativeStep: z.number().positive().max(0.1).default(1e-3),
    /** one extra forward pass for ΔL at the diagnostics cadence */
    lossUpdate: z.boolean().default(true),
    /**
     * top Hessian eigenvalue (network and per layer) every this many steps and at the last step, by Lanczos
     * on the curvature sub-batch; 0 turns it off (1000 keeps its cost near 5 % of an MLP run; docs/methods.md "Sharpness")
     */
    sharpnessEvery: z.number().int().nonnegative().default(1000),
    /** most Lanczos iterations (Hessian-vector products) per block and evaluation (on an MNIST MLP 5–10 cold, fewer warm) */
    sharpnessIterations: positiveInt.max(500).default(20),
    /**
     * gradient noise scale B_simple from the parts of the batch (McCandlish et al. 2018), every
     * `studyEvery` steps, smoothed over those measurements
     */
    noiseScale: z.boolean().default(true),
    /** distance from initialization ‖w_t − w_0‖ and the cosine of consecutive updates, per layer, every `studyEvery` steps */
    geometry: z.boolean().default(true),
    /** noise scale and trajectory every this many steps (they also make that step's layer record); 10 keeps their cost near 1 % (docs/benchmarks.md) */
    studyEvery: positiveInt.default(10),
  })
  .default({
    every: 1,
    curvatureEvery: 50,
    curvatureEstimator: 'gradient-difference',
    curvatureBatch: 256,
    relativeStep: 1e-3,
    lossUpdate: true,
    sharpnessEvery: 1000,
    sharpnessIterations: 20,
    noiseScale: true,
    geometry: true,
    studyEvery: 10,
  });

/**
 * Threads one run trains on: its batch (each micro-batch) is split into this many
 * data-parallel shards (worker_threads). "auto" leaves it to the runner's core budget.
 */
export const threadsSchema = z.union([z.number().int().min(1).max(256), z.literal('auto')], {
  error: 'expected a whole number of threads ≥ 1 or "auto"',
});
export type Threads = z.infer<typeof threadsSchema>;

/**
 * How often a remote run (docs/distributed.md) is started again from scratch when its worker is
 * lost mid-run (killed, machine gone); 0: it ends `interrupted`. Local runs ignore it.
 */
export const retriesSchema = z.number({ error: 'expected a whole number of retries from 0 to 10' }).int('expected a whole number of retries from 0 to 10').min(0, 'retries must be ≥ 0').max(10, 'retries must be ≤ 10');

export const backendPreferenceSchema = z.enum(['auto', 'tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu']);
export type BackendPreference = z.infer<typeof backendPreferenceSchema>;

export const runSpecShape = {
  name: z.string().min(1).max(200).default('untitled'),
  dataset: datasetSpecSchema,
  model: modelSpecSchema,
  optimizer: optimizerSpecSchema.default({ name: 'sgd', weightDecay: 0 }),
  lr: lrScheduleSchema,
  batch: batchSpecSchema,
  discard: discardSpecSchema.optional(),
  training: trainingSpecSchema,
  diagnostics: diagnosticsSpecSchema,
  backend: backendPreferenceSchema.default('auto'),
  threads: threadsSchema.default('auto'),
  retries: retriesSchema.default(0),
};

export function checkRunConsistency(spec: RunSpecShape, ctx: z.RefinementCtx): void {
  const t = spec.training;
  if (t.epochs === undefined && t.steps === undefined) {
    ctx.addIssue({ code: 'custom', path: ['training', 'epochs'], message: 'give training.epochs or training.steps' });
  }
  if (t.epochs !== undefined && t.steps !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['training', 'steps'], message: 'give training.epochs or training.steps, not both' });
  }
  const w = spec.lr.warmup;
  if (t.epochs !== undefined && w.epochs !== undefined && w.epochs > t.epochs) {
    ctx.addIssue({ code: 'custom', path: ['lr', 'warmup', 'epochs'], message: `warmup (${w.epochs} epochs) is longer than the run (${t.epochs} epochs)` });
  }
  if (t.steps !== undefined && w.steps !== undefined && w.steps > t.steps) {
    ctx.addIssue({ code: 'custom', path: ['lr', 'warmup', 'steps'], message: `warmup (${w.steps} steps) is longer than the run (${t.steps} steps)` });
  }
  const mb = spec.batch.microBatch;
  if (mb !== undefined && mb > spec.batch.size) {
    ctx.addIssue({ code: 'custom', path: ['batch', 'microBatch'], message: `micro-batch (${mb}) is larger than the batch (${spec.batch.size})` });
  }
  const epochs = spec.batch.schedule.map((s) => s.epoch);
  for (let i = 1; i < epochs.length; i++) {
    if (epochs[i]! <= epochs[i - 1]!) {
      ctx.addIssue({ code: 'custom', path: ['batch', 'schedule', i, 'epoch'], message: 'schedule epochs must increase' });
    }
  }
  const d = spec.discard;
  if (d?.toEpoch !== undefined && d.toEpoch < d.fromEpoch) {
    ctx.addIssue({ code: 'custom', path: ['discard', 'toEpoch'], message: 'toEpoch is before fromEpoch' });
  }
  const o = spec.optimizer;
  if ((o.name === 'cblr' || o.name === 'mclr') && o.ratioMin > o.ratioMax) {
    ctx.addIssue({ code: 'custom', path: ['optimizer', 'ratioMin'], message: 'ratioMin is larger than ratioMax' });
  }
  if (spec.lr.decay.kind === 'step') {
    spec.lr.decay.milestones.forEach((m, i) => {
      if (i > 0 && m <= (spec.lr.decay as { milestones: number[] }).milestones[i - 1]!) {
        ctx.addIssue({ code: 'custom', path: ['lr', 'decay', 'milestones', i], message: 'milestones must increase' });
      }
    });
  }
}

const runSpecObject = z.strictObject(runSpecShape);
export type RunSpecShape = z.infer<typeof runSpecObject>;

/** One training run, fully resolved (defaults filled in). */
export const runSpecSchema = runSpecObject.superRefine(checkRunConsistency);
export type RunSpec = z.infer<typeof runSpecSchema>;
export type RunSpecInput = z.input<typeof runSpecSchema>;
export type DatasetSpec = z.infer<typeof datasetSpecSchema>;
export type ModelSpec = z.infer<typeof modelSpecSchema>;
export type OptimizerSpec = z.infer<typeof optimizerSpecSchema>;
export type OptimizerName = OptimizerSpec['name'];
export type LrSchedule = z.infer<typeof lrScheduleSchema>;
export type BatchSpec = z.infer<typeof batchSpecSchema>;
export type DiscardSpec = z.infer<typeof discardSpecSchema>;
export type DiagnosticsSpec = z.infer<typeof diagnosticsSpecSchema>;

/** A field-level problem: `path` is the dotted path of the field, e.g. `batch.microBatch`. */
export interface SpecIssue {
  path: string;
  message: string;
}

export class SpecError extends Error {
  constructor(readonly issues: SpecIssue[]) {
    super(`invalid spec: ${issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}`);
    this.name = 'SpecError';
  }
}

export function toSpecIssues(error: z.ZodError): SpecIssue[] {
  return error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message }));
}

export type Validation<T> = { ok: true; value: T } | { ok: false; issues: SpecIssue[] };

export function validateRunSpec(input: unknown): Validation<RunSpec> {
  const parsed = runSpecSchema.safeParse(input);
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, issues: toSpecIssues(parsed.error) };
}

/** Parses or throws a SpecError naming every bad field. */
export function parseRunSpec(input: unknown): RunSpec {
  const result = validateRunSpec(input);
  if (!result.ok) throw new SpecError(result.issues);
  return result.value;
}
