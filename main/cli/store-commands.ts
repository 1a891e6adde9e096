/** CLI commands over the backend API: run (stored), list, show, export, presets. */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { RunRecord } from '../../common/api-contract';
import { createApi, type BatchscopeBackend } from '../api/create-api';
import { markDeadRunsInterrupted } from '../api/interrupted-runs';
import { loadPresets } from '../api/presets';
import { defaultDbPath } from '../api/data-dir';
import { ProgressDisplay } from './progress-display';
import { UsageError } from './usage-error';

/**
 * The API for one command. Commands that only read open the file read-only when it cannot be
 * written ('auto'), or always with --read-only (true); `run` needs it writable (false).
 */
export async function withApi<T>(
  dbPath: string | undefined,
  concurrency: number | undefined,
  work: (api: BatchscopeBackend) => Promise<T>,
  readOnly: boolean | 'auto' = false,
  remote: { redisUrl?: string; queue?: string } = {},
): Promise<T> {
  const api = await createApi({ dbPath: dbPath ?? defaultDbPath(), ...(concurrency ? { concurrency } : {}), resumeQueued: false, readOnly, ...remote });
  try {
    return await work(api);
  } finally {
    await api.close();
  }
}

function remoteOf(options: { redisUrl?: string; queue?: string }): { redisUrl?: string; queue?: string } {
  return { ...(options.redisUrl ? { redisUrl: options.redisUrl } : {}), ...(options.queue ? { queue: options.queue } : {}) };
}

/**
 * `batchscope resume`: trains the runs left queued in the database and, with Redis, follows the
 * remote runs a previous coordinator left running, until none is left. How a killed coordinator
 * is restarted.
 */
export async function resumeStored(options: { db?: string; parallel?: number; redisUrl?: string; queue?: string }): Promise<number> {
  return withApi(
    options.db,
    options.parallel,
    async (api) => {
      const following = api.runner.activeRunIds.length;
      const queued = api.store.runs.list({ status: 'queued' }).length;
      process.stderr.write(`resuming: ${queued} queued run(s), ${following} remote run(s) still running\n`);
      const unsubscribe = api.subscribe((event) => {
        if (event.type === 'run-updated' && event.run.status !== 'running') process.stderr.write(`#${event.run.id}: ${event.run.status}${event.run.error ? ` — ${event.run.error.split('\n')[0]}` : ''}\n`);
      });
      const onSignal = (): void => {
        process.stderr.write('\ncancelling…\n');
        api.runner.activeRunIds.forEach((id) => api.runner.cancel(id));
      };
      process.on('SIGINT', onSignal);
      try {
        api.runner.wake();
        await api.idle();
      } finally {
        process.off('SIGINT', onSignal);
        unsubscribe();
      }
      return 0;
    },
    false,
    remoteOf(options),
  );
}

function percent(x: number | undefined | null): string {
  return x === undefined || x === null ? '—' : `${(x * 100).toFixed(2)}%`;
}

function runLine(r: RunRecord): string {
  const last = r.summary?.lastEval;
  return [
    `#${r.id}`.padEnd(6),
    r.status.padEnd(11),
    r.label.padEnd(28),
    `test ${percent(last?.testAccuracy)}`.padEnd(14),
    `gap ${percent(last?.gap)}`.padEnd(12),
    r.summary ? `${Math.round(r.summary.samplesPerSec)} samples/s` : '',
  ].join(' ');
}

/** Stores the experiment, runs it (N in parallel), shows progress, prints the outcome. */
export async function runStored(spec: unknown, options: { db?: string; parallel?: number; redisUrl?: string; queue?: string }): Promise<number> {
  return withApi(options.db, options.parallel, async (api) => {
    const display = new ProgressDisplay(process.stderr);
    let cancelled = false;
    const { experiment, runs, warnings } = await api.createExperiment({ spec });
    for (const warning of warnings) process.stderr.write(`warning: ${warning}\n`);
    const labels = new Map(runs.map((r) => [r.id, `#${r.id} ${r.label}`]));
    // this runner also trains queued runs of other experiments in the same file (another CLI or the app)
    const labelOf = (id: number): string => labels.get(id) ?? `#${id} (another experiment)`;
    process.stderr.write(`experiment #${experiment.id} "${experiment.name}": ${runs.length} run(s) in ${api.store.path}\n`);
    const unsubscribe = api.subscribe((event) => {
      if (event.type !== 'run-updated') return;
      if (event.run.progress && event.run.status === 'running') display.update(event.run.progress, labelOf(event.run.id));
      if (event.run.status !== 'running') {
        display.finish();
        process.stderr.write(`${labelOf(event.run.id)}: ${event.run.status}${event.run.error ? ` — ${event.run.error.split('\n')[0]}` : ''}\n`);
      }
    });
    const onSignal = (): void => {
      if (cancelled) return;
      cancelled = true;
      process.stderr.write('\ncancelling…\n');
      runs.forEach((r) => api.runner.cancel(r.id));
    };
    process.on('SIGINT', onSignal);
    try {
      api.runner.wake();
      await api.drained();
      await ownRunsEnded(api, experiment.id, () => cancelled, options.redisUrl === undefined);
    } finally {
      process.off('SIGINT', onSignal);
      unsubscribe();
    }
    // the database stopped taking writes (disk full …): the runs were stopped; exit 2 with the StoreError
    if (api.runner.failure) throw api.runner.failure;
    const final = (await api.getExperiment({ id: experiment.id })).runs;
    process.stdout.write(`${final.map(runLine).join('\n')}\n`);
    return final.every((r) => r.status === 'completed') ? 0 : cancelled ? 130 : 3;
  }, false, remoteOf(options));
}

/**
 * Waits until every run of the experiment has ended. Another process on the same database
 * file (a second CLI, the app) may have claimed some of them: this runner is drained while
 * those still train. A run left queued is started here; a run whose process died is marked
 * interrupted (local runs only: remote ones belong to the queue's stalled-job check).
 */
async function ownRunsEnded(api: BatchscopeBackend, experimentId: number, cancelled: () => boolean, local: boolean): Promise<void> {
  const pollMs = 250;
  for (;;) {
    const runs = (await api.getExperiment({ id: experimentId })).runs;
    if (cancelled() || runs.every((r) => r.status !== 'queued' && r.status !== 'running')) return;
    if (runs.some((r) => r.status === 'queued')) {
      api.runner.wake();
      await api.drained();
      continue;
    }
    if (local) markDeadRunsInterrupted(api.store);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

export async function listCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { db: { type: 'string' }, status: { type: 'string' }, search: { type: 'string' }, 'read-only': { type: 'boolean' } } });
  return withApi(values.db, undefined, async (api) => {
    const experiments = await api.listExperiments(values.search ? { search: values.search } : {});
    if (experiments.length === 0) process.stdout.write(`no experiments in ${api.store.path} yet: try batchscope run <spec.json>\n`);
    for (const e of experiments) {
      process.stdout.write(`experiment #${e.id} ${e.name} (${e.createdAt.slice(0, 16).replace('T', ' ')}) ${e.tags.length ? `[${e.tags.join(', ')}]` : ''}\n`);
      const { runs } = await api.getExperiment({ id: e.id });
      for (const r of runs.filter((r) => !values.status || r.status === values.status)) process.stdout.write(`  ${runLine(r)}\n`);
    }
    return 0;
  }, values['read-only'] ? true : 'auto');
}

export async function showCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { db: { type: 'string' }, 'read-only': { type: 'boolean' } } });
  const id = Number(positionals[0]);
  if (!Number.isInteger(id) || id <= 0) throw new UsageError('show: give a run id, e.g. batchscope show 3');
  return withApi(values.db, undefined, async (api) => {
    const run = await api.getRun({ id });
    const evals = (await api.evalSeries({ runIds: [id] }))[0]!;
    process.stdout.write(`${runLine(run)}\n`);
    process.stdout.write(`experiment #${run.experimentId} ${run.experimentName}\n`);
    process.stdout.write(`backend: ${run.backend ? `${run.backend.package} ${run.backend.version}` : 'not started'}\n`);
    process.stdout.write(`layers: ${run.layers.map((l) => `${l.name} (${l.paramCount})`).join(', ')}\n`);
    if (run.error) process.stdout.write(`error: ${run.error}\n`);
    process.stdout.write('evaluations:\n  step    epoch  train acc  test acc   gap\n');
    evals.step.forEach((s, i) =>
      process.stdout.write(`  ${String(s).padEnd(7)} ${evals.epoch[i]!.toFixed(2).padEnd(6)} ${percent(evals.trainAccuracy[i]).padEnd(10)} ${percent(evals.testAccuracy[i]).padEnd(10)} ${percent(evals.gap[i])}\n`),
    );
    process.stdout.write(`config: ${JSON.stringify(run.spec)}\n`);
    return 0;
  }, values['read-only'] ? true : 'auto');
}

export async function exportCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { db: { type: 'string' }, format: { type: 'string', default: 'csv' }, out: { type: 'string' }, experiment: { type: 'boolean' }, 'read-only': { type: 'boolean' } },
  });
  const id = Number(positionals[0]);
  if (!Number.isInteger(id) || id <= 0) throw new UsageError('export: give a run id (or an experiment id with --experiment)');
  if (values.format !== 'csv' && values.format !== 'json') throw new UsageError(`export: --format must be csv or json, got '${values.format}'`);
  return withApi(values.db, undefined, async (api) => {
    const file = await api.exportData({ ...(values.experiment ? { experimentId: id } : { runIds: [id] }), format: values.format as 'csv' | 'json' });
    const out = values.out ?? file.filename;
    writeFileSync(out, file.content);
    process.stderr.write(`wrote ${out}\n`);
    return 0;
  }, values['read-only'] ? true : 'auto');
}

export function presetsCommand(args: string[]): number {
  const { values } = parseArgs({ args, options: { json: { type: 'boolean' } } });
  const presets = loadPresets();
  if (values.json) process.stdout.write(`${JSON.stringify(presets, null, 2)}\n`);
  else for (const p of presets) process.stdout.write(`${p.id.padEnd(20)} ${p.title}\n${' '.repeat(21)}${p.claim}\n`);
  return 0;
}

export async function reportCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { db: { type: 'string' }, out: { type: 'string' }, 'read-only': { type: 'boolean' } } });
  const id = Number(positionals[0]);
  if (!Number.isInteger(id) || id <= 0) throw new UsageError('report: give an experiment id, e.g. batchscope report 2');
  return withApi(values.db, undefined, async (api) => {
    const report = await api.experimentReport({ id });
    const out = values.out ?? report.filename;
    writeFileSync(out, report.html);
    process.stderr.write(`wrote ${out}\n`);
    return 0;
  }, values['read-only'] ? true : 'auto');
}
