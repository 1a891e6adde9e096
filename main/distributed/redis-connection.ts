/**
 * Connections to the Redis that carries remote runs, shared by the coordinator and the workers.
 *
 * The URL may hold credentials (`redis://user:password@host:6379/0`, `rediss://…` for TLS);
 * everything that reaches a log, an error or the database goes through redactRedisUrl first.
 * BATCHSCOPE_REDIS_CA names a PEM file of the CA that signed a TLS server's certificate, for
 * servers whose certificate is not signed by a CA Node already trusts.
 */
import { readFileSync } from 'node:fs';
import { Redis, type RedisOptions } from 'ioredis';

/** A Redis connection problem a user can fix: wrong password, no server, bad URL. */
export class RedisConfigError extends Error {
  override readonly name = 'RedisConfigError';
}

/** The URL with its password replaced by `***`, safe to log (an ACL user name is kept: it says which user was refused). */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(an unparsable Redis URL)';
  }
}

/** Removes anything that looks like the URL's credentials from a message (ioredis errors may quote them). */
export function redactSecrets(message: string, url: string): string {
  let out = message.split(url).join(redactRedisUrl(url));
  try {
    const { password } = new URL(url);
    if (password) out = out.split(decodeURIComponent(password)).join('***').split(password).join('***');
  } catch {
    // unparsable URL: nothing more to hide
  }
  return out;
}

export function checkRedisUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new RedisConfigError(`the Redis URL is not a URL; expected redis://[user:password@]host[:port][/db] or rediss://… for TLS`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new RedisConfigError(`the Redis URL ${redactRedisUrl(url)} must start with redis:// or rediss:// (TLS), not ${parsed.protocol}//`);
  }
}

function tlsOptions(url: string): RedisOptions {
  if (!url.startsWith('rediss:')) return {};
  const caFile = process.env.BATCHSCOPE_REDIS_CA;
  if (!caFile) return {};
  try {
    return { tls: { ca: readFileSync(caFile) } };
  } catch (error) {
    throw new RedisConfigError(`BATCHSCOPE_REDIS_CA=${caFile} cannot be read: ${(error as Error).message}`);
  }
}

export interface RedisLog {
  (line: string): void;
}

/**
 * A connection that retries forever (commands wait while Redis is away, BullMQ requires this of
 * its blocking connections) and says once when it loses Redis and once when it is back.
 */
export function openRedis(url: string, role: string, log: RedisLog): Redis {
  checkRedisUrl(url);
  const client = new Redis(url, {
    // RESP2: replies keep Redis's documented shapes (XREADGROUP: [[key, entries], …]) and
    // servers older than Redis 6 (no HELLO) work too
    protocol: 2,
    maxRetriesPerRequest: null,
    retryStrategy: (attempt) => Math.min(250 * attempt, 2000),
    ...tlsOptions(url),
  });
  let lost = false;
  client.on('error', (error: Error) => {
    if (lost) return;
    lost = true;
    log(`${role}: Redis at ${redactRedisUrl(url)} unreachable (${redactSecrets(error.message, url)}); reconnecting`);
  });
  client.on('ready', () => {
    if (!lost) return;
    lost = false;
    log(`${role}: reconnected to Redis at ${redactRedisUrl(url)}`);
  });
  return client;
}

/**
 * Connects once, without retrying, and says plainly what is wrong: run at start-up so a wrong
 * password or an unreachable server is an error, not an endless reconnect loop.
 */
export async function probeRedis(url: string): Promise<void> {
  checkRedisUrl(url);
  const client = new Redis(url, { protocol: 2, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 5000, ...tlsOptions(url) });
  // ioredis reports a refused AUTH on the 'error' event and rejects connect() with "Connection is closed"
  let reported: Error | undefined;
  client.on('error', (error: Error) => void (reported ??= error));
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    const message = redactSecrets((reported ?? (error as Error)).message, url);
    const where = redactRedisUrl(url);
    if (/WRONGPASS|invalid password|invalid username-password/i.test(message)) {
      throw new RedisConfigError(`Redis at ${where} refused the credentials: wrong password or user (${message})`);
    }
    if (/NOAUTH/i.test(message)) throw new RedisConfigError(`Redis at ${where} requires a password: give it in the URL, redis://:PASSWORD@host:port (${message})`);
    throw new RedisConfigError(`cannot connect to Redis at ${where}: ${message}`);
  } finally {
    client.disconnect();
  }
}
