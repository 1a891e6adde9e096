/**
 * `batchscope` command line: a thin adapter over the engine and the backend API.
 */
import { createWriteStream, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { SpecError } from '../../common/spec';
import { StoreError } from '../store/store-error';
import { listDatasets } from '../engine/data/load-dataset';
import { trainRun } from '../engine/training/train-run';
import { loadPresets } from '../api/presets';
import { createJsonlSink } from './jsonl-sink';
import { ProgressDisplay } from './progress-display';
import { exportCommand, listCommand, presetsCommand, reportCommand, runStored, showCommand } from './store-commands';
import { defaultDbPath } from '../api/data-dir';
import { UsageError } from './usage-error';

const usage = `usage: batchscope <command> [options]

commands:
  run <spec.json> [--db file] [--parallel N] [--threads T|auto]
                     store the experiment (and its sweep) and train its runs, N at a time;
                     --threads overrides the spec's threads per run (data-parallel shards)
  run --preset <id>  the same with a shipped preset (see: batchscope presets)
  run <spec.json> --no-db [--out metrics.jsonl]
                     train one run spec without storing it; every metric as JSON lines
                     to stdout (or --out), progress on stderr
  list [--db file] [--status S] [--search text]
                     experiments and their runs
  show <run> [--db file]
                     one run: status, backend, layers, evaluations, config
  export <run> [--experiment] [--format csv|json] [--out file] [--db file]
                     a run's (or experiment's) metrics
  report <experiment> [--out file.html] [--db file]
                     a self-contained HTML report: claim, charts, curvature heatmaps,
                     final metrics with mean ± std over seeds
  presets            the paper-reproduction presets
  datasets           the datasets available offline
  serve [--port N] [--db file] [--open]
                     browser mode: the app on http://127.0.0.1
  help               this text

The database defaults to ${defaultDbPath()} (override with --db or BATCHSCOPE_DB).
`;

function readSpec(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read spec file ${file}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
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
    spec = readSpec(file);
  }
  if (values.threads !== undefined) spec = withThreads(spec, values.threads);
  if (!values['no-db']) {
    const parallel = values.parallel === undefined ? undefined : Number(values.parallel);
    if (parallel !== undefined && (!Number.isInteger(parallel) || parallel < 1)) throw new UsageError(`run: --parallel must be a positive integer, got '${values.parallel}'`);
    return runStored(spec, { ...(values.db ? { db: values.db } : {}), ...(parallel ? { parallel } : {}) });
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

async function runUnstored(spec: unknown, outFile: string | undefined, quiet: boolean): Promise<number> {
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

function datasetsCommand(): number {
  for (const d of listDatasets()) {
    const size = d.trainSamples !== undefined ? `${d.trainSamples}/${d.testSamples ?? 0}` : '';
    process.stdout.write(`${d.available ? '✓' : '·'} ${d.kind.padEnd(14)} ${size.padEnd(12)} ${d.description}${d.note ? ` (${d.note})` : ''}\n`);
  }
  return 0;
}

async function serveCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { port: { type: 'string' }, db: { type: 'string' }, open: { type: 'boolean' } } });
  const { serve } = await import('../server/serve');
  const serving = await serve({ dbPath: values.db ?? defaultDbPath(), port: values.port ? Number(values.port) : 0, open: values.open ?? false });
  process.stdout.write(`Batchscope is running at ${serving.url}\n(Ctrl+C to stop)\n`);
  await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
  await serving.close();
  return 0;
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
        return datasetsCommand();
      case 'serve':
        return await serveCommand(rest);
      case undefined:
      case 'help':
      case '--help':
        process.stdout.write(usage);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command '${command}'\n${usage}`);
    }
  } catch (error) {
    if (error instanceof SpecError || error instanceof UsageError || error instanceof StoreError) {
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
