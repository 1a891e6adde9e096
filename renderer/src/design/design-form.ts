/**
 * The Design view's form state and its two-way mapping to an experiment spec.
 *
 * The form keeps what a person edits: every dataset kind's and model kind's
 * values (switching kinds loses nothing), every optimizer's hyperparameters,
 * and lists where the spec has "one value, or a sweep list". The mapping puts
 * a single choice in the run spec (`batch.size`) and several in the sweep
 * (`sweep.batchSize`), so the spec validates with the shared schema and its
 * issue paths are the ones the form shows errors at.
 */
import {
  datasetSpecSchema,
  lrScheduleSchema,
  modelSpecSchema,
  optimizerSpecSchema,
  type BackendPreference,
  type CurvatureEstimator,
  type DatasetSpec,
  type ModelSpec,
  type OptimizerName,
} from '../../../common/spec';
import { experimentSpecSchema, type ExperimentSpec } from '../../../common/sweep';
import { describeFields, fieldDefaults, type FieldDescriptor } from './schema-fields';

export type DatasetKind = DatasetSpec['kind'];
export type ModelKind = ModelSpec['kind'];
export type ScalingRule = ExperimentSpec['lr']['scaling'];
export type DecayKind = ExperimentSpec['lr']['decay']['kind'];
export type Activation = Extract<ModelSpec, { kind: 'mlp' }>['activation'];
export type Padding = Extract<ModelSpec, { kind: 'cnn' }>['conv'][number]['padding'];

const lrShape = lrScheduleSchema.unwrap().shape;
const decayOptions = lrShape.decay.unwrap().options;

export const datasetKinds = datasetSpecSchema.options.map((o) => o.shape.kind.value) as DatasetKind[];
export const modelKinds = modelSpecSchema.options.map((o) => o.shape.kind.value) as ModelKind[];
export const optimizerNames = optimizerSpecSchema.options.map((o) => o.shape.name.value) as OptimizerName[];
export const scalingRules = lrShape.scaling.unwrap().options as readonly ScalingRule[];
export const decayKinds = decayOptions.map((o) => o.shape.kind.value) as DecayKind[];

export const datasetFields = Object.fromEntries(
  datasetSpecSchema.options.map((o) => [o.shape.kind.value, describeFields(o)]),
) as Record<DatasetKind, FieldDescriptor[]>;
export const optimizerFields = Object.fromEntries(
  optimizerSpecSchema.options.map((o) => [o.shape.name.value, describeFields(o)]),
) as Record<OptimizerName, FieldDescriptor[]>;
/** milestones (a list) is edited on its own; these are the decay's scalar fields */
export const decayFields = Object.fromEntries(decayOptions.map((o) => [o.shape.kind.value, describeFields(o)])) as Record<DecayKind, FieldDescriptor[]>;

export interface ConvBlockForm {
  filters?: number;
  kernelSize?: number;
  stride?: number;
  padding: Padding;
  pool?: number;
}

export interface DiscardForm {
  by: 'fraction' | 'threshold';
  fraction?: number;
  threshold?: number;
  fromEpoch?: number;
  toEpoch?: number;
}

export interface ScheduleStepForm {
  epoch?: number;
  size?: number;
}

export interface DesignForm {
  name: string;
  notes: string;
  tags: string[];
  backend: BackendPreference;
  /** remote runs only: times a run whose worker is lost starts again from scratch */
  retries?: number;
  dataset: { kind: DatasetKind; byKind: Record<DatasetKind, Record<string, unknown>> };
  model: {
    kind: ModelKind;
    mlp: { hidden: number[]; activation: Activation };
    cnn: { conv: ConvBlockForm[]; dense: number[]; activation: Activation };
    resnet: { stages: number[]; width?: number };
  };
  optimizers: { selected: OptimizerName[]; byName: Record<OptimizerName, Record<string, unknown>> };
  lr: {
    /** one value: lr.base; several: sweep.lr */
    values: number[];
    baseBatchSize?: number;
    /** one rule: lr.scaling; several: sweep.scaling */
    scalings: ScalingRule[];
    warmup: { unit: 'none' | 'epochs' | 'steps'; amount?: number };
    decay: { kind: DecayKind; milestones: number[]; byKind: Record<DecayKind, Record<string, unknown>> };
  };
  batch: {
    sizes: number[];
    microBatch?: number;
    /** one schedule: batch.schedule; several: sweep.batchSchedule ([] is a fixed batch size) */
    schedules: ScheduleStepForm[][];
  };
  discard: {
    enabled: boolean;
    /** one variant: discard; several, or one compared with no discarding: sweep.discard */
    variants: DiscardForm[];
    /** also run without discarding, for comparison */
    withoutToo: boolean;
  };
  training: {
    length: 'epochs' | 'steps';
    epochs?: number;
    steps?: number;
    /** one seed: training.seed; several: sweep.seed */
    seeds: number[];
    evalBy: 'default' | 'epochs' | 'steps';
    evalEveryEpochs?: number;
    evalEverySteps?: number;
    trainEvalSamples?: number;
    testEvalSamples?: number;
  };
  diagnostics: {
    every?: number;
    curvatureEvery?: number;
    curvatureEstimator: CurvatureEstimator;
    curvatureBatch?: number;
    relativeStep?: number;
    lossUpdate: boolean;
    sharpnessEvery?: number;
    sharpnessIterations?: number;
    noiseScale: boolean;
    geometry: boolean;
    studyEvery?: number;
  };
}

/** Batch sizes offered as chips (any other can be added by hand). */
export const batchSizeChoices = [32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384] as const;

/** A quick first experiment: a small MNIST subset and an MLP. */
export const starterSpec = {
  name: 'untitled',
  dataset: { kind: 'mnist', trainLimit: 10000, testLimit: 2000 },
  model: { kind: 'mlp' },
  training: { epochs: 1 },
};

function without<T extends object, K extends keyof T>(value: T, key: K): Omit<T, K> {
  const { [key]: _dropped, ...rest } = value;
  return rest;
}

/** Drops undefined members so saved JSON stays clean. */
function compact<T extends Record<string, unknown>>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function single<T>(list: readonly T[]): T | undefined {
  return list.length === 1 ? list[0] : undefined;
}

function several<T>(list: readonly T[]): T[] | undefined {
  return list.length > 1 ? [...list] : undefined;
}

/** The draft spec the form describes; may be invalid — that is what the field errors are for. */
export function toExperimentSpec(form: DesignForm): Record<string, unknown> {
  const optimizers = form.optimizers.selected.map((name) => compact({ name, ...form.optimizers.byName[name] }));
  const model =
    form.model.kind === 'mlp'
      ? { kind: 'mlp', hidden: form.model.mlp.hidden, activation: form.model.mlp.activation }
      : form.model.kind === 'cnn'
        ? { kind: 'cnn', conv: form.model.cnn.conv.map((b) => compact({ ...b })), dense: form.model.cnn.dense, activation: form.model.cnn.activation }
        : compact({ kind: 'resnet', stages: form.model.resnet.stages, width: form.model.resnet.width });
  const { decay, warmup } = form.lr;
  const training = form.training;
  const schedules = form.batch.schedules.map((steps) => steps.map((step) => compact({ ...step })));
  const discards = discardVariants(form);
  return {
    name: form.name,
    notes: form.notes,
    tags: form.tags,
    dataset: compact({ kind: form.dataset.kind, ...form.dataset.byKind[form.dataset.kind] }),
    model,
    ...compact({ optimizer: single(optimizers) }),
    lr: compact({
      base: single(form.lr.values),
      baseBatchSize: form.lr.baseBatchSize,
      scaling: single(form.lr.scalings),
      warmup: warmup.unit === 'none' ? {} : compact({ [warmup.unit]: warmup.amount }),
      decay: compact({ kind: decay.kind, ...(decay.kind === 'step' ? { milestones: decay.milestones } : {}), ...decay.byKind[decay.kind] }),
    }),
    batch: compact({ size: single(form.batch.sizes), schedule: single(schedules), microBatch: form.batch.microBatch }),
    ...compact({ discard: single(discards) ?? undefined }),
    training: compact({
      epochs: training.length === 'epochs' ? training.epochs : undefined,
      steps: training.length === 'steps' ? training.steps : undefined,
      seed: single(training.seeds),
      evalEveryEpochs: training.evalBy === 'epochs' ? training.evalEveryEpochs : undefined,
      evalEverySteps: training.evalBy === 'steps' ? training.evalEverySteps : undefined,
      trainEvalSamples: training.trainEvalSamples,
      testEvalSamples: training.testEvalSamples,
    }),
    diagnostics: compact({ ...form.diagnostics }),
    backend: form.backend,
    ...(form.retries !== undefined && form.retries !== 0 ? { retries: form.retries } : {}),
    sweep: compact({
      batchSize: several(form.batch.sizes),
      optimizer: several(optimizers),
      lr: several(form.lr.values),
      scaling: several(form.lr.scalings),
      seed: several(training.seeds),
      discard: several(discards),
      batchSchedule: several(schedules),
    }),
  };
}

function discardSpec(d: DiscardForm): Record<string, unknown> {
  return compact({
    fraction: d.by === 'fraction' ? d.fraction : undefined,
    threshold: d.by === 'threshold' ? d.threshold : undefined,
    fromEpoch: d.fromEpoch,
    toEpoch: d.toEpoch,
  });
}

/** The discard settings to run, null standing for "no discarding". */
function discardVariants(form: DesignForm): (Record<string, unknown> | null)[] {
  if (!form.discard.enabled) return [];
  return [...(form.discard.withoutToo ? [null] : []), ...form.discard.variants.map(discardSpec)];
}

/** Where the schema reports problems of the form's discard variant `index`. */
export function discardErrorPath(form: DesignForm, index: number): string {
  const variants = discardVariants(form);
  return variants.length > 1 ? `sweep.discard.${index + (form.discard.withoutToo ? 1 : 0)}` : 'discard';
}

/** Where the schema reports problems of the form's batch-size schedule `index`. */
export function scheduleErrorPath(form: DesignForm, index: number): string {
  return form.batch.schedules.length > 1 ? `sweep.batchSchedule.${index}` : 'batch.schedule';
}

/** Every kind's and every optimizer's schema defaults, before a spec is applied. */
function blankForm(): DesignForm {
  const parsed = experimentSpecSchema.parse(starterSpec);
  return {
    name: parsed.name,
    notes: '',
    tags: [],
    backend: parsed.backend,
    retries: parsed.retries,
    dataset: {
      kind: 'mnist',
      byKind: Object.fromEntries(datasetKinds.map((k) => [k, fieldDefaults(datasetFields[k])])) as Record<DatasetKind, Record<string, unknown>>,
    },
    model: {
      kind: 'mlp',
      mlp: without(modelSpecSchema.parse({ kind: 'mlp' }) as Extract<ModelSpec, { kind: 'mlp' }>, 'kind'),
      cnn: without(modelSpecSchema.parse({ kind: 'cnn' }) as Extract<ModelSpec, { kind: 'cnn' }>, 'kind'),
      resnet: without(modelSpecSchema.parse({ kind: 'resnet' }) as Extract<ModelSpec, { kind: 'resnet' }>, 'kind'),
    },
    optimizers: {
      selected: ['sgd'],
      byName: Object.fromEntries(optimizerNames.map((n): [OptimizerName, Record<string, unknown>] => [n, { ...without(optimizerSpecSchema.parse({ name: n }), 'name') }])) as Record<
        OptimizerName,
        Record<string, unknown>
      >,
    },
    lr: {
      values: [parsed.lr.base],
      baseBatchSize: parsed.lr.baseBatchSize,
      scalings: [parsed.lr.scaling],
      warmup: { unit: 'none' },
      decay: {
        kind: 'constant',
        milestones: [],
        byKind: Object.fromEntries(decayKinds.map((k) => [k, fieldDefaults(decayFields[k])])) as Record<DecayKind, Record<string, unknown>>,
      },
    },
    batch: { sizes: [parsed.batch.size], schedules: [[]] },
    discard: { enabled: false, variants: [{ by: 'fraction', fraction: 0.2, fromEpoch: 0 }], withoutToo: false },
    training: {
      length: 'epochs',
      epochs: 1,
      steps: 100,
      seeds: [parsed.training.seed],
      evalBy: 'default',
      evalEveryEpochs: 0.25,
      evalEverySteps: 50,
      trainEvalSamples: parsed.training.trainEvalSamples,
      testEvalSamples: parsed.training.testEvalSamples,
    },
    diagnostics: { ...parsed.diagnostics },
  };
}

/** The form for a parsed experiment spec (sweep lists become multi-selections). */
export function fromExperimentSpec(spec: ExperimentSpec): DesignForm {
  const form = blankForm();
  form.name = spec.name;
  form.notes = spec.notes;
  form.tags = [...spec.tags];
  form.backend = spec.backend;
  form.retries = spec.retries;

  form.dataset.kind = spec.dataset.kind;
  form.dataset.byKind[spec.dataset.kind] = { ...without(spec.dataset, 'kind') };

  form.model.kind = spec.model.kind;
  if (spec.model.kind === 'mlp') form.model.mlp = without(spec.model, 'kind');
  if (spec.model.kind === 'cnn') form.model.cnn = without(spec.model, 'kind');
  if (spec.model.kind === 'resnet') form.model.resnet = without(spec.model, 'kind');

  const optimizers = spec.sweep.optimizer ?? [spec.optimizer];
  form.optimizers.selected = [];
  for (const o of optimizers) {
    if (form.optimizers.selected.includes(o.name)) continue;
    form.optimizers.selected.push(o.name);
    form.optimizers.byName[o.name] = { ...without(o, 'name') };
  }

  form.lr.values = spec.sweep.lr ?? [spec.lr.base];
  form.lr.baseBatchSize = spec.lr.baseBatchSize;
  form.lr.scalings = spec.sweep.scaling ?? [spec.lr.scaling];
  const { warmup, decay } = spec.lr;
  form.lr.warmup =
    warmup.epochs !== undefined ? { unit: 'epochs', amount: warmup.epochs } : warmup.steps !== undefined ? { unit: 'steps', amount: warmup.steps } : { unit: 'none' };
  form.lr.decay.kind = decay.kind;
  if (decay.kind === 'step') {
    form.lr.decay.milestones = [...decay.milestones];
    form.lr.decay.byKind.step = { factor: decay.factor };
  } else {
    form.lr.decay.byKind[decay.kind] = { ...without(decay, 'kind') };
  }

  form.batch.sizes = spec.sweep.batchSize ?? [spec.batch.size];
  form.batch.microBatch = spec.batch.microBatch;
  form.batch.schedules = (spec.sweep.batchSchedule ?? [spec.batch.schedule]).map((steps) => steps.map((step) => ({ ...step })));

  const discards = spec.sweep.discard ?? (spec.discard ? [spec.discard] : []);
  const variants = discards.filter((d) => d !== null);
  if (variants.length > 0) {
    form.discard = {
      enabled: true,
      withoutToo: discards.includes(null),
      variants: variants.map((d) => ({ by: d.fraction !== undefined ? 'fraction' : 'threshold', fraction: d.fraction, threshold: d.threshold, fromEpoch: d.fromEpoch, toEpoch: d.toEpoch })),
    };
  }

  const t = spec.training;
  form.training = {
    ...form.training,
    length: t.steps !== undefined ? 'steps' : 'epochs',
    epochs: t.epochs ?? form.training.epochs,
    steps: t.steps ?? form.training.steps,
    seeds: spec.sweep.seed ?? [t.seed],
    evalBy: t.evalEverySteps !== undefined ? 'steps' : t.evalEveryEpochs !== undefined ? 'epochs' : 'default',
    evalEveryEpochs: t.evalEveryEpochs ?? form.training.evalEveryEpochs,
    evalEverySteps: t.evalEverySteps ?? form.training.evalEverySteps,
    trainEvalSamples: t.trainEvalSamples,
    testEvalSamples: t.testEvalSamples,
  };
  form.diagnostics = { ...spec.diagnostics };
  return form;
}

export function defaultDesignForm(): DesignForm {
  return fromExperimentSpec(experimentSpecSchema.parse(starterSpec));
}

export type FormFromJson = { ok: true; form: DesignForm } | { ok: false; problems: string[] };

/** A saved spec, preset or past experiment (or a single run's spec) as a form; problems name the fields. */
export function formFromJson(json: unknown): FormFromJson {
  const parsed = experimentSpecSchema.safeParse(json);
  if (!parsed.success) {
    return { ok: false, problems: parsed.error.issues.map((i) => `${i.path.map(String).join('.') || 'spec'}: ${i.message}`) };
  }
  return { ok: true, form: fromExperimentSpec(parsed.data) };
}
