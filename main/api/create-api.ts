/**
 * The backend API: implements the contract over the SQLite store and the job
 * runner. Electron IPC, the local HTTP server and the CLI are thin transports
 * over the object this returns.
 */
import { availableParallelism } from 'node:os';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ApiEvent, BatchscopeApi, DatasetPreview, ExportFile, PlanResult } from '../../common/api-contract';
import { ConflictError, NotFoundError } from '../../common/api-errors';
import { parameterCountOf } from '../../common/param-count';
import type { ResourceBudget } from '../../common/resource-budget';
import { runLabel } from '../../common/sweep';

import { SpecError, type DatasetSpec, type RunSpec } from '../../common/spec';
import { experimentPreset } from '../../common/report/experiment-preset';
import { loadDataset, listDatasets } from '../engine/data/load-dataset';
import { cifar10DirIn, datasetsDirFor, downloadCifar10 } from '../download/cifar10-download';
import { classCounts, sampleImages } from '../engine/data/sample-images';
import { planBatches } from '../engine/training/batch-plan';
import { createChildProcessExecutor } from '../runner/child-process-executor';
import type { RunExecutor } from '../runner/executor';
import { JobRunner } from '../runner/job-runner';
import { createRedisExecutor, RedisExecutor } from '../distributed/redis-executor';
import { exportCsv, exportJson } from '../store/export';
import { guard, StoreError } from '../store/store-error';
import { openStore, type Store } from '../store/open-store';
import type { RunRecord as StoredRun } from '../store/runs';
import { stepAxesAt } from '../store/step-axes';
import { loadPresets } from './presets';
import { toExperimentRecord, toRunRecord } from './records';
import { createRunnerStore } from './runner-store';
import { markDeadRunsInterrupted } from './interrupted-runs';
import { checkExperiment } from './check-experiment';
import { machineBudget } from './machine-budget';

export interface ApiOptions {
  dbPath: string;
  /** parallel runs; default: the number of cores */
  concurrency?: number;
  /** cores the runs share, threads included (default: the machine's); see JobRunnerOptions.cores */
  cores?: number;
  executor?: RunExecutor;
  /** start queued runs left from an earlier session (default true) */
  resumeQueued?: boolean;
  /** what one run may plan to use; default: machineBudget() (half the memory, overridable by environment) */
  budget?: ResourceBudget;
  /**
   * true: browse only (list, show, export, report), nothing is written and nothing runs;
   * 'auto': read-only when the file exists but cannot be written (the app, serve, read-only CLI commands)
   */
  readOnly?: boolean | 'auto';
  /**
   * Hand runs to a BullMQ queue on this Redis (redis://[user:password@]host:port, rediss:// for
   * TLS) for `batchscope worker` processes to train, instead of local child processes.
   */
  redisUrl?: string;
  /** the queue name (and Redis key prefix) for remote runs; default 'batchscope' */
  queue?: string;
}

/** Remote runs are limited by the workers' concurrency, not here: every queued run is enqueued. */
const REMOTE_IN_FLIGHT = 100_000;

export interface BatchscopeBackend extends BatchscopeApi {
  subscribe(listener: (event: ApiEvent) => void): () => void;
  /** resolves when no run is executing */
  idle(): Promise<void>;
  /** resolves when no run is executing or queued (or the runner stopped: see runner.failure) */
  drained(): Promise<void>;
  close(options?: { kill?: boolean }): Promise<void>;
  readonly store: Store;
  readonly runner: JobRunner;
}

export async function createApi(options: ApiOptions): Promise<BatchscopeBackend> {
  const budget = options.budget ?? machineBudget();
  const store = openApiStore(options.dbPath, options.readOnly ?? false);
  if (!store.readonly) markDeadRunsInterrupted(store);
  const listeners = new Set<(event: ApiEvent) => void>();
  const emit = (event: ApiEvent): void => listeners.forEach((l) => l(event));
  // a timer-driven metric flush that fails (disk full) stops the runner like any other store failure
  const runnerStore = createRunnerStore(store, (error) => runner.storeFailed(error));
  let executor = options.executor;
  if (!executor && options.redisUrl) {
    try {
      executor = await createRedisExecutor({ url: options.redisUrl, ...(options.queue ? { queue: options.queue } : {}), commit: () => runnerStore.flush() });
    } catch (error) {
      store.close();
      throw error;
    }
  }
  const runner = new JobRunner(runnerStore, executor ?? createChildProcessExecutor(), {
    concurrency: options.concurrency ?? (options.redisUrl ? REMOTE_IN_FLIGHT : Math.max(1, availableParallelism())),
    ...(options.cores !== undefined ? { cores: options.cores } : {}),
  });
  if (executor instanceof RedisExecutor) {
    // follow the remote runs a previous coordinator left running, and forget the streams of the others
    const adopted = store.runs.list({ status: 'running' }).filter((r) => r.queueName === executor.queueName);
    runner.adopt(adopted.map((r) => ({ id: r.id, spec: r.config })));
    await executor.forgetStreamsExcept(new Set(adopted.map((r) => r.id)));
  }
  const experimentSpecs = new Map<number, unknown>();
  const experimentSpecOf = (experimentId: number): unknown => {
    if (!experimentSpecs.has(experimentId)) experimentSpecs.set(experimentId, store.experiments.get(experimentId)?.spec ?? null);
    return experimentSpecs.get(experimentId);
  };
  const record = (run: StoredRun) => toRunRecord(run, experimentSpecOf(run.experimentId), runner.progressOf(run.id));
  const runOrThrow = (id: number): StoredRun => {
    const run = store.runs.get(id);
    if (!run) throw new NotFoundError('run', id);
    return run;
  };
  runner.subscribe((event) => {
    if (event.type === 'run-metrics') return emit(event);
    const run = store.runs.get(event.runId);
    emit({
      type: 'run-updated',
      run: { id: event.runId, experimentId: run?.experimentId ?? 0, status: event.status, progress: event.progress, error: event.error, summary: event.summary ?? run?.summary ?? null },
    });
  });
  const previews = new Map<string, DatasetPreview>();
  const downloads = new Map<string, Promise<{ dir: string; downloaded: boolean }>>();
  const refuseWhenReadOnly = (action: string): void => {
    if (store.readonly) throw new StoreError('read-only', store.path, `${action} failed: ${store.path} is open read-only (browse mode); reopen it writable to change anything`);
  };


  const api: BatchscopeBackend = {
    store,
    runner,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    idle: () => runner.idle(),
    drained: () => runner.drained(),
    async close(closeOptions) {
      await runner.close(closeOptions);
      try {
        store.close();
      } catch (error) {
        // unsaved metrics (disk full): close anyway, and say what was lost
        try {
          store.close({ discardUnsaved: true });
        } catch {
          // the same failure, counted once
        }
        throw error;
      }
    },

    async listDatasets() {
      return listDatasets({ cifar10Dir: cifar10DirIn(datasetsDirFor(options.dbPath)) });
    },

    async downloadDataset({ kind }) {
      // one download per data set at a time: a second click joins the first
      let pending = downloads.get(kind);
      if (!pending) {
        let lastEmitMs = 0;
        pending = downloadCifar10({
          datasetsDir: datasetsDirFor(options.dbPath),
          onProgress: ({ receivedBytes, totalBytes }) => {
            const now = Date.now();
            if (now - lastEmitMs < 250 && receivedBytes !== totalBytes) return;
            lastEmitMs = now;
            emit({ type: 'download-progress', kind, receivedBytes, totalBytes });
          },
        }).finally(() => downloads.delete(kind));
        downloads.set(kind, pending);
      }
      return pending;
    },

    async datasetPreview({ dataset, perClass = 4 }) {
      const key = JSON.stringify([dataset, perClass]);
      const cached = previews.get(key);
      if (cached) return cached;
      const data = await loadDataset(dataset as DatasetSpec, 0);
      const preview: DatasetPreview = {
        classNames: data.classNames,
        classCounts: classCounts(data.train, data.numClasses),
        samples: sampleImages(data, perClass),
        inputShape: data.inputShape,
      };
      if (previews.size > 4) previews.delete(previews.keys().next().value!);
      previews.set(key, preview);
      return preview;
    },

    async planExperiment({ spec }) {
      const result = await checkExperiment(spec, budget, { datasetsDir: datasetsDirFor(options.dbPath) });
      if (!result.ok) return { ok: false, issues: result.issues, warnings: [], runs: [], paramCount: null, estimatedMs: null } satisfies PlanResult;
      const runs = result.plan.runs;
      const first = runs[0]!.spec;
      return {
        ok: true,
        issues: [],
        warnings: result.warnings,
        runs: runs.map((r) => ({ index: r.index, label: runLabel(r.point, first.name) })),
        paramCount: parameterCountOf(first.model, result.shape.inputShape, result.shape.numClasses),
        estimatedMs: estimateDurationMs(store, runs.map((r) => r.spec), result.shape.trainSamples, runner),
      };
    },

    async createExperiment({ spec }) {
      refuseWhenReadOnly('creating an experiment');
      const result = await checkExperiment(spec, budget, { datasetsDir: datasetsDirFor(options.dbPath) });
      if (!result.ok) throw new SpecError(result.issues);
      const { plan, warnings } = result;
      // one transaction: an experiment is stored with all its runs or not at all (guard names the file if the commit fails)
      const { experiment, runs } = guard(store.path, 'saving the experiment', () =>
        store.db.transaction(() => {
          const created = store.experiments.create({ name: plan.experiment.name, spec: spec as never, notes: plan.experiment.notes, tags: plan.experiment.tags });
          return { experiment: created, runs: plan.runs.map((r) => store.runs.create({ experimentId: created.id, config: r.spec, sweepIndex: r.index })) };
        })(),
      );
      if (warnings.length > 0) {
        for (const run of runs) for (const warning of warnings) runnerStore.pushEvent(run.id, { step: 0, kind: 'note', detail: { warning } });
        runnerStore.flush();
      }
      emit({ type: 'experiment-created', experimentId: experiment.id });
      runner.wake();
      return { experiment: toExperimentRecord(store.experiments.get(experiment.id)!, runs), runs: runs.map(record), warnings };
    },

    async listExperiments({ search }) {
      const all = store.runs.list({});
      return store.experiments.list(search ? { search } : {}).map((e) => toExperimentRecord(e, all.filter((r) => r.experimentId === e.id)));
    },

    async getExperiment({ id }) {
      const experiment = store.experiments.get(id);
      if (!experiment) throw new NotFoundError('experiment', id);
      const runs = store.runs.list({ experimentId: id }).sort((a, b) => a.sweepIndex - b.sweepIndex);
      return { experiment: toExperimentRecord(experiment, runs), runs: runs.map(record) };
    },

    async listRuns({ experimentId, status, search }) {
      return store.runs.list({ ...(experimentId ? { experimentId } : {}), ...(status ? { status } : {}), ...(search ? { search } : {}) }).map(record);
    },

    async getRun({ id }) {
      return record(runOrThrow(id));
    },

    async stepSeries({ runIds, field, maxPoints = 1000 }) {
      return runIds.map((runId) => {
        const series = store.metrics.series(runId, { source: 'step', field }, { maxPoints });
        return { runId, step: series.steps, ...stepAxesAt(store, runId, series.steps), value: series.values };
      });
    },

    async evalSeries({ runIds }) {
      return runIds.map((runId) => {
        const rows = store.metrics.evaluations(runId);
        return {
          runId,
          step: rows.map((r) => r.step),
          epoch: rows.map((r) => r.epoch),
          wallMs: rows.map((r) => r.wallMs),
          trainLoss: rows.map((r) => r.trainLoss),
          trainAccuracy: rows.map((r) => r.trainAccuracy),
          testLoss: rows.map((r) => r.testLoss),
          testAccuracy: rows.map((r) => r.testAccuracy),
          gap: rows.map((r) => r.gap),
        };
      });
    },

    async layerSeries({ runId, field, layers, maxPoints = 1000 }) {
      const run = runOrThrow(runId);
      const series = store.metrics.layerSeries(runId, [field], { ...(layers ? { layers } : {}), maxPoints });
      return {
        runId,
        field,
        layers: series.map((s) => {
          const layer = (s.metric as { layer: number }).layer;
          return { layer, name: run.layers?.[layer]?.name ?? `layer ${layer}`, step: s.steps, value: s.values };
        }),
      };
    },

    async cancelRun({ id }) {
      refuseWhenReadOnly(`cancelling run ${id}`);
      runOrThrow(id);
      runner.cancel(id);
      return record(runOrThrow(id));
    },

    async deleteRun({ id }) {
      refuseWhenReadOnly(`deleting run ${id}`);
      const run = runOrThrow(id);
      if (run.status === 'running') throw new ConflictError('run', id, 'is running: cancel it before deleting it');
      store.runs.delete(id);
      return { deleted: 1 };
    },

    async deleteExperiment({ id }) {
      refuseWhenReadOnly(`deleting experiment ${id}`);
      const experiment = store.experiments.get(id);
      if (!experiment) throw new NotFoundError('experiment', id);
      const runs = store.runs.list({ experimentId: id });
      if (runs.some((r) => r.status === 'running')) throw new ConflictError('experiment', id, 'has running runs: cancel them before deleting it');
      runs.filter((r) => r.status === 'queued').forEach((r) => runner.cancel(r.id));
      store.experiments.delete(id);
      experimentSpecs.delete(id);
      return { deleted: runs.length };
    },

    async exportData({ runIds, experimentId, format }) {
      return exportContent(store, { runIds, experimentId }, format);
    },

    async listPresets() {
      return loadPresets();
    },

    async experimentReport({ id }) {
      const { experiment } = await api.getExperiment({ id });
      // loaded on first use: it brings ECharts' server-side renderer, which nothing else in main needs
      const { buildReportHtml } = await import('../report/build-report');
      return { filename: `batchscope-report-${id}.html`, html: await buildReportHtml(api, id, experimentPreset(experiment.name, loadPresets())?.claim) };
    },
  };
  if (!store.readonly && (options.resumeQueued ?? true)) runner.wake();
  return api;
}

/** The store, read-only when asked, or (with 'auto') when the file exists but this user cannot write it. */
function openApiStore(dbPath: string, readOnly: boolean | 'auto'): Store {
  if (readOnly === true) return openStore(dbPath, { readonly: true });
  try {
    return openStore(dbPath);
  } catch (error) {
    if (readOnly !== 'auto' || !(error instanceof StoreError) || error.code !== 'read-only' || !existsSync(dbPath)) throw error;
    console.error(`[batchscope] ${error.file} is not writable: opened read-only (browse only; nothing can run)`);
    return openStore(dbPath, { readonly: true });
  }
}

/** Duration from the median throughput of finished runs of the same dataset and model kind. */
function estimateDurationMs(store: Store, specs: RunSpec[], samples: number, runner: JobRunner): number | null {
  const done = store.runs.list({ status: 'completed', limit: 200 });
  let totalMs = 0;
  for (const spec of specs) {
    const similar = done
      .filter((r) => r.config.dataset.kind === spec.dataset.kind && r.config.model.kind === spec.model.kind && r.summary)
      .map((r) => r.summary!.samplesPerSec)
      .sort((a, b) => a - b);
    if (similar.length === 0) return null;
    const plan = planBatches(spec, samples);
    const seen = plan.epochs.reduce((n, e) => n + e.steps * e.batchSize, 0);
    totalMs += (seen / similar[Math.floor(similar.length / 2)]!) * 1000;
  }
  return totalMs / Math.max(1, Math.min(specs.length, runner.concurrency));
}

function exportContent(store: Store, target: { runIds?: number[]; experimentId?: number }, format: 'csv' | 'json'): ExportFile {
  const dir = mkdtempSync(join(tmpdir(), 'batchscope-export-'));
  try {
    const targets = target.experimentId !== undefined ? [{ experimentId: target.experimentId }] : (target.runIds ?? []).map((runId) => ({ runId }));
    if (targets.length === 0) throw new SpecError([{ path: 'runIds', message: 'give runIds or experimentId' }]);
    const name = target.experimentId !== undefined ? `experiment-${target.experimentId}` : `runs-${target.runIds!.join('-')}`.slice(0, 80);
    if (format === 'json') {
      const docs = targets.map((t, i) => JSON.parse(readFileSync(exportJson(store, t, join(dir, `${i}.json`)), 'utf8')) as { runs: unknown[]; experiments: unknown[] });
      const merged = { format: 'batchscope-export', version: 1, exportedAtMs: Date.now(), experiments: docs.flatMap((d) => d.experiments), runs: docs.flatMap((d) => d.runs) };
      return { filename: `${name}.json`, mime: 'application/json', content: JSON.stringify(merged) };
    }
    const parts = targets.map((t, i) => readFileSync(exportCsv(store, t, join(dir, String(i))).steps, 'utf8'));
    const [header, ...firstRows] = parts[0]!.trimEnd().split('\n');
    const rows = [...firstRows, ...parts.slice(1).flatMap((p) => p.trimEnd().split('\n').slice(1))];
    return { filename: `${name}-steps.csv`, mime: 'text/csv', content: `${[header, ...rows].join('\n')}\n` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
