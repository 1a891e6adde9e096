/**
 * A real redis-server for the distributed tests: its own free loopback port, a password, a temp
 * directory, AOF with appendfsync everysec (what docs/distributed.md asks of a production Redis).
 * `stop()` shuts it down (SIGTERM: Redis writes its AOF and exits), `start()` brings it back on
 * the same port and directory, with what it had persisted.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestRedis {
  url: string;
  port: number;
  password: string;
  dir: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export async function startRedis(): Promise<TestRedis> {
  const port = await freePort();
  const password = randomBytes(12).toString('hex');
  const dir = mkdtempSync(join(tmpdir(), 'batchscope-redis-'));
  let child: ChildProcess | null = null;
  const redis: TestRedis = {
    url: `redis://:${password}@127.0.0.1:${port}`,
    port,
    password,
    dir,
    async start() {
      const args = ['--port', String(port), '--bind', '127.0.0.1', '--requirepass', password, '--dir', dir,
        '--appendonly', 'yes', '--appendfsync', 'everysec', '--save', '', '--daemonize', 'no', '--logfile', ''];
      const started = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
      child = started;
      await new Promise<void>((resolve, reject) => {
        let out = '';
        const onData = (chunk: Buffer): void => {
          out += chunk.toString();
          if (out.includes('Ready to accept connections')) resolve();
        };
        started.stdout!.on('data', onData);
        started.stderr!.on('data', onData);
        started.once('error', (error) => reject(new Error(`cannot start redis-server (apt-get install redis-server): ${error.message}`)));
        started.once('exit', (code) => reject(new Error(`redis-server exited with code ${code} before it was ready:\n${out}`)));
      });
    },
    async stop() {
      const running = child;
      child = null;
      if (!running || running.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        running.once('exit', () => resolve());
        running.kill('SIGTERM');
      });
    },
  };
  await redis.start();
  return redis;
}
