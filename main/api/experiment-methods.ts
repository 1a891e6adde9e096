/** Experiments: planned (checked before anything is stored), created with their runs, listed, deleted, reported. */
import type { BatchscopeApi, PlanResult } from '../../common/api-contract';
import { ConflictError, NotFoundError } from '../../common/api-errors';
import { parameterCountOf } from '../../common/param-count';
import { experimentPreset } from '../../common/report/experiment-preset';
import { SpecError, type RunSpec } from '../../common/spec';
import { runLabel } from '../../common/sweep';
import { planBatches } from '../engine/training/batch-plan';
import type { JobRunner } from '../runner/job-runner';
import type { Store } from '../store/open-store';
import { guard } from '../store/store-error';
import { checkExperiment } from './check-experiment';
import { loadPresets } from './presets';
import { toExperimentRecord } from './records';
import type { ApiContext } from './api-context';

export function experimentMethods(ctx: ApiContext): Pick<BatchscopeApi, 'planExperiment' | 'createExperiment' | 'listExperiments' | 'getExperiment' | 'deleteExperiment' | 'experimentReport'> {
  const { store, runner, runnerStore, budget, emit, record, experimentSpecs, refuseWhenReadOnly } = ctx;
  return {
    async planExperiment({ spec }) {
      const result = await checkExperiment(spec, budget, { datasetsDir: ctx.datasetsDir });
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
      const result = await checkExperiment(spec, budget, { datasetsDir: ctx.datasetsDir });
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

    async experimentReport({ id }) {
      const { experiment } = await ctx.api().getExperiment({ id });
      // loaded on first use: it brings ECharts' server-side renderer, which nothing else in main needs
      const { buildReportHtml } = await import('../report/build-report');
      return { filename: `batchscope-report-${id}.html`, html: await buildReportHtml(ctx.api(), id, experimentPreset(experiment.name, loadPresets())?.claim) };
    },
  };
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
