/**
 * A worker's stream writer against a real redis-server: a batch appended again after its
 * reply was lost (the connection dropped after Redis ran it) lands once and counts once.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamWriter } from '../../main/distributed/stream-writer';
import { decodeEntry, encodeBatch, type StreamMessage } from '../../main/distributed/run-stream';
import { startRedis, type TestRedis } from './redis-server';

let redis: TestRedis;
let client: Redis;

beforeAll(async () => {
  redis = await startRedis();
  client = new Redis(redis.url, { protocol: 2 });
});

afterAll(async () => {
  client?.disconnect();
  await redis?.stop();
});

const step = (n: number): StreamMessage => ({ type: 'step', metrics: { step: n, loss: 1 / n } }) as unknown as StreamMessage;

describe('stream writer', () => {
  it('appends each batch once even when it is sent again, in order, with the sent counts', async () => {
    const errors: Error[] = [];
    const writer = new StreamWriter(client, 'test:stream', 'test:sent', (e) => errors.push(e));
    writer.push(step(1));
    writer.push(step(2));
    await writer.flush();
    // the retry after a lost EXEC reply: the same batch (same sequence number) once more
    const append = (writer as unknown as { append(p: unknown, s: Map<string, number>, seq: number): Promise<void> }).append.bind(writer);
    await append(encodeBatch([step(1), step(2)]), new Map([['step', 2]]), 0);
    writer.push(step(3));
    await writer.flush();
    expect(errors).toEqual([]);
    const entries = (await client.xrangeBuffer('test:stream', '-', '+')) as unknown as [Buffer, Buffer[]][];
    const steps = entries.flatMap(([, fields]) => decodeEntry(fields).map((m) => (m as { metrics: { step: number } }).metrics.step));
    expect(steps).toEqual([1, 2, 3]);
    const sent = await client.hgetall('test:sent');
    expect(sent.step).toBe('3');
    expect(await client.pttl('test:sent')).toBeGreaterThan(0);
  });
});
