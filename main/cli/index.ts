/**
 * `batchscope` command line: a thin adapter over the engine (and, later, the store).
 */
import { createWriteStream, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { SpecError } from '../../common/spec';
import { listDatasets } from '../engine/data/load-dataset';
import { trainRun } from '../engine/training/train-run';
import { createJsonlSink } from './jsonl-sink';
import { ProgressDisplay } from './progress-display';

const usage = `usage: batchscope <command> [options]

commands:
  run <spec.json> [--out metrics.jsonl] [--quiet]
                     train one spec; metrics as JSON lines to stdout (or --out), progress on stderr
  datasets           list the datasets available offline
  help               this text
`;

export class UsageError extends Error {}

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
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { out: { type: 'string' }, quiet: { type: 'boolean' } } });
  const file = positionals[0];
  if (!file) throw new UsageError('run: give the spec file, e.g. batchscope run spec.json');
  const spec = readSpec(file);
  const out = values.out ? createWriteStream(values.out) : null;
  const write = out ? (line: string) => void out.write(line) : (line: string) => void process.stdout.write(line);
  const display = values.quiet ? null : new ProgressDisplay(process.stderr);
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
  const rows = listDatasets();
  for (const d of rows) {
    const size = d.trainSamples !== undefined ? `${d.trainSamples}/${d.testSamples ?? 0}` : '';
    process.stdout.write(`${d.available ? '✓' : '·'} ${d.kind.padEnd(14)} ${size.padEnd(12)} ${d.description}${d.note ? ` (${d.note})` : ''}\n`);
  }
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'run':
        return await runCommand(rest);
      case 'datasets':
        return datasetsCommand();
      case undefined:
      case 'help':
      case '--help':
        process.stdout.write(usage);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command '${command}'\n${usage}`);
    }
  } catch (error) {
    if (error instanceof SpecError || error instanceof UsageError) {
      process.stderr.write(`batchscope: ${error.message}\n`);
      return 2;
    }
    process.stderr.write(`batchscope: ${(error as Error).stack ?? String(error)}\n`);
    return 1;
  }
}
