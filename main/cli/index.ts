/**
 * `batchscope` command line: a thin adapter over the engine and the backend API.
 */
import { createWriteStream } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConflictError, NotFoundError } from '../../common/api-errors';
import { checkRunBudget } from '../../common/resource-budget';
import { parseRunSpec, SpecError } from '../../common/spec';
import { machineBudget } from '../api/machine-budget';
import { datasetFieldOf, preflightDataset } from '../engine/data/preflight';
import { DatasetError } from '../engine/data/dataset';
import { StoreError } from '../store/store-error';
import { listDatasets } from '../engine/data/load-dataset';
import { trainRun } from '../engine/training/train-run';
import { loadPresets } from '../api/presets';
import { createJsonlSink } from './jsonl-sink';
import { ProgressDisplay } from './progress-display';
import { exportCommand, listCommand, presetsCommand, reportCommand, resumeStored, runStored, showCommand } from './store-commands';
import { RedisConfigError } from '../distributed/redis-connection';
import { defaultDbPath } from '../api/data-dir';
import { readSpecFile } from './read-spec-file';
import { UsageError } from './usage-error';
import { workersCommand } from './workers-command';
import { cifar10DirIn, datasetsDirFor, downloadCifar10 } from '../download/cifar10-download';
import { DownloadError } from '../download/http-download';

const usage = `usage: batchscope <command> [options]

commands:
  run <spec.json> [--db file] [--parallel N] [--threads T|auto]
                     store the experiment (and its sweep) and train its runs, N at a time;
                     --threads overrides the spec's threads per run (data-parallel shards)
  run --preset <id>  the same with a shipped preset (see: batchscope presets)
  run <spec.json> --no-db [--out metrics.jsonl]
                     train one run spec without storing it; every metric as JSON lines
                     to stdout (or --out), progress on stderr
  list [--db file] [--status S] [--search text] [--read-only]
                     experiments and their runs
  show <run> [--db file] [--read-only]
                     one run: status, backend, layers, evaluations, config
  export <run> [--experiment] [--format csv|json] [--out file] [--db file] [--read-only]
                     a run's (or experiment's) metrics
  report <experiment> [--out file.html] [--db file] [--read-only]
                     a self-contained HTML report: claim, charts, curvature heatmaps,
                     final metrics with mean ± std over seeds
  presets            the paper-reproduction presets
  datasets [--db file]
                     the datasets available offline
  datasets --download cifar10 [--db file] [--url URL]
                     fetch CIFAR-10 (162 MB, resumable, checksum verified) into the
                     datasets folder beside the database; prints the folder to use as dir
  serve [--port N] [--db file] [--open] [--read-only] [--redis URL]
                     browser mode: the app on http://127.0.0.1
  worker --redis URL [--concurrency N] [--name NAME] [--queue Q] [--fresh-processes]
                     train runs from a coordinator's queue on this machine
                     (see docs/distributed.md); a slot's training process serves
                     its next run unless --fresh-processes
  workers --redis URL [--queue Q] [--json]
                     the workers on a queue: name, host, concurrency, last
                     heartbeat, the runs they are training
  resume [--db file] [--redis URL]
                     train the runs left queued and follow remote runs still
                     running (after a coordinator was stopped), until none is left

--read-only opens the database without writing anything (browse only: nothing can
run, be cancelled or deleted). list/show/export/report/serve and the app also open
it read-only by themselves when the file cannot be written.
  help               this text

With --redis URL (or BATCHSCOPE_REDIS_URL), run/serve/resume hand runs to a BullMQ queue
on that Redis for \`batchscope worker\` processes instead of training them here;
--queue Q (default batchscope) separates coordinators sharing one Redis.

The database defaults to ${defaultDbPath()} (override with --db or BATCHSCOPE_DB).

exit codes: 0 done; 1 an internal error (with a stack trace: please report it);
  2 a bad command, spec or data file, or the database cannot be used (full, read-only, locked);
  3 a run did not complete; 4 no such run or experiment; 5 the run or experiment is busy
  (running); 130 cancelled with Ctrl+C.
`;

/** --redis, else BATCHSCOPE_REDIS_URL; with --queue. */
function remoteOptions(values: { redis?: string | undefined; queue?: string | undefined }): { redisUrl?: string; queue?: string } {
  const redisUrl = values.redis ?? (process.env.BATCHSCOPE_REDIS_URL || undefined);
  return { ...(redisUrl ? { redisUrl } : {}), ...(values.queue ? { queue: values.queue } : {}) };
}

const remoteArgs = { redis: { type: 'string' }, queue: { type: 'string' } } as const;

function positiveInt(value: string | undefined, what: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${what} must be a positive integer, got '${value}'`);
  return n;
}


async function runCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      out: { type: 'string' },
      quiet: { type: 'boolean' },
      db: { type: 'string' },
      parallel: { type: 'string' },
      threads: { type: 'string' },
      'no-db': { type: 'boolean' },
      preset: { type: 'string' },
      ...remoteArgs,
    },
  });
  let spec: unknown;
  if (values.preset) {
    const preset = loadPresets().find((p) => p.id === values.preset);
    if (!preset) throw new UsageError(`run: no preset '${values.preset}' (see: batchscope presets)`);
    spec = preset.spec;
  } else {
    const file = positionals[0];
    if (!file) throw new UsageError('run: give the spec file, e.g. batchscope run spec.json');
    spec = readSpecFile(file);
  }
  if (values.threads !== undefined) spec = withThreads(spec, values.threads);
  if (!values['no-db']) {
    const parallel = values.parallel === undefined ? undefined : Number(values.parallel);
    if (parallel !== undefined && (!Number.isInteger(parallel) || parallel < 1)) throw new UsageError(`run: --parallel must be a positive integer, got '${values.parallel}'`);
    return runStored(spec, { ...(values.db ? { db: values.db } : {}), ...(parallel ? { parallel } : {}), ...remoteOptions(values) });
  }
  return runUnstored(spec, values.out, values.quiet ?? false);
}

/** The spec with its `threads` replaced by --threads (the spec's own schema checks the rest). */
function withThreads(spec: unknown, threads: string): unknown {
  const value = threads === 'auto' ? 'auto' : Number(threads);
  if (value !== 'auto' && (!Number.isInteger(value) || value < 1)) throw new UsageError(`run: --threads must be a positive integer or 'auto', got '${threads}'`);
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) return spec;
  return { ...spec, threads: value };
}

async function runUnstored(input: unknown, outFile: string | undefined, quiet: boolean): Promise<number> {
  // the same checks the API makes before it stores a run: schema, data files, resource budget
  const spec = parseRunSpec(input);
  const check = await preflightDataset(spec.dataset).catch((error: unknown) => {
    throw error instanceof DatasetError ? new SpecError([{ path: datasetFieldOf(spec.dataset, error.file), message: error.message }]) : error;
  });
  const overBudget = checkRunBudget(spec, check.shape, machineBudget());
  if (overBudget.length > 0) throw new SpecError(overBudget);
  for (const warning of check.warnings) process.stderr.write(`warning: ${warning}\n`);
  const out = outFile ? createWriteStream(outFile) : null;
  const write = out ? (line: string) => void out.write(line) : (line: string) => void process.stdout.write(line);
  const display = quiet ? null : new ProgressDisplay(process.stderr);
  let cancelled = false;
  const onSignal = (): void => {
    cancelled = true;
  };
  process.once('SIGINT', onSignal);
  try {
    const summary = await trainRun(spec, createJsonlSink(write, display), { cancelled: () => cancelled });
    display?.finish();
    write(`${JSON.stringify({ type: 'finished', ...summary })}\n`);
    const last = summary.lastEval;
    process.stderr.write(
      `${summary.status}: ${summary.steps} steps, ${Math.round(summary.samplesPerSec)} samples/s` +
        (last ? `, test accuracy ${(last.testAccuracy * 100).toFixed(2)}%` : '') +
        (summary.reason ? ` (${summary.reason})` : '') +
        '\n',
    );
    return summary.status === 'completed' ? 0 : summary.status === 'cancelled' ? 130 : 3;
  } finally {
    process.off('SIGINT', onSignal);
    await new Promise<void>((resolve) => (out ? out.end(resolve) : resolve()));
  }
}

async function datasetsCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { download: { type: 'string' }, db: { type: 'string' }, url: { type: 'string' } } });
  const datasetsDir = datasetsDirFor(values.db ?? defaultDbPath());
  if (values.download !== undefined) {
    if (values.download !== 'cifar10') throw new UsageError(`--download: only cifar10 can be downloaded, not '${values.download}'`);
    const mb = (bytes: number) => (bytes / 1e6).toFixed(1);
    let lastMs = 0;
    const { dir, downloaded } = await downloadCifar10({
      datasetsDir,
      url: values.url,
      onProgress: ({ receivedBytes, totalBytes, resumedFromBytes }) => {
        const now = Date.now();
        if (now - lastMs < 500 && receivedBytes !== totalBytes) return;
        lastMs = now;
        const total = totalBytes === null ? '' : ` of ${mb(totalBytes)} MB (${Math.floor((100 * receivedBytes) / totalBytes)} %)`;
        process.stderr.write(`CIFAR-10: ${mb(receivedBytes)} MB${total}${resumedFromBytes > 0 ? `, resumed at ${mb(resumedFromBytes)} MB` : ''}\n`);
      },
    });
    process.stderr.write(downloaded ? 'CIFAR-10: downloaded, checksum verified, unpacked\n' : 'CIFAR-10: already in place\n');
    process.stdout.write(`${dir}\n`);
    return 0;
  }
  for (const d of listDatasets({ cifar10Dir: cifar10DirIn(datasetsDir) })) {
    const size = d.trainSamples !== undefined ? `${d.trainSamples}/${d.testSamples ?? 0}` : '';
    process.stdout.write(`${d.available ? '✓' : '·'} ${d.kind.padEnd(14)} ${size.padEnd(12)} ${d.description}${d.note ? ` (${d.note})` : ''}\n`);
  }
  return 0;
}

async function serveCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { port: { type: 'string' }, db: { type: 'string' }, open: { type: 'boolean' }, 'read-only': { type: 'boolean' }, ...remoteArgs } });
  const { serve } = await import('../server/serve');
  const serving = await serve({ dbPath: values.db ?? defaultDbPath(), port: values.port ? Number(values.port) : 0, open: values.open ?? false, readOnly: values['read-only'] ? true : 'auto', ...remoteOptions(values) });
  process.stdout.write(`Batchscope is running at ${serving.url}\n(Ctrl+C to stop)\n`);
  await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
  await serving.close();
  return 0;
}

async function workerCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { concurrency: { type: 'string' }, name: { type: 'string' }, 'fresh-processes': { type: 'boolean' }, ...remoteArgs } });
  const remote = remoteOptions(values);
  if (!remote.redisUrl) throw new UsageError('worker: give the coordinator\'s Redis, --redis redis://:PASSWORD@host:6379 (or BATCHSCOPE_REDIS_URL)');
  const concurrency = positiveInt(values.concurrency, 'worker: --concurrency');
  const { startRemoteWorker } = await import('../distributed/remote-worker');
  const worker = await startRemoteWorker({ url: remote.redisUrl, ...(remote.queue ? { queue: remote.queue } : {}), ...(concurrency ? { concurrency } : {}), ...(values.name ? { name: values.name } : {}), reuseProcesses: !values['fresh-processes'] });
  let stops = 0;
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      // first Ctrl+C: cancel the runs here (their metrics so far are kept); second: kill them
      if (stops++ === 0) process.stderr.write(`worker ${worker.name}: stopping (Ctrl+C again to kill running trainings)\n`);
      void worker.close({ kill: stops > 1 }).then(resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  return 0;
}

async function resumeCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { db: { type: 'string' }, parallel: { type: 'string' }, ...remoteArgs } });
  const parallel = positiveInt(values.parallel, 'resume: --parallel');
  return resumeStored({ ...(values.db ? { db: values.db } : {}), ...(parallel ? { parallel } : {}), ...remoteOptions(values) });
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'run':
        return await runCommand(rest);
      case 'list':
        return await listCommand(rest);
      case 'show':
        return await showCommand(rest);
      case 'export':
        return await exportCommand(rest);
      case 'report':
        return await reportCommand(rest);
      case 'presets':
        return presetsCommand(rest);
      case 'datasets':
        return await datasetsCommand(rest);
      case 'serve':
        return await serveCommand(rest);
      case 'worker':
        return await workerCommand(rest);
      case 'workers':
        return await workersCommand(rest);
      case 'resume':
        return await resumeCommand(rest);
      case undefined:
      case 'help':
      case '--help':
        process.stdout.write(usage);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command '${command}'\n${usage}`);
    }
  } catch (error) {
    if (error instanceof NotFoundError || error instanceof ConflictError) {
      process.stderr.write(`batchscope: ${error.message}\n`);
      return error instanceof NotFoundError ? 4 : 5;
    }
    if (error instanceof SpecError || error instanceof UsageError || error instanceof StoreError || error instanceof DatasetError || error instanceof DownloadError || error instanceof RedisConfigError) {
      process.stderr.write(`batchscope: ${error.message}\n`);
      return 2;
    }
    if (error instanceof TypeError && (error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`batchscope: ${error.message}\n`);
      return 2;
    }
    process.stderr.write(`batchscope: ${(error as Error).stack ?? String(error)}\n`);
    return 1;
  }
}
