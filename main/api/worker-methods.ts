/** Workers: the `batchscope worker` processes on this coordinator's queue, from their heartbeats in Redis. */
import type { BatchscopeApi, WorkerStatus } from '../../common/api-contract';
import type { RedisExecutor } from '../distributed/redis-executor';
import type { HeartbeatReading } from '../distributed/worker-heartbeats';
import type { ApiContext } from './api-context';

export const NO_REDIS_REASON = 'no Redis configured: runs train on this machine (start with --redis URL or BATCHSCOPE_REDIS_URL to use workers)';

export function workerMethods(ctx: ApiContext, remote: RedisExecutor | null): Pick<BatchscopeApi, 'listWorkers'> {
  const describe = (reading: HeartbeatReading): WorkerStatus => ({
    name: reading.name,
    host: reading.host,
    pid: reading.pid,
    concurrency: reading.concurrency,
    lastBeatAgeMs: reading.lastBeatAgeMs,
    stale: reading.stale,
    runs: reading.runIds.map((id) => {
      const run = ctx.store.runs.get(id);
      if (!run) return { id, label: null, experimentName: null };
      const record = ctx.record(run);
      return { id, label: record.label, experimentName: record.experimentName };
    }),
  });
  return {
    async listWorkers() {
      if (!remote) return { distributed: false, queue: null, reason: NO_REDIS_REASON, workers: [] };
      try {
        return { distributed: true, queue: remote.queueName, reason: null, workers: (await remote.listWorkers()).map(describe) };
      } catch (error) {
        return { distributed: true, queue: remote.queueName, reason: (error as Error).message, workers: [] };
      }
    },
  };
}
