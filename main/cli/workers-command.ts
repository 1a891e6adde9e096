/**
 * `batchscope workers --redis URL [--queue Q] [--json]`: the workers taking runs from a queue, read
 * from their heartbeats in Redis — the same list as the app's Workers panel, without a database
 * (runs are shown by id).
 */
import { parseArgs } from 'node:util';
import type { WorkersListing } from '../../common/api-contract';
import { openRedis, probeRedis } from '../distributed/redis-connection';
import { DEFAULT_QUEUE } from '../distributed/redis-keys';
import { readHeartbeats } from '../distributed/worker-heartbeats';
import { UsageError } from './usage-error';

export function formatWorkers(listing: WorkersListing): string {
  if (listing.workers.length === 0) return `no workers on queue '${listing.queue}'${listing.reason ? ` (${listing.reason})` : ''}\n`;
  const lines = listing.workers.map((w) => {
    const beat = `${(w.lastBeatAgeMs / 1000).toFixed(1)} s ago${w.stale ? ' (stale: not beating)' : ''}`;
    const runs = w.runs.length ? w.runs.map((r) => `#${r.id}`).join(' ') : 'idle';
    return `${w.name.padEnd(20)} ${w.host.padEnd(20)} pid ${String(w.pid).padEnd(8)} ${w.runs.length}/${w.concurrency} running  beat ${beat}  runs: ${runs}`;
  });
  return `${listing.workers.length} worker(s) on queue '${listing.queue}':\n${lines.join('\n')}\n`;
}

export async function workersCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { redis: { type: 'string' }, queue: { type: 'string' }, json: { type: 'boolean' } } });
  const url = values.redis ?? (process.env.BATCHSCOPE_REDIS_URL || undefined);
  if (!url) throw new UsageError("workers: no Redis configured; give the coordinator's Redis, --redis redis://:PASSWORD@host:6379 (or BATCHSCOPE_REDIS_URL)");
  const queue = values.queue ?? DEFAULT_QUEUE;
  await probeRedis(url);
  const redis = openRedis(url, 'workers', (line) => process.stderr.write(`${line}\n`));
  try {
    const readings = await readHeartbeats(redis, queue);
    const listing: WorkersListing = {
      distributed: true,
      queue,
      reason: null,
      workers: readings.map(({ runIds, ...w }) => ({ ...w, runs: runIds.map((id) => ({ id, label: null, experimentName: null })) })),
    };
    process.stdout.write(values.json ? `${JSON.stringify(listing)}\n` : formatWorkers(listing));
    return 0;
  } finally {
    redis.disconnect();
  }
}
