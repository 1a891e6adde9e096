/** Batchscope CLI processes for the distributed tests: workers and coordinators, each a real `node bin/batchscope.mjs`. */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');

export interface CliProcess {
  child: ChildProcess;
  /** stdout and stderr so far */
  output(): string;
  exited: Promise<number | null>;
}

/** A short lock so a killed worker's runs are noticed within seconds, not the default 30 s. */
export const TEST_ENV = { BATCHSCOPE_REDIS_LOCK_MS: '3000' };

export function startCli(args: string[], env: NodeJS.ProcessEnv = {}): CliProcess {
  const child = spawn(process.execPath, [join(root, 'bin', 'batchscope.mjs'), ...args], {
    cwd: root,
    env: { ...process.env, ...TEST_ENV, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

export function startWorker(url: string, name: string, concurrency = 1): CliProcess {
  return startCli(['worker', '--redis', url, '--name', name, '--concurrency', String(concurrency)]);
}

/** SIGKILL and wait for the exit (a no-op for a process already gone). */
export async function kill(process: CliProcess): Promise<void> {
  if (process.child.exitCode !== null || process.child.signalCode !== null) return;
  process.child.kill('SIGKILL');
  await process.exited;
}

export async function until(probe: () => Promise<boolean> | boolean, what: string, timeoutMs = 120_000): Promise<void> {
  const start = Date.now();
  while (!(await probe())) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
