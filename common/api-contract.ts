/**
 * The one contract between the renderer and the backend. Electron IPC, the
 * local HTTP server and the CLI are thin transports over an implementation of
 * `BatchscopeApi`; every method's input is validated in main with `apiInputs`.
 */
import { z } from 'zod';
import type { BackendInfo, GpuAdapterInfo, LayerInfo, Progress, RunStatus, RunSummary } from './metrics';
import type { RunSpec, SpecIssue } from './spec';
import { datasetSpecSchema } from './spec';

export const runStatuses = ['queued', 'running', 'completed', 'failed', 'diverged', 'cancelled', 'interrupted'] as const satisfies readonly RunStatus[];

export const stepFields = ['loss', 'accuracy', 'lr', 'batchSize', 'discarded', 'lossUpdate', 'noiseScale', 'sharpness', 'stepMs'] as const;
export const evalFields = ['trainLoss', 'trainAccuracy', 'testLoss', 'testAccuracy', 'gap'] as const;
export const layerFields = [
  'gradNorm',
  'weightNorm',
  'updateNorm',
  'effectiveLr',
  'lossUpdateShare',
  'curvature',
  'curvatureError',
  'noiseScale',
  'sharpness',
  'distanceFromInit',
  'updateCosine',
] as const;
export type StepField = (typeof stepFields)[number];
export type EvalField = (typeof evalFields)[number];
export type LayerField = (typeof layerFields)[number];

const id = z.number().int().positive();
const maxPoints = z.number().int().min(2).max(100_000).default(1000);

/** Input schemas, one per method: main validates every call against these. */
export const apiInputs = {
  listDatasets: z.strictObject({}),
  /** fetch a data set that ships separately (CIFAR-10) into the data folder; progress as events */
  downloadDataset: z.strictObject({ kind: z.literal('cifar10') }),
  datasetPreview: z.strictObject({ dataset: datasetSpecSchema, perClass: z.number().int().min(1).max(16).default(4) }),
  planExperiment: z.strictObject({ spec: z.unknown() }),
  createExperiment: z.strictObject({ spec: z.unknown() }),
  listExperiments: z.strictObject({ search: z.string().max(200).optional() }),
  getExperiment: z.strictObject({ id }),
  listRuns: z.strictObject({
    experimentId: id.optional(),
    status: z.enum(runStatuses).optional(),
    search: z.string().max(200).optional(),
  }),
  getRun: z.strictObject({ id }),
  stepSeries: z.strictObject({ runIds: z.array(id).min(1).max(64), field: z.enum(stepFields), maxPoints }),
  evalSeries: z.strictObject({ runIds: z.array(id).min(1).max(64) }),
  layerSeries: z.strictObject({
    runId: id,
    field: z.enum(layerFields),
    layers: z.array(z.number().int().nonnegative()).optional(),
    maxPoints,
  }),
  cancelRun: z.strictObject({ id }),
  deleteRun: z.strictObject({ id }),
  deleteExperiment: z.strictObject({ id }),
  exportData: z.strictObject({
    runIds: z.array(id).min(1).max(256).optional(),
    experimentId: id.optional(),
    format: z.enum(['csv', 'json']),
  }),
  listPresets: z.strictObject({}),
  experimentReport: z.strictObject({ id }),
  /** the `batchscope worker` processes taking runs from this coordinator's queue (Workers panel) */
  listWorkers: z.strictObject({}),
} as const;

export type ApiMethod = keyof typeof apiInputs;
export type ApiInput<M extends ApiMethod> = z.input<(typeof apiInputs)[M]>;

export interface DatasetListing {
  kind: string;
  description: string;
  available: boolean;
  trainSamples?: number;
  testSamples?: number;
  note?: string;
  /** for folder datasets that are in place (a downloaded CIFAR-10): the folder to use as `dir` */
  dir?: string;
}

export interface SampleImage {
  label: number;
  /** row-major, 0–255, `channels` values per pixel */
  pixels: number[];
  width: number;
  height: number;
  channels: number;
}

export interface DatasetPreview {
  classNames: string[];
  classCounts: number[];
  samples: SampleImage[];
  inputShape: number[];
}

export interface PlanResult {
  ok: boolean;
  issues: SpecIssue[];
  /** problems that do not stop the experiment, e.g. most classes of the labels have no sample */
  warnings: string[];
  runs: { index: number; label: string }[];
  /** trainable parameters of the model (for the first run) */
  paramCount: number | null;
  /** from measured throughput of past runs on this machine, when there are any */
  estimatedMs: number | null;
}

export interface ExperimentRecord {
  id: number;
  name: string;
  notes: string;
  tags: string[];
  /** the spec as designed (sweep lists included) */
  spec: unknown;
  createdAt: string;
  runCount: number;
  statusCounts: Partial<Record<RunStatus, number>>;
}

export interface RunRecord {
  id: number;
  experimentId: number;
  experimentName: string;
  index: number;
  label: string;
  point: Record<string, string | number>;
  spec: RunSpec;
  status: RunStatus;
  error: string | null;
  backend: BackendInfo | null;
  /** the WebGPU adapter the run trained on (vendor/architecture), null for other backends */
  gpuAdapter: GpuAdapterInfo | null;
  layers: LayerInfo[];
  createdAt: string;
  startedAt: string | null;
  endedAt: string | null;
  totalSteps: number | null;
  /** threads the run trains on (data-parallel shards), known once it started */
  threads: number | null;
  progress: Progress | null;
  summary: RunSummary | null;
  /** the remote worker (`batchscope worker`) that took the run; absent or null for a local run */
  worker?: { name: string; host: string } | null;
}

/** One run's series, columns aligned: any of them can be the x axis. */
export interface StepSeries {
  runId: number;
  step: number[];
  epoch: number[];
  samplesSeen: number[];
  wallMs: number[];
  value: number[];
}

export interface EvalSeries {
  runId: number;
  step: number[];
  epoch: number[];
  wallMs: number[];
  trainLoss: number[];
  trainAccuracy: number[];
  testLoss: number[];
  testAccuracy: number[];
  gap: number[];
}

export interface LayerSeries {
  runId: number;
  field: LayerField;
  layers: { layer: number; name: string; step: number[]; value: (number | null)[] }[];
}

export interface ExportFile {
  filename: string;
  mime: string;
  content: string;
}

export interface Preset {
  id: string;
  title: string;
  claim: string;
  description: string;
  spec: unknown;
}

/** An experiment's report as one self-contained HTML file (what `batchscope report` writes). */
export interface ExperimentReport {
  filename: string;
  html: string;
}

/** A `batchscope worker` as its heartbeats in Redis describe it. */
export interface WorkerStatus {
  name: string;
  host: string;
  pid: number;
  /** runs it trains at a time */
  concurrency: number;
  /** since its last heartbeat (one every 2 s while it is alive) */
  lastBeatAgeMs: number;
  /** no heartbeat for several beats: probably killed or cut off; gone from the list 10 s after its last beat */
  stale: boolean;
  /** the runs it is training; label and experiment when the run is in this database */
  runs: { id: number; label: string | null; experimentName: string | null }[];
}

export interface WorkersListing {
  /** false: no Redis configured, runs train on this machine (`reason` says so) */
  distributed: boolean;
  queue: string | null;
  /** why the list is empty when it cannot be read: no Redis configured, Redis unreachable */
  reason: string | null;
  workers: WorkerStatus[];
}

export interface BatchscopeApi {
  listDatasets(input: ApiInput<'listDatasets'>): Promise<DatasetListing[]>;
  downloadDataset(input: ApiInput<'downloadDataset'>): Promise<{ dir: string; downloaded: boolean }>;
  datasetPreview(input: ApiInput<'datasetPreview'>): Promise<DatasetPreview>;
  planExperiment(input: ApiInput<'planExperiment'>): Promise<PlanResult>;
  createExperiment(input: ApiInput<'createExperiment'>): Promise<{ experiment: ExperimentRecord; runs: RunRecord[]; warnings: string[] }>;
  listExperiments(input: ApiInput<'listExperiments'>): Promise<ExperimentRecord[]>;
  getExperiment(input: ApiInput<'getExperiment'>): Promise<{ experiment: ExperimentRecord; runs: RunRecord[] }>;
  listRuns(input: ApiInput<'listRuns'>): Promise<RunRecord[]>;
  getRun(input: ApiInput<'getRun'>): Promise<RunRecord>;
  stepSeries(input: ApiInput<'stepSeries'>): Promise<StepSeries[]>;
  evalSeries(input: ApiInput<'evalSeries'>): Promise<EvalSeries[]>;
  layerSeries(input: ApiInput<'layerSeries'>): Promise<LayerSeries>;
  cancelRun(input: ApiInput<'cancelRun'>): Promise<RunRecord>;
  deleteRun(input: ApiInput<'deleteRun'>): Promise<{ deleted: number }>;
  deleteExperiment(input: ApiInput<'deleteExperiment'>): Promise<{ deleted: number }>;
  exportData(input: ApiInput<'exportData'>): Promise<ExportFile>;
  listPresets(input: ApiInput<'listPresets'>): Promise<Preset[]>;
  experimentReport(input: ApiInput<'experimentReport'>): Promise<ExperimentReport>;
  listWorkers(input: ApiInput<'listWorkers'>): Promise<WorkersListing>;
}

/** Live events pushed to subscribers (throttled per run by the runner). */
export type ApiEvent =
  | { type: 'run-updated'; run: Pick<RunRecord, 'id' | 'experimentId' | 'status' | 'progress' | 'error' | 'summary'> & { threads?: number | null } }
  | { type: 'run-metrics'; runId: number; step: number }
  | { type: 'experiment-created'; experimentId: number }
  | { type: 'download-progress'; kind: string; receivedBytes: number; totalBytes: number | null }
  /** desktop app only: a spec file the system asked the app to open, for the designer (json, or why it could not be read) */
  | { type: 'spec-file-opened'; fileName: string; json?: unknown; error?: string };

/** Errors cross transports as this shape; `issues` carries field-level problems. */
export interface ApiErrorBody {
  error: { name: string; message: string; issues?: SpecIssue[] };
}

export const apiMethods = Object.keys(apiInputs) as ApiMethod[];
