/**
 * Spec `retries` with the real thing: `batchscope worker` processes SIGKILLed mid-run, a
 * redis-server of our own, the coordinator in this process. A retry starts from scratch on
 * another worker and the rows of the lost attempt are deleted first: at the end the run holds
 * exactly what its last attempt sent (the worker's per-run audit counts), no more.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApi, type BatchscopeBackend } from '../../main/api/create-api';
import { sentKey } from '../../main/distributed/redis-keys';
import { kill, startWorker, TEST_ENV, until, type CliProcess } from './processes';
import { startRedis, type TestRedis } from './redis-server';

let redis: TestRedis;
let api: BatchscopeBackend;
const workers = new Map<string, CliProcess>();
let nextWorker = 1;

function addWorker(): void {
  const name = `r${nextWorker++}`;
  workers.set(name, startWorker(redis.url, name));
}

beforeAll(async () => {
  redis = await startRedis();
  // the coordinator's stalled-job check uses the same short lock as the test workers
  process.env.BATCHSCOPE_REDIS_LOCK_MS = TEST_ENV.BATCHSCOPE_REDIS_LOCK_MS;
  api = await createApi({ dbPath: join(mkdtempSync(join(tmpdir(), 'batchscope-retries-')), 'retries.db'), redisUrl: redis.url });
  for (let i = 0; i < 2; i++) addWorker();
});

afterAll(async () => {
  await api?.close({ kill: true }).catch(() => undefined);
  await Promise.all([...workers.values()].map(kill));
  await redis?.stop();
});

const spec = (name: string, steps: number, retries: number) => ({
  name,
  dataset: { kind: 'blobs', samples: 400 },
  model: { kind: 'mlp', hidden: [8] },
  batch: { size: 32 },
  training: { steps, evalEverySteps: 10, seed: 3 },
  retries,
});

const stepRows = (runId: number): number => api.store.metrics.stepMetrics(runId).length;

/** Waits for the run to be trained by a worker and to have stored `steps` rows; returns that worker's name. */
async function trainingOn(runId: number, steps: number): Promise<string> {
  await until(() => api.store.runs.get(runId)!.workerName !== null && stepRows(runId) >= steps, `run ${runId} at ${steps} steps`, 300_000);
  return api.store.runs.get(runId)!.workerName!;
}

/** SIGKILLs the worker training the run and starts a fresh one, so there is always a worker to retry on. */
async function killWorker(name: string): Promise<void> {
  await kill(workers.get(name)!);
  workers.delete(name);
  addWorker();
}

/** The run's rows against what the worker of its last attempt counted as sent. */
async function audit(runId: number) {
  const client = new Redis(redis.url, { protocol: 2 });
  try {
    const sent = await client.hgetall(sentKey('batchscope', runId));
    const count = (table: string) => api.store.db.prepare(`SELECT count(*) FROM ${table} WHERE run_id = ?`).pluck().get(runId) as number;
    return {
      stored: { steps: count('step_metrics'), layers: count('layer_metrics'), evals: count('evaluations'), events: count('run_events') },
      sent: { steps: Number(sent.step ?? 0), layers: Number(sent.layers ?? 0), evals: Number(sent.eval ?? 0), events: Number(sent.event ?? 0) },
    };
  } finally {
    client.disconnect();
  }
}

describe('spec retries on lost workers', () => {
  it('retries: 1 — a worker killed mid-run: the run starts again from scratch on another worker and completes', async () => {
    const { runs } = await api.createExperiment({ spec: spec('retried', 400, 1) });
    const id = runs[0]!.id;
    const first = await trainingOn(id, 20);
    await killWorker(first);
    await api.idle();
    const run = api.store.runs.get(id)!;
    expect(run.status, run.error ?? '').toBe('completed');
    expect(run.workerName).not.toBe(first);
    expect(stepRows(id)).toBe(400);
    expect(api.store.metrics.stepMetrics(id).map((s) => s.step)).toEqual(Array.from({ length: 400 }, (_, i) => i + 1));
    const { stored, sent } = await audit(id);
    expect(stored).toEqual(sent);
    expect(api.store.checkIntegrity()).toBe('ok');
  }, 600_000);

  it("the lost attempt's rows are deleted before the retry starts: a retry cancelled at once holds only its own rows", async () => {
    const { runs } = await api.createExperiment({ spec: spec('retried then cancelled', 1_000_000, 2) });
    const id = runs[0]!.id;
    // the lost attempt stores far more rows than the retry can before the cancel reaches it: the
    // retry of this tiny MLP trained 245 steps in that time once, against 200 here before
    const first = await trainingOn(id, 2000);
    await killWorker(first);
    const lostRows = stepRows(id);
    await until(() => { const w = api.store.runs.get(id)!.workerName; return w !== null && w !== first; }, 'the retry assigned to another worker', 300_000);
    await api.cancelRun({ id });
    await api.idle();
    const run = api.store.runs.get(id)!;
    expect(run.status).toBe('cancelled');
    const { stored, sent } = await audit(id);
    // had the lost attempt's rows stayed, the run would hold at least its 2000+ steps
    expect(stored).toEqual(sent);
    expect(stored.steps).toBeLessThan(lostRows);
  }, 600_000);

  it('retries exhausted: killed twice with retries: 1, the run ends interrupted saying so', async () => {
    const { runs } = await api.createExperiment({ spec: spec('lost twice', 1_000_000, 1) });
    const id = runs[0]!.id;
    const first = await trainingOn(id, 20);
    await killWorker(first);
    await until(() => { const w = api.store.runs.get(id)!.workerName; return w !== null && w !== first; }, 'the retry assigned to another worker', 300_000);
    const second = api.store.runs.get(id)!.workerName!;
    await trainingOn(id, 20);
    await killWorker(second);
    await api.idle();
    const run = api.store.runs.get(id)!;
    expect(run.status).toBe('interrupted');
    expect(run.error).toMatch(/WorkerLost: .*lost mid-run 2 time\(s\) and the spec allows 1 retry/);
    expect(stepRows(id)).toBeGreaterThanOrEqual(20);
  }, 600_000);
});
