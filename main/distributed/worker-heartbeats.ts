/**
 * Workers' heartbeats: each `batchscope worker` keeps a hash `<queue>:worker:<name>` (its name,
 * host, pid, concurrency and the runs it is training) and renews its expiry every beat; a worker
 * that stops beating (killed, machine gone) is stale after a few missed beats and its key
 * vanishes after HEARTBEAT_KEPT_MS. The coordinator (Workers panel, `batchscope workers`) reads them.
 *
 * The age of a beat comes from the key's remaining TTL, not from the worker's clock: worker
 * machines' clocks need not agree with the coordinator's.
 */
import type { Redis } from 'ioredis';
import { workerKey, workerKeyPattern } from './redis-keys';

export const HEARTBEAT_EVERY_MS = 2000;
/** how long a heartbeat lives without renewal: then the worker is gone from the list */
export const HEARTBEAT_KEPT_MS = HEARTBEAT_EVERY_MS * 5;
/** a worker that missed this long a silence is shown as stale (probably dead) until its key expires */
export const HEARTBEAT_STALE_MS = HEARTBEAT_EVERY_MS * 2 + 1000;

export interface Heartbeat {
  name: string;
  host: string;
  pid: number;
  concurrency: number;
  runIds: number[];
}

export interface HeartbeatReading extends Heartbeat {
  /** time since the last beat, from the key's TTL (clock-independent) */
  lastBeatAgeMs: number;
  stale: boolean;
}

/** One beat: the hash rewritten and its expiry renewed, atomically. */
export async function writeHeartbeat(redis: Redis, queue: string, beat: Heartbeat): Promise<void> {
  const key = workerKey(queue, beat.name);
  await redis
    .multi()
    .del(key)
    .hset(key, { name: beat.name, host: beat.host, pid: String(beat.pid), concurrency: String(beat.concurrency), runs: JSON.stringify(beat.runIds) })
    .pexpire(key, HEARTBEAT_KEPT_MS)
    .exec();
}

export async function removeHeartbeat(redis: Redis, queue: string, name: string): Promise<void> {
  await redis.del(workerKey(queue, name));
}

function parseRunIds(text: string | undefined): number[] {
  try {
    const parsed = JSON.parse(text ?? '[]') as unknown;
    return Array.isArray(parsed) ? parsed.filter((id): id is number => Number.isInteger(id) && id > 0) : [];
  } catch {
    return [];
  }
}

/** Every worker with a live heartbeat on this queue, by name. */
export async function readHeartbeats(redis: Redis, queue: string): Promise<HeartbeatReading[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', workerKeyPattern(queue), 'COUNT', 1000);
    cursor = next;
    keys.push(...found);
  } while (cursor !== '0');
  if (keys.length === 0) return [];
  const pipeline = redis.pipeline();
  for (const key of keys) pipeline.hgetall(key).pttl(key);
  const replies = (await pipeline.exec()) ?? [];
  const readings: HeartbeatReading[] = [];
  for (let i = 0; i < keys.length; i++) {
    const fields = replies[2 * i]?.[1] as Record<string, string> | null;
    const ttlMs = Number(replies[2 * i + 1]?.[1]);
    // expired between SCAN and HGETALL, or not a heartbeat
    if (!fields || !fields.name || !(ttlMs > 0)) continue;
    const lastBeatAgeMs = Math.max(0, HEARTBEAT_KEPT_MS - ttlMs);
    readings.push({
      name: fields.name,
      host: fields.host ?? '',
      pid: Number(fields.pid) || 0,
      concurrency: Number(fields.concurrency) || 1,
      runIds: parseRunIds(fields.runs),
      lastBeatAgeMs,
      stale: lastBeatAgeMs > HEARTBEAT_STALE_MS,
    });
  }
  return readings.sort((a, b) => a.name.localeCompare(b.name));
}
