/**
 * Store benchmark: `node bin/run-ts.mjs bench/store-ingest.ts [--steps N] [--layers L] [--runs R]`
 *
 * 1. Ingest: L × N layer-metric rows (default 20 × 100 000 = 2M) of one run pushed through a
 *    MetricWriter with default settings and closed, into a fresh file; 3 repetitions, median
 *    rows/s. Records are built before the clock starts: the figure is the store's cost, not the
 *    engine's. CPU rows/s (rows per second of this process's CPU time) is reported beside the
 *    wall figure because on a shared machine the wall clock also measures the neighbours.
 * 2. Query: R runs (default 20) × N steps of step metrics; the loss of all R runs downsampled to
 *    1000 points each (seriesForRuns), and the 20 layers' gradNorm of one run from (1); median
 *    of 5 after one untimed call.
 *
 * Writes bench/results/store.json.
 */
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LayerMetrics, StepMetrics } from '../common/metrics';
import { openStore, type Store } from '../main/store/open-store';

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const STEPS = flag('steps', 100_000);
const LAYERS = flag('layers', 20);
const RUNS = flag('runs', 20);
const MAX_POINTS = 1000;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const SPEC = { dataset: { kind: 'blobs' }, model: { kind: 'mlp' }, training: { steps: STEPS } } as const;

function newRun(store: Store): number {
  const experiment = store.experiments.create({ spec: SPEC });
  return store.runs.create({ experimentId: experiment.id, config: SPEC }).id;
}

function layerRecords(step: number): LayerMetrics[] {
  return Array.from({ length: LAYERS }, (_, layer) => ({
    step,
    layer,
    gradNorm: Math.random(),
    weightNorm: 10 + Math.random(),
    updateNorm: Math.random() * 1e-2,
    effectiveLr: 0.1 * Math.random(),
    lossUpdateShare: step % 10 === 0 ? Math.random() : null,
    curvature: step % 10 === 0 ? Math.random() : null,
    curvatureError: step % 10 === 0 ? Math.random() * 1e-3 : null,
    noiseScale: Math.random() * 500,
    sharpness: step % 500 === 0 ? Math.random() : null,
    distanceFromInit: Math.random(),
    updateCosine: Math.random() * 2 - 1,
  }));
}

function stepRecord(step: number, run: number): StepMetrics {
  return {
    step,
    epoch: step / 500,
    loss: 2 / (1 + step / 1000) + 0.05 * Math.random() + run * 1e-3,
    accuracy: Math.random(),
    batchSize: 1024,
    samplesSeen: (step + 1) * 1024,
    discarded: 0,
    lr: 0.1,
    lossUpdate: null,
    noiseScale: Math.random() * 500,
    sharpness: null,
    stepMs: 5,
    wallMs: step * 5,
  };
}

interface IngestRep {
  rowsPerSec: number;
  cpuRowsPerSec: number;
  ms: number;
  fileMB: number;
}

function ingestOnce(dir: string, rep: number, records: LayerMetrics[][]): IngestRep {
  const path = join(dir, `ingest-${rep}.db`);
  const store = openStore(path);
  const runId = newRun(store);
  const writer = store.openMetricWriter();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (const step of records) writer.pushLayers(runId, step);
  writer.close();
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const rows = STEPS * LAYERS;
  store.close();
  return { rowsPerSec: rows / (ms / 1000), cpuRowsPerSec: rows / ((cpu.user + cpu.system) / 1e6), ms, fileMB: statSync(path).size / 2 ** 20 };
}

function timeQuery(work: () => number): { medianMs: number; samplesMs: number[]; points: number } {
  let points = work();
  const samplesMs: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    points = work();
    samplesMs.push(performance.now() - t0);
  }
  return { medianMs: median(samplesMs), samplesMs, points };
}

const dir = mkdtempSync(join(tmpdir(), 'batchscope-bench-store-'));
try {
  console.log(`ingest: ${LAYERS} layers × ${STEPS} steps = ${LAYERS * STEPS} layer rows, 3 repetitions`);
  const reps: IngestRep[] = [];
  for (let rep = 0; rep < 3; rep++) {
    const records = Array.from({ length: STEPS }, (_, step) => layerRecords(step));
    const result = ingestOnce(dir, rep, records);
    reps.push(result);
    console.log(`  rep ${rep + 1}: ${Math.round(result.rowsPerSec)} rows/s (${Math.round(result.cpuRowsPerSec)} per CPU-second), ${result.ms.toFixed(0)} ms, ${result.fileMB.toFixed(0)} MiB`);
  }

  console.log(`query: ${RUNS} runs × ${STEPS} steps, downsampled to ${MAX_POINTS} points each`);
  const queryPath = join(dir, 'query.db');
  const store = openStore(queryPath);
  const runIds: number[] = [];
  const fill0 = performance.now();
  const writer = store.openMetricWriter();
  for (let r = 0; r < RUNS; r++) {
    const runId = newRun(store);
    runIds.push(runId);
    for (let step = 0; step < STEPS; step++) writer.pushStep(runId, stepRecord(step, r));
  }
  writer.close();
  const fillMs = performance.now() - fill0;
  const loss = timeQuery(() => store.metrics.seriesForRuns(runIds, { source: 'step', field: 'loss' }, { maxPoints: MAX_POINTS }).reduce((n, s) => n + s.steps.length, 0));
  console.log(`  loss of ${RUNS} runs: ${loss.medianMs.toFixed(1)} ms (median of 5), ${loss.points} points`);
  store.close();

  const layerStore = openStore(join(dir, 'ingest-0.db'), { readonly: true });
  const layerRun = layerStore.runs.list()[0]!.id;
  const layers = timeQuery(() => layerStore.metrics.layerSeries(layerRun, ['gradNorm'], { maxPoints: MAX_POINTS }).reduce((n, s) => n + s.steps.length, 0));
  console.log(`  gradNorm of ${LAYERS} layers of one run: ${layers.medianMs.toFixed(1)} ms (median of 5), ${layers.points} points`);
  layerStore.close();

  const result = {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', node: process.version },
    ingest: {
      layerRows: STEPS * LAYERS,
      medianRowsPerSec: Math.round(median(reps.map((r) => r.rowsPerSec))),
      medianCpuRowsPerSec: Math.round(median(reps.map((r) => r.cpuRowsPerSec))),
      targetRowsPerSec: 500_000,
      reps,
    },
    query: {
      runs: RUNS,
      stepsPerRun: STEPS,
      maxPoints: MAX_POINTS,
      fillMs,
      lossForAllRuns: loss,
      layerSeriesOfOneRun: { layers: LAYERS, ...layers },
    },
  };
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/store.json', `${JSON.stringify(result, null, 2)}\n`);
  console.log(`median ingest ${result.ingest.medianRowsPerSec} rows/s (target ≥ 500 000); wrote bench/results/store.json`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
