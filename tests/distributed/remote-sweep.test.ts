/**
 * Remote runs end to end with the real thing: a redis-server of our own, `batchscope worker`
 * processes, the coordinator (createApi with redisUrl) in this process, SQLite files.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApi, type BatchscopeBackend } from '../../main/api/create-api';
import { parseExperiment } from '../../common/sweep';
import { parseRunSpec } from '../../common/spec';
import { trainRun } from '../../main/engine/training/train-run';
import { openStore, type Store } from '../../main/store/open-store';
import { sentKey } from '../../main/distributed/redis-keys';
import { startRedis, type TestRedis } from './redis-server';
import { kill, startCli, startWorker, until, type CliProcess } from './processes';

const tiny = (name: string, seeds: number[], steps = 12) => ({
  name,
  dataset: { kind: 'blobs', samples: 300 },
  model: { kind: 'mlp', hidden: [8] },
  batch: { size: 32 },
  training: { steps, evalEverySteps: 6 },
  sweep: { seed: seeds },
});

let redis: TestRedis;
const workers: CliProcess[] = [];
const apis: BatchscopeBackend[] = [];
const tempDir = () => mkdtempSync(join(tmpdir(), 'batchscope-remote-'));

async function coordinator(): Promise<BatchscopeBackend> {
  const api = await createApi({ dbPath: join(tempDir(), 'coordinator.db'), redisUrl: redis.url });
  apis.push(api);
  return api;
}

beforeAll(async () => {
  redis = await startRedis();
});

afterAll(async () => {
  for (const api of apis) await api.close().catch(() => undefined);
  await Promise.all(workers.map(kill));
  await redis?.stop();
});

/** What a run stored, without the timings (which differ between any two executions). */
function storedMetrics(store: Store, runId: number) {
  const steps = store.metrics.stepMetrics(runId).map(({ stepMs: _s, wallMs: _w, ...rest }) => rest);
  const evals = store.metrics.evaluations(runId).map(({ wallMs: _w, ...rest }) => rest);
  return { steps, layers: store.metrics.layerMetrics(runId), evals };
}

describe('remote runs through BullMQ and Redis', () => {
  it('a 12-run sweep across 3 worker processes stores the same metrics as local runs of the same seeds', async () => {
    for (const name of ['w1', 'w2', 'w3']) workers.push(startWorker(redis.url, name));
    const api = await coordinator();
    const spec = tiny('remote sweep', [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    const { runs } = await api.createExperiment({ spec });
    expect(runs).toHaveLength(12);
    await api.idle();

    // the reference: the same run specs trained here and stored by the same metric writer a local run uses
    const local = openStore(join(tempDir(), 'local.db'));
    const experiment = local.experiments.create({ name: 'local', spec: spec as never, notes: '', tags: [] });
    const writer = local.openMetricWriter();
    const localIds: number[] = [];
    for (const { spec: runSpec } of parseExperiment(spec).runs) {
      const run = local.runs.create({ experimentId: experiment.id, config: runSpec });
      localIds.push(run.id);
      await trainRun(runSpec, {
        started: () => undefined,
        step: (m) => writer.pushStep(run.id, m),
        layers: (m) => writer.pushLayers(run.id, m),
        eval: (m) => writer.pushEval(run.id, m),
        event: (e) => writer.pushEvent(run.id, e),
        progress: () => undefined,
      });
    }
    writer.flush();

    const workerNames = new Set<string>();
    for (const [i, run] of runs.entries()) {
      const stored = api.store.runs.get(run.id)!;
      expect(stored.status, stored.error ?? '').toBe('completed');
      expect(stored.queueName).toBe('batchscope');
      expect(stored.workerHost).toBeTruthy();
      workerNames.add(stored.workerName!);
      const remote = storedMetrics(api.store, run.id);
      expect(remote.steps).toHaveLength(12);
      expect(remote.evals.length).toBeGreaterThan(0);
      expect(remote).toEqual(storedMetrics(local, localIds[i]!));
    }
    // three idle workers polling one queue: at least two of them got runs
    expect(workerNames.size).toBeGreaterThan(1);
    for (const name of workerNames) expect(['w1', 'w2', 'w3']).toContain(name);
    expect(api.store.checkIntegrity()).toBe('ok');

    // every stream was acknowledged and deleted
    const client = new Redis(redis.url, { protocol: 2 });
    try {
      expect(await client.keys('batchscope:run:*:stream')).toEqual([]);
      const sent = await client.hgetall(sentKey('batchscope', runs[0]!.id));
      expect(Number(sent.step)).toBe(12);
    } finally {
      client.disconnect();
    }
    local.close();
  }, 900_000);

  it('a worker without the dataset file fails the run, naming the file and the worker', async () => {
    const api = apis[0]!;
    const missing = join(tempDir(), 'not-on-this-worker.csv');
    // the coordinator's pre-flight check refuses a missing file before anything is stored, so
    // the run is queued straight into the store, as a file present on the coordinator only would be
    const spec = parseRunSpec({ name: 'no data here', dataset: { kind: 'csv', path: missing }, model: { kind: 'mlp', hidden: [4] }, batch: { size: 8 }, training: { steps: 2 } });
    const experiment = api.store.experiments.create({ name: spec.name, spec: spec as never });
    const runs = [api.store.runs.create({ experimentId: experiment.id, config: spec, sweepIndex: 0 })];
    api.runner.wake();
    await api.idle();
    const run = api.store.runs.get(runs[0]!.id)!;
    expect(run.status).toBe('failed');
    expect(run.error).toContain(missing);
    expect(run.error).toMatch(/worker w[123]/);
  }, 300_000);

  it('cancel reaches a remote run that is training', async () => {
    const api = apis[0]!;
    const { runs } = await api.createExperiment({ spec: tiny('to cancel', [1], 100_000) });
    const id = runs[0]!.id;
    await until(() => (api.runner.progressOf(id)?.step ?? 0) > 2, 'the remote run training');
    const trainer = api.store.runs.get(id)!.workerName;
    expect((await api.listWorkers({})).workers.find((w) => w.name === trainer)?.runs.map((r) => r.id)).toEqual([id]);
    const cancelledAtMs = performance.now();
    await api.cancelRun({ id });
    await api.idle();
    // measured, not asserted (no timing bounds in tests): the issue asks for under 2 s
    process.stderr.write(`cancel of a remote run: ${Math.round(performance.now() - cancelledAtMs)} ms from cancelRun to the run recorded cancelled\n`);
    const run = api.store.runs.get(id)!;
    expect(run.status).toBe('cancelled');
    expect(api.store.metrics.stepMetrics(id).length).toBeGreaterThan(2);
    // the worker stopped the training: its heartbeat no longer lists the run, and it takes the next one
    await until(async () => (await api.listWorkers({})).workers.find((w) => w.name === trainer)?.runs.length === 0, 'the worker idle again');
    const steps = api.store.metrics.stepMetrics(id).length;
    const { runs: next } = await api.createExperiment({ spec: tiny('after cancel', [2], 4) });
    await api.idle();
    expect(api.store.runs.get(next[0]!.id)!.status).toBe('completed');
    expect(api.store.metrics.stepMetrics(id).length).toBe(steps);
  }, 300_000);

  it('a wrong password is a clear error for the coordinator and the worker, and shows no password', async () => {
    const wrong = `redis://:not-the-password@127.0.0.1:${redis.port}`;
    await expect(createApi({ dbPath: join(tempDir(), 'x.db'), redisUrl: wrong })).rejects.toThrow(/refused the credentials: wrong password/);
    const worker = startCli(['worker', '--redis', wrong, '--name', 'wrong']);
    expect(await worker.exited).toBe(2);
    expect(worker.output()).toMatch(/refused the credentials: wrong password/);
    expect(worker.output()).not.toContain('not-the-password');
    expect(worker.output()).toContain('redis://:***@127.0.0.1');
  });

  it('a spec file run through the CLI coordinator (`run --redis`) completes on the workers', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'spec.json'), JSON.stringify(tiny('cli', [21, 22], 6)));
    const run = startCli(['run', join(dir, 'spec.json'), '--db', join(dir, 'cli.db'), '--redis', redis.url]);
    expect(await run.exited, run.output()).toBe(0);
    expect(run.output()).not.toContain(redis.password);
    const store = openStore(join(dir, 'cli.db'));
    expect(store.runs.list({}).map((r) => r.status)).toEqual(['completed', 'completed']);
    store.close();
  }, 300_000);
});
