/**
 * The training worker process on WebGPU, as the CLI and browser mode start it
 * (forkWorker): it exits by itself once its run is done (Dawn's device must not keep
 * the process alive), and a machine without the optional `webgpu` package gets a
 * named error when WebGPU is forced and a logged fallback when it is not.
 */
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { WorkerMessage } from '../../../common/worker-protocol';
import { forkWorker, type WorkerHandle } from '../../../main/worker/fork-worker';
import { describeWebgpu, webgpuAvailability } from './webgpu-suite';

type Exit = Awaited<WorkerHandle['exited']>;
type Finished = Extract<WorkerMessage, { type: 'finished' }>;
type Failed = Extract<WorkerMessage, { type: 'failed' }>;
type Started = Extract<WorkerMessage, { type: 'started' }>;

const tinyMlp = {
  dataset: { kind: 'blobs', samples: 256, classes: 3, features: 8, spread: 0.8 },
  model: { kind: 'mlp', hidden: [8] },
  batch: { size: 32 },
  training: { steps: 4 },
  diagnostics: { curvatureEvery: 0 },
} as const;

// far beyond what a finished worker needs to flush its last message and leave
const exitLimitMs = 30_000;

const live: WorkerHandle[] = [];
afterEach(() => {
  // a worker that outlived its test is killed rather than left running
  for (const handle of live.splice(0)) if (handle.child.exitCode === null && handle.child.signalCode === null) handle.kill();
});

/** Forks the worker on `spec`; `outcome` resolves with its finished or failed message. */
function startWorker(spec: object, env: NodeJS.ProcessEnv = {}): { messages: WorkerMessage[]; outcome: Promise<Finished | Failed>; handle: WorkerHandle } {
  const messages: WorkerMessage[] = [];
  let settle: (message: Finished | Failed) => void = () => undefined;
  const outcome = new Promise<Finished | Failed>((resolve) => (settle = resolve));
  const handle = forkWorker(spec as never, (message) => {
    messages.push(message);
    if (message.type === 'finished' || message.type === 'failed') settle(message);
  }, env);
  live.push(handle);
  return { messages, outcome, handle };
}

/** The worker's exit once it has said it is done, or, if it lingers past `limitMs`, kills it and says so. */
async function exitAfterOutcome(handle: WorkerHandle, limitMs: number): Promise<Exit> {
  let timer: NodeJS.Timeout | undefined;
  const lingered = new Promise<'lingered'>((resolve) => (timer = setTimeout(() => resolve('lingered'), limitMs)));
  const exit = await Promise.race([handle.exited, lingered]).finally(() => clearTimeout(timer));
  if (exit === 'lingered') {
    handle.kill();
    throw new Error(`the worker was still running ${limitMs / 1000} s after its run ended (killed); stderr: ${handle.stderrTail()}`);
  }
  return exit;
}

/** A preload from fixtures/ for the child, as a Node flag for NODE_OPTIONS. */
function preload(fixture: string): string {
  return `--import=${JSON.stringify(fileURLToPath(new URL(`./fixtures/${fixture}`, import.meta.url)))}`;
}
const withoutWebgpuPackage = preload('without-webgpu-package.mjs');
const pretendGpuDeviceNode = preload('pretend-gpu-device-node.mjs');
const packageMissing = /the 'webgpu' package \(Dawn for Node\) could not be loaded: Cannot find package 'webgpu'/;

const availability = await webgpuAvailability();

describeWebgpu('the training worker on WebGPU', availability, () => {
  it('trains a tiny MLP, reports finished and exits by itself with code 0', async () => {
    const { messages, outcome, handle } = startWorker({ ...tinyMlp, backend: 'webgpu' });
    const done = await outcome;
    expect(done, JSON.stringify(done)).toMatchObject({ type: 'finished', summary: { status: 'completed', steps: 4 } });
    const started = messages.find((m): m is Started => m.type === 'started');
    expect(started?.info.backend.name).toBe('webgpu');
    expect(messages.filter((m) => m.type === 'step')).toHaveLength(4);
    // the worker never calls process.exit: it disconnects and the event loop must drain
    expect(await exitAfterOutcome(handle, exitLimitMs)).toEqual({ code: 0, signal: null });
  }, 300_000);
});

describe('without the webgpu package', () => {
  it('forced WebGPU: the run fails naming the missing package, and the worker still exits', async () => {
    const { outcome, handle } = startWorker({ ...tinyMlp, backend: 'webgpu' }, { NODE_OPTIONS: withoutWebgpuPackage });
    const done = await outcome;
    expect(done.type, JSON.stringify(done)).toBe('failed');
    expect((done as Failed).error.message).toMatch(/^backend 'webgpu' could not be loaded: webgpu: /);
    expect((done as Failed).error.message).toMatch(packageMissing);
    expect(await exitAfterOutcome(handle, exitLimitMs)).toEqual({ code: 0, signal: null });
  }, 300_000);

  it('automatic chain: WebGPU is skipped with the reason logged, and the run trains on the next backend', async () => {
    // with a GPU device node the chain asks for the package (without one it never gets that far)
    const { messages, outcome, handle } = startWorker(tinyMlp, {
      NODE_OPTIONS: `${withoutWebgpuPackage} ${pretendGpuDeviceNode}`,
      BATCHSCOPE_BACKEND: '',
      BATCHSCOPE_QUIET: '0',
    });
    const done = await outcome;
    expect(done, JSON.stringify(done)).toMatchObject({ type: 'finished', summary: { status: 'completed', steps: 4 } });
    const backend = messages.find((m): m is Started => m.type === 'started')!.info.backend;
    expect(backend.name).not.toBe('webgpu');
    expect(backend.fallbacks.find((f) => f.name === 'webgpu')?.error).toMatch(packageMissing);
    expect(await exitAfterOutcome(handle, exitLimitMs)).toEqual({ code: 0, signal: null });
    expect(handle.stderrTail()).toMatch(/\[batchscope\] backend webgpu unavailable, falling back: the 'webgpu' package \(Dawn for Node\) could not be loaded/);
  }, 300_000);
});
