/**
 * Faults with the real thing: SIGKILL of random workers and of the coordinator in the middle of a
 * sweep (BATCHSCOPE_KILL_ROUNDS rounds of each, default 10), and Redis stopped for 5 s mid-run.
 * After each: the SQLite file passes integrity_check, every run ends in a terminal status, and
 * the database holds exactly the records the workers appended to Redis (each worker counts them
 * per run, atomically with each append): none lost, none duplicated.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApi, type BatchscopeBackend } from '../../main/api/create-api';
import { sentKey } from '../../main/distributed/redis-keys';
import { kill, startCli, startWorker, until, type CliProcess } from './processes';
import { startRedis, type TestRedis } from './redis-server';

const ROUNDS = Math.max(1, Number(process.env.BATCHSCOPE_KILL_ROUNDS) || 10);
const TERMINAL = ['completed', 'failed', 'diverged', 'cancelled', 'interrupted'];

let redis: TestRedis;
const processes: CliProcess[] = [];
const tempDir = () => mkdtempSync(join(tmpdir(), 'batchscope-faults-'));

beforeAll(async () => {
  redis = await startRedis();
});

afterAll(async () => {
  await Promise.all(processes.map(kill));
  await redis?.stop();
});

const spec = (name: string, seeds: number[], steps: number) => ({
  name,
  dataset: { kind: 'blobs', samples: 400 },
  model: { kind: 'mlp', hidden: [8] },
  batch: { size: 32 },
  training: { steps, evalEverySteps: 10 },
  sweep: { seed: seeds },
});

function query<T>(dbPath: string, sql: string, ...params: unknown[]): T[] {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

const stepRows = (dbPath: string): number => query<{ n: number }>(dbPath, 'SELECT count(*) AS n FROM step_metrics')[0]!.n;

/** Compares every run's rows with what the workers say they sent; returns the runs by status. */
async function auditRuns(dbPath: string): Promise<Record<string, number>> {
  const db = new Database(dbPath, { fileMustExist: true });
  const client = new Redis(redis.url, { protocol: 2 });
  try {
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    const runs = db.prepare('SELECT id, status FROM runs').all() as { id: number; status: string }[];
    const byStatus: Record<string, number> = {};
    for (const run of runs) {
      byStatus[run.status] = (byStatus[run.status] ?? 0) + 1;
      expect(TERMINAL, `run ${run.id}`).toContain(run.status);
      const sent = await client.hgetall(sentKey('batchscope', run.id));
      const count = (table: string) => (db.prepare(`SELECT count(*) FROM ${table} WHERE run_id = ?`).pluck().get(run.id) as number);
      expect({ run: run.id, steps: count('step_metrics'), layers: count('layer_metrics'), evals: count('evaluations'), events: count('run_events') }).toEqual({
        run: run.id,
        steps: Number(sent.step ?? 0),
        layers: Number(sent.layers ?? 0),
        evals: Number(sent.eval ?? 0),
        events: Number(sent.event ?? 0),
      });
      const distinctEvents = db.prepare('SELECT count(DISTINCT seq) FROM run_events WHERE run_id = ?').pluck().get(run.id);
      expect(distinctEvents).toBe(count('run_events'));
    }
    return byStatus;
  } finally {
    client.disconnect();
    db.close();
  }
}

describe('faults in a remote sweep', () => {
  it(`survives ${ROUNDS} SIGKILLs of a random worker and ${ROUNDS} of the coordinator: nothing lost or duplicated`, async () => {
    const dir = tempDir();
    const dbPath = join(dir, 'sweep.db');
    writeFileSync(join(dir, 'spec.json'), JSON.stringify(spec('kill rounds', Array.from({ length: 3 + 2 * ROUNDS }, (_, i) => i + 1), 40)));
    const workers: CliProcess[] = [];
    let nextWorker = 1;
    const addWorker = (): void => {
      const worker = startWorker(redis.url, `w${nextWorker++}`);
      workers.push(worker);
      processes.push(worker);
    };
    for (let i = 0; i < 3; i++) addWorker();
    let coordinator = startCli(['run', join(dir, 'spec.json'), '--db', dbPath, '--redis', redis.url]);
    processes.push(coordinator);

    const lostOnKilledWorkers: number[] = [];
    for (let round = 0; round < 2 * ROUNDS; round++) {
      // let the sweep make progress between kills
      await until(() => {
        try {
          return stepRows(dbPath) >= 5 * (round + 1);
        } catch {
          return false; // the coordinator has not created the file yet
        }
      }, `progress before round ${round + 1}`, 300_000).catch((error: Error) => {
        throw new Error(`${error.message}\ncoordinator:\n${coordinator.output()}\nworkers:\n${workers.map((w) => w.output()).join('\n')}`);
      });
      if (round % 2 === 0) {
        const alive = workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null);
        const victim = alive[Math.floor(Math.random() * alive.length)]!;
        const name = victim.child.spawnargs[victim.child.spawnargs.indexOf('--name') + 1]!;
        lostOnKilledWorkers.push(...query<{ id: number }>(dbPath, `SELECT id FROM runs WHERE status = 'running' AND worker_name = ?`, name).map((r) => r.id));
        await kill(victim);
        addWorker();
      } else {
        await kill(coordinator);
        coordinator = startCli(['resume', '--db', dbPath, '--redis', redis.url]);
        processes.push(coordinator);
      }
    }
    // the last coordinator exits once every run has ended
    await coordinator.exited;
    // the next test's run must go to its own worker
    await Promise.all(workers.map(kill));
    const byStatus = await auditRuns(dbPath);
    expect(byStatus.completed).toBeGreaterThan(0);
    const statuses = query<{ id: number; status: string; error: string | null }>(dbPath, 'SELECT id, status, error FROM runs');
    for (const id of lostOnKilledWorkers) {
      const run = statuses.find((r) => r.id === id)!;
      // a run can have finished in the instant before its worker was killed
      if (run.status !== 'completed') {
        expect(run.status).toBe('interrupted');
        expect(run.error).toMatch(/WorkerLost/);
      }
    }
    process.stderr.write(`kill rounds: ${ROUNDS} worker + ${ROUNDS} coordinator SIGKILLs; runs by status ${JSON.stringify(byStatus)}; runs on killed workers ${JSON.stringify(lostOnKilledWorkers)}\n`);
  }, 1_800_000);

  it('Redis stopped for 5 s mid-run: worker and coordinator reconnect and the run completes with every record', async () => {
    // a lock longer than the outage, as in production (30 s by default): the run is not given up
    const worker = startCli(['worker', '--redis', redis.url, '--name', 'steady'], { BATCHSCOPE_REDIS_LOCK_MS: '30000' });
    processes.push(worker);
    const lines: string[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => void lines.push(args.join(' '));
    let api: BatchscopeBackend | null = null;
    const dbPath = join(tempDir(), 'outage.db');
    try {
      api = await createApi({ dbPath, redisUrl: redis.url });
      const { runs } = await api.createExperiment({ spec: spec('outage', [7], 1500) });
      const id = runs[0]!.id;
      await until(() => api!.store.metrics.stepMetrics(id).length > 5, 'the run training', 300_000);
      expect(api.store.runs.get(id)?.status).toBe('running');
      await redis.stop();
      await new Promise((r) => setTimeout(r, 5000));
      await redis.start();
      await api.idle();
      expect(api.store.runs.get(id)?.status).toBe('completed');
      expect(api.store.metrics.stepMetrics(id)).toHaveLength(1500);
      await api.close();
      api = null;
    } finally {
      console.error = original;
      await api?.close();
    }
    expect(lines.join('\n')).toMatch(/coordinator: Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+\/? unreachable/);
    expect(lines.join('\n')).toMatch(/coordinator: reconnected/);
    expect(worker.output()).toMatch(/reconnected to Redis/);
    expect(lines.join('\n') + worker.output()).not.toContain(redis.password);
    expect(await auditRuns(dbPath)).toEqual({ completed: 1 });
  }, 600_000);
});
