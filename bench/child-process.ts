/**
 * Each implementation runs in a process of its own (so stock tfjs never sees
 * Batchscope's kernel registrations, and one run's memory high-water mark is its
 * own). A child prints exactly one result line, `BENCH_RESULT <json>`; anything
 * else it prints is passed through as its log.
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MARKER = 'BENCH_RESULT ';
export const repoRoot = dirname(dirname(fileURLToPath(import.meta.url)));

/** Child side: hands the result to the parent. */
export function emitResult(result: unknown): void {
  process.stdout.write(`${MARKER}${JSON.stringify(result)}\n`);
}

export class ChildFailed extends Error {
  constructor(
    readonly command: string,
    readonly code: number | null,
    readonly stderrTail: string,
  ) {
    super(`${command} exited with ${code}${stderrTail ? `:\n${stderrTail}` : ''}`);
    this.name = 'ChildFailed';
  }
}

export interface ChildOptions {
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  /** called with the child's pid once it has started */
  onStart?: (pid: number) => void;
}

/** Runs a command to completion and returns its parsed result line. */
export function runChild<T>(command: string, args: string[], options: ChildOptions = {}): Promise<T> {
  const shown = [command, ...args].join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: repoRoot, env: { ...process.env, BATCHSCOPE_QUIET: '1', ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    if (child.pid !== undefined) options.onStart?.(child.pid);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    const timer = options.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), options.timeoutMs) : null;
    child.on('error', (error) => reject(error));
    child.on('close', (code) => {
      if (timer) clearTimeout(timer);
      const line = stdout.split('\n').find((l) => l.startsWith(MARKER));
      if (code !== 0 || !line) return reject(new ChildFailed(shown, code, stderr.trim() || stdout.trim().slice(-2000)));
      resolve(JSON.parse(line.slice(MARKER.length)) as T);
    });
  });
}

/** Runs one of the bench/*.ts children under Node through tsx. */
export function runTsChild<T>(file: string, args: string[], options: ChildOptions = {}): Promise<T> {
  return runChild<T>(process.execPath, [join(repoRoot, 'bin/run-ts.mjs'), join(repoRoot, 'bench', file), ...args], options);
}
