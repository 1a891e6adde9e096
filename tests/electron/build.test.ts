/**
 * The Electron app as built: the security settings come from out/, not from
 * the sources, and the built main runs (against a fake 'electron' module,
 * since the Electron binary is not available here) far enough to open its
 * window and answer IPC through the real API.
 */
import Database from 'better-sqlite3';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import vm from 'node:vm';
import { beforeAll, describe, expect, it } from 'vitest';
import { apiMethods } from '../../common/api-contract';
import { ensureBuilt, outDir } from '../e2e/ensure-built';

function withoutDbOverride(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { BATCHSCOPE_DB: _ignored, ...rest } = env;
  return rest;
}

beforeAll(async () => {
  await ensureBuilt();
}, 300_000);

describe('built main bundle', () => {
  it('opens windows with context isolation, sandbox, no Node integration, web security on', async () => {
    const { secureWebPreferences, windowOptions } = await import(pathToFileURL(join(outDir, 'main', 'window-options.js')).href);
    expect(secureWebPreferences).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true, webviewTag: false });
    expect(Object.isFrozen(secureWebPreferences)).toBe(true);
    const options = windowOptions('/app/preload.cjs');
    expect(options.webPreferences).toEqual({ ...secureWebPreferences, preload: '/app/preload.cjs' });
  });

  it('takes its window options from that module and never weakens them', () => {
    const main = readFileSync(join(outDir, 'main', 'index.js'), 'utf8');
    expect(main).toMatch(/import \{[^}]*windowOptions[^}]*\} from "\.\/window-options\.js"/);
    expect(main).not.toMatch(/(contextIsolation|sandbox|webSecurity):\s*false/);
    expect(main).not.toMatch(/nodeIntegration\w*:\s*true/);
    expect(main).not.toContain('// node_modules/better-sqlite3');
  });

  it('keeps the training worker beside main, with tfjs external', () => {
    const worker = readFileSync(join(outDir, 'main', 'training-worker.js'), 'utf8');
    expect(worker).toContain('@tensorflow/tfjs-core');
    expect(worker).not.toContain('// node_modules/@tensorflow');
  });
});

describe('built preload', () => {
  it('requires only electron and exposes exactly the API methods plus subscribe', async () => {
    const code = readFileSync(join(outDir, 'preload', 'index.cjs'), 'utf8');
    const exposed: Record<string, Record<string, (...args: unknown[]) => unknown>> = {};
    const invoked: unknown[][] = [];
    const listeners = new Map<string, ((...args: unknown[]) => void)[]>();
    const electron = {
      contextBridge: { exposeInMainWorld: (key: string, value: Record<string, (...args: unknown[]) => unknown>) => void (exposed[key] = value) },
      ipcRenderer: {
        invoke: async (...args: unknown[]) => (invoked.push(args), { ok: true, value: 'reply' }),
        on: (channel: string, listener: (...args: unknown[]) => void) => void listeners.set(channel, [...(listeners.get(channel) ?? []), listener]),
        removeListener: (channel: string, listener: (...args: unknown[]) => void) =>
          void listeners.set(channel, (listeners.get(channel) ?? []).filter((l) => l !== listener)),
      },
    };
    // a sandboxed preload gets a require that knows only a few modules
    const required: string[] = [];
    const sandboxRequire = (name: string) => {
      required.push(name);
      if (name === 'electron') return electron;
      throw new Error(`a sandboxed preload cannot require ${name}`);
    };
    vm.runInNewContext(code, { require: sandboxRequire, module: { exports: {} }, exports: {}, console });
    expect(required).toEqual(['electron']);
    expect(Object.keys(exposed)).toEqual(['batchscope']);
    const bridge = exposed['batchscope']!;
    expect(Object.keys(bridge).sort()).toEqual([...apiMethods, 'subscribe'].sort());
    expect(await bridge['getRun']!({ id: 3 })).toEqual({ ok: true, value: 'reply' });
    expect(invoked).toEqual([['batchscope:call', 'getRun', { id: 3 }]]);
    const seen: unknown[] = [];
    const unsubscribe = bridge['subscribe']!((event: unknown) => seen.push(event)) as () => void;
    for (const listener of listeners.get('batchscope:event') ?? []) listener({ sender: 'ipc event' }, { type: 'run-metrics', runId: 1, step: 5 });
    expect(seen).toEqual([{ type: 'run-metrics', runId: 1, step: 5 }]);
    unsubscribe();
    expect(listeners.get('batchscope:event')).toEqual([]);
  });
});

describe('built GPU window preload', () => {
  it('requires only electron, exposes nothing, and bridges the port main sends to window messages', () => {
    const code = readFileSync(join(outDir, 'preload', 'gpu-window.cjs'), 'utf8');
    const once = new Map<string, (event: unknown) => void>();
    let exposed = 0;
    const electron = {
      contextBridge: { exposeInMainWorld: () => void (exposed += 1) },
      ipcRenderer: { once: (channel: string, listener: (event: unknown) => void) => void once.set(channel, listener) },
    };
    const required: string[] = [];
    const sandboxRequire = (name: string) => {
      required.push(name);
      if (name === 'electron') return electron;
      throw new Error(`a sandboxed preload cannot require ${name}`);
    };
    const pageListeners: ((event: { source: unknown; data: unknown }) => void)[] = [];
    const postedToPage: { message: unknown; origin: string; transfer: unknown[] }[] = [];
    const context: Record<string, unknown> = { require: sandboxRequire, module: { exports: {} }, exports: {}, console, ArrayBuffer };
    context['addEventListener'] = (_type: string, listener: (event: { source: unknown; data: unknown }) => void) => void pageListeners.push(listener);
    context['postMessage'] = (message: unknown, origin: string, transfer: unknown[] = []) => void postedToPage.push({ message, origin, transfer });
    const sandbox = vm.createContext(context);
    vm.runInContext(code, sandbox);
    expect(required).toEqual(['electron']);
    expect(exposed).toBe(0);
    expect([...once.keys()]).toEqual(['batchscope:gpu-window-port']);
    // the page says ready before the port arrives: kept; untagged or foreign messages are not forwarded
    const pageWindow: unknown = vm.runInContext('globalThis', sandbox);
    const fromPage = (data: unknown, source: unknown = pageWindow) => pageListeners.forEach((listener) => listener({ source, data }));
    fromPage({ batchscope: 'gpu-window', message: { type: 'ready', pid: 0 } });
    fromPage({ type: 'start' });
    fromPage({ batchscope: 'gpu-window', message: { type: 'step' } }, { other: 'frame' });
    const toMain: unknown[] = [];
    const port = { onmessage: null as ((event: { data: unknown }) => void) | null, postMessage: (m: unknown) => void toMain.push(m), start: () => undefined };
    once.get('batchscope:gpu-window-port')!({ ports: [port] });
    expect(toMain).toEqual([{ type: 'ready', pid: 0 }]);
    const x = new Float32Array(4);
    port.onmessage!({ data: { type: 'start', run: { train: { x, y: new Int32Array(2) }, test: { x, y: new Int32Array(1) } } } });
    expect(postedToPage).toHaveLength(1);
    expect(postedToPage[0]!.origin).toBe('/');
    // the start message's buffers move into the page, each once
    expect(postedToPage[0]!.transfer).toHaveLength(3);
  });
});

describe('built main under a fake electron module', () => {
  it('opens one hardened window, answers IPC through the real API and trains with the bundled worker', async () => {
    const userData = mkdtempSync(join(tmpdir(), 'batchscope-electron-'));
    // the data folder defaultDbPath() resolves to (XDG on Linux, APPDATA on Windows), kept inside the temp folder
    const dataHome = join(userData, 'data-home');
    // last session's window: maximized, on the second of two screens
    writeFileSync(join(userData, 'window-state.json'), JSON.stringify({ x: 2000, y: 50, width: 1200, height: 800, maximized: true }));
    const displays = [{ workArea: { x: 0, y: 0, width: 1920, height: 1080 } }, { workArea: { x: 1920, y: 0, width: 1280, height: 1024 } }];
    const specDir = join(userData, 'specs');
    mkdirSync(specDir);
    const spec = (name: string) => ({ name, dataset: { kind: 'blobs', samples: 300, classes: 3 }, model: { kind: 'mlp', hidden: [8] }, batch: { size: 32 }, training: { steps: 5 } });
    writeFileSync(join(specDir, 'launch.batchscope.json'), JSON.stringify(spec('from the command line')));
    writeFileSync(join(specDir, 'second.batchscope.json'), JSON.stringify(spec('from a second launch')));
    writeFileSync(join(specDir, 'broken.json'), '{ "name": ');
    try {
      const { stdout } = await promisify(execFile)(process.execPath, [join(import.meta.dirname, 'drive-built-main.mjs'), outDir, join(specDir, 'launch.batchscope.json')], {
        env: {
          ...withoutDbOverride(process.env),
          FAKE_ELECTRON_USER_DATA: userData,
          FAKE_ELECTRON_DISPLAYS: JSON.stringify(displays),
          DRIVE_SPEC_DIR: specDir,
          XDG_DATA_HOME: dataHome,
          APPDATA: dataHome,
        },
        timeout: 90_000,
      });
      const report = JSON.parse(stdout.trim().split('\n').pop()!);
      expect(report.exitCode).toBeNull();
      expect(report.singleInstanceLock).toBe(true);
      expect(report.windowCount).toBe(1);
      expect(report.windowOptions.webPreferences).toMatchObject({
        contextIsolation: true,
        sandbox: true,
        nodeIntegration: false,
        webSecurity: true,
        preload: join(outDir, 'preload', 'index.cjs'),
      });
      expect(report.loaded).toEqual({ file: join(outDir, 'renderer', 'index.html') });
      expect(report.listDatasets).toMatchObject({ ok: true });
      expect(Array.isArray(report.listDatasets.value)).toBe(true);
      expect(report.invalidInput).toMatchObject({ ok: false, error: { name: 'ValidationError', issues: [{ path: 'id' }] } });
      expect(report.unknownMethod).toMatchObject({ ok: false, error: { name: 'UnknownMethod' } });
      expect(report.untrusted).toMatchObject({ ok: false, error: { name: 'Forbidden' } });
      expect(report.navigationPrevented).toBe(true);
      expect(report.windowOpen).toEqual({ action: 'deny' });
      expect(report.responseHeaders['Content-Security-Policy'][0]).toContain("script-src 'self'");
      expect(report.permissionGranted).toBe(false);
      expect(report.menuLabels).toEqual(expect.arrayContaining(['File', 'View']));
      expect(report.windowBounds).toEqual({ x: 2000, y: 50, width: 1200, height: 800, maximized: true });
      expect(JSON.parse(readFileSync(join(userData, 'window-state.json'), 'utf8'))).toEqual({ x: 40, y: 30, width: 1300, height: 850, maximized: true });
      // the launch file waits for the page; all three reach the designer as events, the broken one with its reason
      expect(report.specEventsBeforeLoad).toBe(0);
      expect(report.openFilePrevented).toBe(true);
      expect(report.specEvents).toEqual([
        { type: 'spec-file-opened', fileName: 'launch.batchscope.json', json: spec('from the command line') },
        { type: 'spec-file-opened', fileName: 'second.batchscope.json', json: spec('from a second launch') },
        { type: 'spec-file-opened', fileName: 'broken.json', error: expect.stringMatching(/broken\.json is not JSON: /) },
      ]);
      expect(report.presetCount).toBeGreaterThan(0);
      expect(report.created).toEqual({ runs: 1 });
      expect(report.run).toEqual({ status: 'completed', error: null });
      expect(report.runEventStatuses).toContain('completed');
      // in a utility process (the RunAsNode fuse is off in packaged builds), from the bundled worker file
      expect(report.utilityForks).toEqual([{ modulePath: join(outDir, 'main', 'training-worker.js'), serviceName: 'Batchscope training', stdio: ['ignore', 'inherit', 'pipe'] }]);
      // a forced WebGPU run: a hidden, sandboxed window on the built GPU page, its own hardened session, the dataset in the start message
      expect(report.gpuWindow.options.show).toBe(false);
      expect(report.gpuWindow.options.webPreferences).toMatchObject({
        contextIsolation: true,
        sandbox: true,
        nodeIntegration: false,
        webSecurity: true,
        backgroundThrottling: false,
        preload: join(outDir, 'preload', 'gpu-window.cjs'),
      });
      expect(report.gpuWindow.options.webPreferences.partition).not.toMatch(/^persist:/);
      expect(report.gpuWindow.loaded).toEqual({ file: join(outDir, 'renderer', 'gpu-window.html') });
      expect(report.gpuWindow.csp).toBe("default-src 'none'; script-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
      expect(report.gpuWindow.permissionGranted).toBe(false);
      expect(report.gpuWindow.portChannel).toBe('batchscope:gpu-window-port');
      expect(report.gpuWindow.start).toEqual({ type: 'start', backend: 'webgpu', trainSamples: 240, x: 'Float32Array', totalSteps: 5 });
      expect(report.gpuWindow.run.status).toBe('failed');
      expect(report.gpuWindow.run.error).toMatch(/^WorkerCrashed: the training process exited with code 139\n[\s\S]*the GPU window's renderer is gone \(crashed, exit code 139\)/);
      expect(report.gpuWindow.destroyed).toBe(true);
      // and no worker process for it
      expect(report.utilityForkCount).toBe(1);
      expect(report.quit).toEqual({ prevented: true, quitCalls: 1 });
      // the database browser mode and the CLI open too, not one of Electron's own
      if (process.platform === 'linux') {
        const dbFile = join(dataHome, 'batchscope', 'batchscope.db');
        expect(existsSync(dbFile)).toBe(true);
        // the utility process's pid is known only once it is up: recorded from the worker's 'ready'
        const db = new Database(dbFile, { readonly: true });
        // (the GPU window's run: its renderer's pid)
        expect(db.prepare('SELECT worker_pid FROM runs ORDER BY id').all()).toEqual([{ worker_pid: expect.any(Number) }, { worker_pid: 4242 }]);
        db.close();
      }
      expect(existsSync(join(userData, 'batchscope.db'))).toBe(false);
    } finally {
      rmSync(userData, { recursive: true, force: true });
    }
  });
});
