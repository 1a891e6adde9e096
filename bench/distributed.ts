/**
 * `node bin/run-ts.mjs bench/distributed.ts [--redis URL] [--only ingest,enqueue,workers]`: the
 * numbers of issue #13 (docs/benchmarks.md, Distributed). Without --redis it starts a scratch
 * redis-server of its own (loopback, a password, AOF appendfsync everysec: what
 * docs/distributed.md asks of a production Redis); with --redis it writes under the queue names
 * `bench-distributed*` and removes what it wrote.
 *
 * - ingest: layer records appended to a run's stream as a worker does (batches of 2000 messages
 *   of 20 layer records), then read by the coordinator's executor, committed to SQLite and
 *   acknowledged; rows per second from the first read to the run's end.
 * - enqueue: a 512-run sweep created through the API with Redis configured, until all 512 jobs
 *   are in the queue (BullMQ addBulk).
 * - workers: the same sweep (8 single-thread MLP runs) trained by one `batchscope worker`
 *   process, then by two; wall time from enqueueing to the last run's end, workers already up
 *   and waiting (4 s after their first heartbeat, so the training process each warms per slot is up).
 *   Each worker slot reuses its training process between runs, as `batchscope worker` does by
 *   default; --fresh-processes starts one per run (the workers' `--fresh-processes`).
 */
import { loadavg } from 'node:os';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Queue } from 'bullmq';
import type { LayerMetrics } from '../common/metrics';
import { createApi } from '../main/api/create-api';
import { openRedis } from '../main/distributed/redis-connection';
import { runStreamKey } from '../main/distributed/redis-keys';
import { StreamWriter } from '../main/distributed/stream-writer';
import { createRunnerStore } from '../main/api/runner-store';
import { JobRunner } from '../main/runner/job-runner';
import { createRedisExecutor } from '../main/distributed/redis-executor';
import { readHeartbeats } from '../main/distributed/worker-heartbeats';
import { openStore } from '../main/store/open-store';
import { kill, startCli, type CliProcess } from '../tests/distributed/processes';
import { startRedis, type TestRedis } from '../tests/distributed/redis-server';
import { mlpRunSpec } from './run-specs';

const QUEUE = 'bench-distributed';
const { values } = parseArgs({ options: { redis: { type: 'string' }, steps: { type: 'string', default: '10000' }, only: { type: 'string', default: 'ingest,enqueue,workers' }, 'sweep-steps': { type: 'string', default: '150' }, 'sweep-runs': { type: 'string', default: '8' }, workload: { type: 'string', default: 'blobs' }, 'fresh-processes': { type: 'boolean', default: false } } });
const only = new Set(values.only.split(',').map((o) => o.trim()));
let scratch: TestRedis | null = null;
if (!values.redis) scratch = await startRedis();
const url = values.redis ?? scratch!.url;
const LAYERS = 20;
const steps = Number(values.steps);

async function ingest(): Promise<{ rowsPerSec: number; rowsPerCpuSec: number }> {
  const store = openStore(join(mkdtempSync(join(tmpdir(), 'bench-dist-')), 'ingest.db'));
  const spec = { dataset: { kind: 'blobs' as const }, model: { kind: 'mlp' as const, hidden: [8] }, batch: { size: 32 }, training: { steps: 1 } };
  const experiment = store.experiments.create({ name: 'ingest', spec: spec as never, notes: '', tags: [] });
  const run = store.runs.create({ experimentId: experiment.id, config: spec });
  store.runs.updateStatus(run.id, { status: 'running' });
  store.runs.setQueue(run.id, QUEUE);
  // what a worker appends, written before the coordinator reads: the read side alone is timed
  const redis = openRedis(url!, 'bench', console.error);
  await redis.del(runStreamKey(QUEUE, run.id));
  await redis.xgroup('CREATE', runStreamKey(QUEUE, run.id), 'coordinator', '0', 'MKSTREAM');
  const writer = new StreamWriter(redis, runStreamKey(QUEUE, run.id), `${QUEUE}:bench-sent`, (e) => console.error(e.message));
  for (let step = 0; step < steps; step++) {
    const layers: LayerMetrics[] = [];
    for (let layer = 0; layer < LAYERS; layer++) layers.push({ step, layer, gradNorm: Math.random(), weightNorm: 1 + step / steps, updateNorm: 0.01, effectiveLr: 0.1, lossUpdateShare: null, curvature: null, curvatureError: null, noiseScale: null, sharpness: null, distanceFromInit: Math.random(), updateCosine: null });
    writer.push({ type: 'layers', metrics: layers });
  }
  writer.push({ type: 'exit', code: 0, signal: null, stderrTail: '' });
  await writer.flush();

  const runnerStore = createRunnerStore(store, (e) => console.error(e.message));
  const executor = await createRedisExecutor({ url: url!, queue: QUEUE, commit: () => runnerStore.flush() });
  const runner = new JobRunner(runnerStore, executor, { concurrency: 1 });
  const startMs = performance.now();
  const startCpu = process.cpuUsage();
  runner.adopt([{ id: run.id, spec: run.config }]);
  await runner.idle();
  const seconds = (performance.now() - startMs) / 1000;
  const cpu = process.cpuUsage(startCpu);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const rows = store.db.prepare('SELECT count(*) FROM layer_metrics').pluck().get() as number;
  if (rows !== steps * LAYERS) throw new Error(`ingest: ${rows} rows stored, ${steps * LAYERS} sent`);
  await executor.close();
  await redis.del(`${QUEUE}:bench-sent`);
  redis.disconnect();
  store.close();
  return { rowsPerSec: rows / seconds, rowsPerCpuSec: rows / cpuSeconds };
}

/** Seconds: createExperiment (validating and storing the 512 runs, the runner handing them to the executor), then until all 512 jobs are in the queue. */
async function enqueue(): Promise<{ createSec: number; queuedSec: number }> {
  const api = await createApi({ dbPath: join(mkdtempSync(join(tmpdir(), 'bench-dist-')), 'enqueue.db'), redisUrl: url!, queue: QUEUE });
  const queue = new Queue(QUEUE, { connection: openRedis(url!, 'bench', console.error) });
  const seeds = Array.from({ length: 64 }, (_, i) => i + 1);
  const spec = (name: string, batchSizes: number[]) => ({ name, dataset: { kind: 'blobs' }, model: { kind: 'mlp', hidden: [8] }, batch: { size: 32 }, training: { steps: 1 }, sweep: { batchSize: batchSizes, seed: seeds } });
  // warm-up: the first experiment loads the dataset code and prepares statements
  await api.createExperiment({ spec: spec('warm-up', [8]) });
  while ((await queue.getJobCountByTypes('waiting', 'active', 'completed', 'failed')) < 64) await new Promise((r) => setTimeout(r, 5));
  const startMs = performance.now();
  await api.createExperiment({ spec: spec('enqueue', [8, 16, 32, 64, 128, 256, 512, 1024]) });
  const createdMs = performance.now();
  while ((await queue.getJobCountByTypes('waiting', 'active', 'completed', 'failed')) < 64 + 512) await new Promise((r) => setTimeout(r, 5));
  const queuedMs = performance.now();
  for (const run of api.store.runs.list({ status: 'running' })) api.runner.cancel(run.id);
  await api.idle();
  await api.close();
  await queue.obliterate({ force: true });
  await queue.close();
  return { createSec: (createdMs - startMs) / 1000, queuedSec: (queuedMs - createdMs) / 1000 };
}

/** Seconds from enqueueing an 8-run sweep to its end, trained by `workerCount` worker processes (concurrency 1 each). */
async function sweepSeconds(workerCount: number): Promise<{ seconds: number; runs: number }> {
  const queue = `${QUEUE}-workers-${workerCount}`;
  const workers: CliProcess[] = [];
  const redis = openRedis(url!, 'bench', console.error);
  try {
    for (let i = 0; i < workerCount; i++) workers.push(startCli(['worker', '--redis', url!, '--queue', queue, '--name', `bench-${workerCount}-${i}`, '--concurrency', '1', ...(values['fresh-processes'] ? ['--fresh-processes'] : [])]));
    while ((await readHeartbeats(redis, queue)).length < workerCount) await new Promise((r) => setTimeout(r, 100));
    // workers waiting for a sweep, as they would be: their warmed training processes are up (≈ 2 s under tsx)
    await new Promise((r) => setTimeout(r, 4000));
    const api = await createApi({ dbPath: join(mkdtempSync(join(tmpdir(), 'bench-dist-')), 'workers.db'), redisUrl: url!, queue });
    const startMs = performance.now();
    const { runs } = await api.createExperiment({
      spec: {
        ...(values.workload === 'mnist'
          ? { ...mlpRunSpec({ batchSize: 256, steps: Number(values['sweep-steps']) }), backend: 'auto' }
          : {
              dataset: { kind: 'blobs', samples: 4000, features: 32 },
              model: { kind: 'mlp', hidden: [128, 128] },
              batch: { size: 128 },
              training: { steps: Number(values['sweep-steps']), evalEverySteps: 50 },
              diagnostics: { curvatureEvery: 0 },
            }),
        name: 'workers',
        threads: 1,
        sweep: { seed: Array.from({ length: Number(values['sweep-runs']) }, (_, i) => i + 1) },
      },
    });
    await api.idle();
    const seconds = (performance.now() - startMs) / 1000;
    // some seeds of the blobs MLP diverge (lr 0.1): a run that ends so has trained as far as it could
    const ended = runs.filter((r) => ['completed', 'diverged'].includes(api.store.runs.get(r.id)?.status ?? '')).length;
    if (ended !== runs.length) throw new Error(`workers: ${ended} of ${runs.length} runs completed or diverged`);
    // who trained what
    const byWorker = new Map<string, number>();
    for (const r of runs) {
      const name = api.store.runs.get(r.id)!.workerName ?? '?';
      byWorker.set(name, (byWorker.get(name) ?? 0) + 1);
    }
    process.stdout.write(`  ${workerCount} worker(s): ${[...byWorker].map(([name, count]) => `${name} ${count} runs`).join(', ')}\n`);
    await api.close();
    const q = new Queue(queue, { connection: redis });
    await q.obliterate({ force: true });
    await q.close();
    return { seconds, runs: runs.length };
  } finally {
    await Promise.all(workers.map(kill));
    redis.disconnect();
  }
}

const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
process.stdout.write(`load average at start: ${load()} (${scratch ? 'scratch redis-server, AOF everysec' : 'the given Redis'})\n`);
if (only.has('ingest')) {
  // about a second each: the median of five fresh files, the repetitions listed
  const reps: { rowsPerSec: number; rowsPerCpuSec: number }[] = [];
  for (let r = 0; r < 5; r++) reps.push(await ingest());
  const byWall = [...reps].sort((a, b) => a.rowsPerSec - b.rowsPerSec);
  const mid = byWall[2]!;
  const k = (n: number) => `${Math.round(n / 1000)}k`;
  process.stdout.write(
    `ingest through Redis into SQLite: ${Math.round(mid.rowsPerSec)} layer rows/s wall, ${Math.round(mid.rowsPerCpuSec)} per CPU-second of the coordinator (median of 5 × ${steps * LAYERS} rows; reps ${reps.map((r) => k(r.rowsPerSec)).join(', ')})\n`,
  );
}
if (only.has('enqueue')) {
  const { createSec, queuedSec } = await enqueue();
  process.stdout.write(`enqueue a 512-run sweep: ${(createSec + queuedSec).toFixed(3)} s (createExperiment: validate, store, hand to the executor ${createSec.toFixed(3)} s; then until all 512 jobs are in the queue ${queuedSec.toFixed(3)} s)\n`);
}
if (only.has('workers')) {
  const one = await sweepSeconds(1);
  const two = await sweepSeconds(2);
  process.stdout.write(`${one.runs}-run sweep: 1 worker ${one.seconds.toFixed(1)} s, 2 workers ${two.seconds.toFixed(1)} s: ${(one.seconds / two.seconds).toFixed(2)}×\n`);
}
process.stdout.write(`load average at end: ${load()}\n`);
await scratch?.stop();
process.exit(0);
