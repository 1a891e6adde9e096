/**
 * `node bin/run-ts.mjs bench/distributed.ts --redis URL`: the two numbers of docs/distributed.md
 * that need no training, against a Redis you give it (a scratch one: it writes under the queue
 * name `bench-distributed` and removes what it wrote).
 *
 * - ingest: layer records appended to a run's stream as a worker does (batches of 2000 messages
 *   of 20 layer records), then read by the coordinator's executor, committed to SQLite and
 *   acknowledged; rows per second from the first read to the run's end.
 * - enqueue: a 512-run sweep created through the API with Redis configured, until all 512 jobs
 *   are in the queue.
 */
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
import { openStore } from '../main/store/open-store';

const QUEUE = 'bench-distributed';
const { values } = parseArgs({ options: { redis: { type: 'string' }, steps: { type: 'string', default: '10000' } } });
const url = values.redis ?? process.env.BATCHSCOPE_REDIS_URL;
if (!url) throw new Error('give --redis URL (a scratch Redis)');
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

async function enqueue(): Promise<number> {
  const api = await createApi({ dbPath: join(mkdtempSync(join(tmpdir(), 'bench-dist-')), 'enqueue.db'), redisUrl: url!, queue: QUEUE });
  const queue = new Queue(QUEUE, { connection: openRedis(url!, 'bench', console.error) });
  const seeds = Array.from({ length: 64 }, (_, i) => i + 1);
  const startMs = performance.now();
  await api.createExperiment({ spec: { name: 'enqueue', dataset: { kind: 'blobs' }, model: { kind: 'mlp', hidden: [8] }, batch: { size: 32 }, training: { steps: 1 }, sweep: { batchSize: [8, 16, 32, 64, 128, 256, 512, 1024], seed: seeds } } });
  while ((await queue.getJobCountByTypes('waiting', 'active', 'completed', 'failed')) < 512) await new Promise((r) => setTimeout(r, 5));
  const seconds = (performance.now() - startMs) / 1000;
  for (const run of api.store.runs.list({ status: 'running' })) api.runner.cancel(run.id);
  await api.idle();
  await api.close();
  await queue.obliterate({ force: true });
  await queue.close();
  return seconds;
}

const { rowsPerSec, rowsPerCpuSec } = await ingest();
process.stdout.write(
  `ingest through Redis into SQLite: ${Math.round(rowsPerSec)} layer rows/s wall, ${Math.round(rowsPerCpuSec)} per CPU-second of the coordinator (${steps * LAYERS} rows)\n`,
);
const enqueueSec = await enqueue();
process.stdout.write(`enqueue a 512-run sweep: ${enqueueSec.toFixed(3)} s\n`);
process.exit(0);
