/**
 * `npm run bench`: Batchscope's training speed against its targets, every row
 * measured side by side in this one run. Prints a table and writes
 * bench/results/latest.json (git-ignored) with the raw measurements and the
 * per-kernel profiles of the Batchscope steps.
 *
 *   npm run bench                        all rows
 *   npm run bench -- --quick             fewer repetitions, shorter runs (a smoke check)
 *   npm run bench -- --only mlp-vs-torch (repeatable, or comma-separated)
 *
 * PyTorch rows need Debian's python3-torch on an optimized BLAS (OpenBLAS:
 * libopenblas0-pthread); torch-python.ts finds it, says which BLAS it loaded, and
 * refuses the reference BLAS. Every PyTorch child runs with its thread pools
 * pinned to the thread count of the Batchscope side it is compared with.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { accumulationMemoryRow } from './accumulation-memory';
import { repoRoot } from './child-process';
import { curvatureOverheadRow } from './curvature-overhead';
import { studyDiagnosticsOverheadRow } from './study-diagnostics-overhead';
import { byKernelName } from './kernel-profile';
import { describeMachine, machineLine } from './machine';
import { parallelRunsRow } from './parallel-runs';
import { isMet, markdownTable, textTable, type Row } from './report';
import { measureSteps, STEP_ROW_IDS, stepRows, type StepMeasurements, type StepRowId } from './step-rows';
import { gemmCeilingRow } from './gemm-ceiling-row';
import { THREADED_ROW_IDS, threadedRows, type ThreadedRowId } from './threaded-rows';
import { describeTorch, findTorchPython } from './torch-python';
import type { GemmCeilingResult } from './gemm-ceiling';

const RUN_ROW_IDS = ['curvature-overhead', 'curvature-overhead-b1024', 'study-diagnostics-overhead', 'parallel-runs', 'accumulation-memory'] as const;
const ALL_ROWS = [...STEP_ROW_IDS, 'mlp-gemm-ceiling', ...THREADED_ROW_IDS, ...RUN_ROW_IDS] as const;
type RowId = (typeof ALL_ROWS)[number];

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, only: { type: 'string', multiple: true }, help: { type: 'boolean', default: false } } });
if (values.help) {
  process.stdout.write(`usage: npm run bench -- [--quick] [--only <row>]…\nrows: ${ALL_ROWS.join(', ')}\n`);
  process.exit(0);
}
const requested = (values.only ?? []).flatMap((o) => o.split(',')).map((o) => o.trim()).filter(Boolean);
const unknown = requested.filter((r) => !(ALL_ROWS as readonly string[]).includes(r));
if (unknown.length) {
  process.stderr.write(`bench: unknown row ${unknown.map((u) => `'${u}'`).join(', ')}; rows are ${ALL_ROWS.join(', ')}\n`);
  process.exit(2);
}
const selected: RowId[] = requested.length ? ALL_ROWS.filter((r) => requested.includes(r)) : [...ALL_ROWS];
const quick = values.quick;

const log = (line: string): void => void process.stderr.write(`${line}\n`);
const torch = findTorchPython();
const machine = describeMachine(torch, repoRoot);
log(`Batchscope bench${quick ? ' (--quick)' : ''}: ${selected.join(', ')}`);
log(machineLine(machine));
log(`PyTorch: ${describeTorch(torch)}`);
if (!torch.ok) log(`PyTorch column skipped: ${torch.why}`);
// one busy core of two already halves what a single-threaded child gets now and then
const BUSY_LOAD = 1;
// every step child, both sides, calls its step untimed for this long first: an MLP step is
// still 5–10 % slower after 50 calls while V8 optimizes tfjs's engine (docs/benchmarks.md)
const STEP_WARMUP_MS = 2000;
if (machine.loadAtStart[0]! > BUSY_LOAD) log(`warning: load average ${machine.loadAtStart[0]} on ${machine.cores} cores: other work is running, expect noisy numbers`);

const startedAt = new Date();
const rows: Row[] = [];
let steps: StepMeasurements | null = null;

const stepIds = selected.filter((r): r is StepRowId => (STEP_ROW_IDS as readonly string[]).includes(r));
if (stepIds.length) {
  log('step benchmarks');
  steps = await measureSteps(stepIds, {
    rounds: quick ? 1 : 3,
    child: quick ? { reps: 3, warmup: 2, warmupMs: 0, callsPerRep: 3 } : { reps: 7, warmup: 5, warmupMs: STEP_WARMUP_MS, callsPerRep: 10 },
    torch,
    log,
  });
  rows.push(...stepRows(stepIds, steps, torch));
}
let gemm: GemmCeilingResult | null = null;
if (selected.includes('mlp-gemm-ceiling')) {
  log('MLP step against the GEMM ceiling');
  const { row, result } = await gemmCeilingRow({ rounds: quick ? 2 : 7, log });
  rows.push(row);
  gemm = result;
}
const threadedIds = selected.filter((r): r is ThreadedRowId => (THREADED_ROW_IDS as readonly string[]).includes(r));
if (threadedIds.length) {
  log('threaded rows');
  rows.push(
    ...(await threadedRows(threadedIds, {
      rounds: quick ? 1 : 3,
      // two periods of the default curvature cadence (every 50 steps, from step 0): curvature weighs
      // what it weighs in a long run, where 60 steps fired it twice as well (docs/benchmarks.md)
      steps: quick ? 10 : 100,
      torch,
      child: quick ? { reps: 3, warmup: 2, warmupMs: 0, callsPerRep: 3 } : { reps: 7, warmup: 5, warmupMs: STEP_WARMUP_MS, callsPerRep: 10 },
      log,
    })),
  );
}
if (selected.includes('curvature-overhead')) {
  log('curvature overhead');
  rows.push(await curvatureOverheadRow({ batchSize: 256, firings: quick ? 1 : 8, rounds: quick ? 1 : 3, log }));
}
// the same at a larger batch, where the fixed-size curvature sub-batch weighs less (left out of --quick)
if (selected.includes('curvature-overhead-b1024') && (!quick || requested.includes('curvature-overhead-b1024'))) {
  log('curvature overhead at B=1024');
  rows.push(await curvatureOverheadRow({ batchSize: 1024, firings: quick ? 1 : 4, rounds: quick ? 1 : 3, log }));
}
if (selected.includes('study-diagnostics-overhead')) {
  log('study diagnostics overhead (sharpness, noise scale, trajectory)');
  rows.push(await studyDiagnosticsOverheadRow({ batchSize: 256, firings: quick ? 1 : 2, rounds: quick ? 1 : 3, log }));
}
if (selected.includes('parallel-runs')) {
  log('parallel runs');
  rows.push(await parallelRunsRow({ batchSize: 256, steps: quick ? 40 : 400, rounds: quick ? 1 : 3, log }));
}
if (selected.includes('accumulation-memory')) {
  log('accumulation memory');
  rows.push(await accumulationMemoryRow({ batchSize: 8192, microBatch: 512, threads: 2, steps: quick ? 3 : 7, log }));
}

const loadAtEnd = loadavg().map((l) => Math.round(l * 100) / 100);
process.stdout.write(`\n${textTable(rows)}\n\n`);
for (const row of rows) {
  if (row.notes.length) process.stdout.write(`${row.id}: ${row.notes.join('; ')}\n`);
}
process.stdout.write(`\n${machineLine(machine)}; load average at end ${loadAtEnd.join(' / ')}\n`);

const profiles: Record<string, unknown> = {};
for (const [key, results] of Object.entries(steps?.results ?? {})) {
  const profile = results.find((r) => r.profile)?.profile;
  if (!profile) continue;
  profiles[key] = { ...profile, byKernel: byKernelName(profile) };
  const top = byKernelName(profile)
    .slice(0, 6)
    .map((k) => `${k.kernel} ${k.totalMs.toFixed(1)} ms`)
    .join(', ');
  process.stdout.write(`profile ${key}: ${profile.wallMs.toFixed(1)} ms/step, kernels ${profile.kernelMs.toFixed(1)} ms (${top}), outside kernels ${profile.outsideKernelsMs.toFixed(1)} ms\n`);
}

const outDir = join(repoRoot, 'bench/results');
mkdirSync(outDir, { recursive: true });
const report = {
  startedAt: startedAt.toISOString(),
  finishedAt: new Date().toISOString(),
  command: `npm run bench${quick ? ' -- --quick' : ''}${requested.length ? `${quick ? '' : ' --'} ${requested.map((r) => `--only ${r}`).join(' ')}` : ''}`,
  quick,
  machine: { ...machine, loadAtEnd },
  rows: rows.map((r) => ({ ...r, met: isMet(r) })),
  markdown: markdownTable(rows),
  steps: steps ? { results: Object.fromEntries(Object.entries(steps.results).map(([k, rs]) => [k, rs.map(({ profile: _p, ...r }) => r)])), failures: steps.failures } : null,
  profiles,
  gemmCeiling: gemm,
};
writeFileSync(join(outDir, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
process.stdout.write(`\nwrote bench/results/latest.json\n`);
