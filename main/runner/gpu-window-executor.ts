/**
 * Runs a training run in a GPU window (docs/webgpu.md): a hidden, sandboxed Chromium page
 * that trains on the browser's own WebGPU and speaks the worker protocol. Inside Electron
 * the forked worker cannot rely on dawn.node, so WebGPU runs come here.
 *
 * The window reads no files: main loads the dataset, resolves the spec into a WindowRun
 * and posts it once the window says `ready`. Everything the window posts back is checked
 * against the protocol's schema before the runner sees it (a renderer is not trusted).
 * The window going away before it reported an outcome is a crash, as a dying worker
 * process is.
 */
import { parseRunSpec, type RunSpec } from '../../common/spec';
import { parseWorkerMessage } from '../../common/worker-message-schema';
import type { WorkerMessage } from '../../common/worker-protocol';
import type { Dataset } from '../engine/data/dataset';
import { loadDataset } from '../engine/data/load-dataset';
import { windowRunFor, type HostMessage } from '../gpu-window/window-run';
import type { Execution, ExecutionExit, RunExecutor } from './executor';

/** How the window went away: closed on purpose, or its renderer process died. */
export interface WindowGone {
  /** 'closed' when destroyed or closed; else Chromium's render-process-gone reason ('crashed', 'oom', 'killed', …) */
  reason: string;
  exitCode: number | null;
}

/** One GPU window, as the executor needs it; Electron (main/electron/gpu-window-host.ts) and the tests' Chromium implement it. */
export interface GpuWindowHost {
  /** the window's renderer process id, once known */
  readonly pid: number | null;
  /** posts to the window; `transfer` lists buffers the channel may move instead of copying */
  post(message: HostMessage, transfer: ArrayBuffer[]): void;
  /** every message the window posts (unchecked: the executor validates) */
  onMessage(listener: (message: unknown) => void): void;
  /** once, when the window is gone */
  onGone(listener: (gone: WindowGone) => void): void;
  /** lines the window logged as errors or warnings, for crash reports */
  logTail(): string;
  destroy(): void;
}

export interface GpuWindowExecutorOptions {
  openWindow: () => GpuWindowHost;
  /** where datasets come from; loadDataset unless a test narrows it */
  loadData?: (spec: RunSpec) => Promise<Dataset>;
}

const failedMessage = (error: unknown): WorkerMessage => {
  const e = error instanceof Error ? error : new Error(String(error));
  return { type: 'failed', error: { name: e.name, message: e.message, ...(e.stack ? { stack: e.stack } : {}) } };
};

export function createGpuWindowExecutor(options: GpuWindowExecutorOptions): RunExecutor {
  const loadData = options.loadData ?? ((spec: RunSpec) => loadDataset(spec.dataset, spec.training.seed));
  return {
    start(input: RunSpec, onMessage: (message: WorkerMessage) => void): Execution {
      const host = options.openWindow();
      let outcome = false;
      let rejected = '';
      const finish = (message: WorkerMessage): void => {
        if (outcome) return;
        outcome = true;
        onMessage(message);
        host.destroy();
      };
      // the dataset loads while the window starts; a load failure is the run's failure, as in a worker
      const prepared = Promise.resolve()
        .then(() => parseRunSpec(input))
        .then(async (spec) => windowRunFor(spec, await loadData(spec)));
      prepared.catch((error: unknown) => finish(failedMessage(error)));

      host.onMessage((raw) => {
        if (outcome) return;
        const parsed = parseWorkerMessage(raw);
        if (!parsed.ok || parsed.message.type === 'assigned') {
          // a renderer that breaks the protocol is not trusted further
          rejected = `the GPU window sent a malformed message (${parsed.ok ? 'assigned: not a window message' : parsed.error})`;
          host.destroy();
          return;
        }
        const message = parsed.message;
        if (message.type === 'ready') {
          onMessage({ type: 'ready', pid: host.pid ?? 0 });
          void prepared.then(
            ({ run, omitted, transfer }) => {
              if (outcome) return;
              host.post({ type: 'start', run }, transfer);
              onMessage({ type: 'event', event: { step: 0, kind: 'note', detail: { host: 'gpu-window', omitted } } });
            },
            () => undefined,
          );
        } else if (message.type === 'finished' || message.type === 'failed') finish(message);
        else onMessage(message);
      });

      const exited = new Promise<ExecutionExit>((resolve) => {
        host.onGone((gone) => {
          const log = host.logTail();
          if (outcome) resolve({ code: 0, signal: null, stderrTail: log });
          else {
            const why = rejected || `the GPU window's renderer is gone (${gone.reason}${gone.exitCode !== null ? `, exit code ${gone.exitCode}` : ''})`;
            resolve({ code: gone.exitCode ?? 1, signal: null, stderrTail: `${log}\n${why}`.trim() });
          }
        });
      });
      return {
        pid: host.pid,
        cancel: () => {
          if (!outcome) host.post({ type: 'cancel' }, []);
        },
        kill: () => host.destroy(),
        exited,
      };
    },
  };
}
