/**
 * The Workers list (API `listWorkers`, `batchscope workers`) with the real thing: a redis-server of
 * our own, `batchscope worker` processes, the coordinator in this process.
 */
import { mkdtempSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkersListing } from '../../common/api-contract';
import { createApi, type BatchscopeBackend } from '../../main/api/create-api';
import { HEARTBEAT_EVERY_MS } from '../../main/distributed/worker-heartbeats';
import { kill, startCli, startWorker, until, type CliProcess } from './processes';
import { startRedis, type TestRedis } from './redis-server';

let redis: TestRedis;
const processes: CliProcess[] = [];
const apis: BatchscopeBackend[] = [];
const tempDir = () => mkdtempSync(join(tmpdir(), 'batchscope-workers-'));

beforeAll(async () => {
  redis = await startRedis();
});

afterAll(async () => {
  for (const api of apis) await api.close({ kill: true }).catch(() => undefined);
  await Promise.all(processes.map(kill));
  await redis?.stop();
});

const long = { name: 'long', dataset: { kind: 'blobs', samples: 300 }, model: { kind: 'mlp', hidden: [8] }, batch: { size: 32 }, training: { steps: 1_000_000 } };

describe('listWorkers', () => {
  it('without Redis: an empty list and the reason', async () => {
    const api = await createApi({ dbPath: join(tempDir(), 'local.db'), resumeQueued: false });
    apis.push(api);
    const listing = await api.listWorkers({});
    expect(listing).toEqual({ distributed: false, queue: null, reason: expect.stringMatching(/no Redis configured/), workers: [] });
  });

  it('lists connected workers with their concurrency and runs; a SIGKILLed one turns stale, then goes', async () => {
    const alpha = startWorker(redis.url, 'alpha', 2);
    const beta = startWorker(redis.url, 'beta', 1);
    processes.push(alpha, beta);
    const api = await createApi({ dbPath: join(tempDir(), 'coordinator.db'), redisUrl: redis.url });
    apis.push(api);
    const named = (listing: WorkersListing, name: string) => listing.workers.find((w) => w.name === name);

    let listing = await api.listWorkers({});
    await until(async () => ((listing = await api.listWorkers({})), listing.workers.length === 2), 'both workers beating');
    expect(listing.distributed).toBe(true);
    expect(listing.queue).toBe('batchscope');
    expect(listing.reason).toBeNull();
    expect(listing.workers.map((w) => [w.name, w.host, w.concurrency, w.stale, w.runs])).toEqual([
      ['alpha', hostname(), 2, false, []],
      ['beta', hostname(), 1, false, []],
    ]);
    expect(named(listing, 'alpha')!.pid).toBe(alpha.child.pid);

    // a run shows under the worker training it, with its label, for as long as it runs
    const { runs } = await api.createExperiment({ spec: long });
    const runId = runs[0]!.id;
    const trainer = () => listing.workers.find((w) => w.runs.some((r) => r.id === runId));
    await until(async () => ((listing = await api.listWorkers({})), trainer() !== undefined), 'the run listed under its worker', 300_000);
    expect(trainer()!.runs).toEqual([{ id: runId, label: runs[0]!.label, experimentName: 'long' }]);
    const trainerName = trainer()!.name;
    await until(() => api.store.runs.get(runId)!.workerName !== null, 'the run recorded on its worker');
    expect(api.store.runs.get(runId)!.workerName).toBe(trainerName);
    await new Promise((r) => setTimeout(r, 2 * HEARTBEAT_EVERY_MS + 500));
    listing = await api.listWorkers({});
    expect(api.store.runs.get(runId)!.status).toBe('running');
    expect(trainer()?.name).toBe(trainerName);

    // the CLI reads the same heartbeats
    const cli = startCli(['workers', '--redis', redis.url, '--json']);
    expect(await cli.exited, cli.output()).toBe(0);
    const fromCli = JSON.parse(cli.output()) as WorkersListing;
    expect(fromCli.workers.map((w) => [w.name, w.concurrency, w.runs.map((r) => r.id)])).toEqual(
      listing.workers.map((w) => [w.name, w.concurrency, w.runs.map((r) => r.id)]),
    );
    expect(cli.output()).not.toContain(redis.password);

    const victim = trainerName === 'alpha' ? alpha : beta;
    const survivor = trainerName === 'alpha' ? 'beta' : 'alpha';
    await kill(victim);
    await until(async () => ((listing = await api.listWorkers({})), named(listing, trainerName)?.stale !== false), 'the killed worker marked stale or gone', 60_000);
    const seenStale = named(listing, trainerName);
    if (seenStale) expect(seenStale.stale).toBe(true);
    await until(async () => ((listing = await api.listWorkers({})), named(listing, trainerName) === undefined), 'the killed worker gone from the list', 60_000);
    expect(named(listing, survivor)?.stale).toBe(false);

    // the run it was training ends interrupted (the worker's lock expired), not running forever
    await until(() => api.store.runs.get(runId)!.status !== 'running', 'the lost run ended', 120_000);
    expect(api.store.runs.get(runId)!.status).toBe('interrupted');
  }, 600_000);

  it('`batchscope workers` without Redis is a usage error that says what to give', async () => {
    const cli = startCli(['workers'], { BATCHSCOPE_REDIS_URL: '' });
    expect(await cli.exited).toBe(2);
    expect(cli.output()).toMatch(/no Redis configured.*--redis/);
  });
});
