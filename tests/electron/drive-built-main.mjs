// Runs out/main/index.js against the fake Electron and reports, as one JSON
// line on stdout, what main did: the window, the IPC answers, the guards.
import { register } from 'node:module';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';

register('./electron-resolve-hooks.mjs', import.meta.url);
const outDir = process.argv[2];
await import(pathToFileURL(join(outDir, 'main', 'index.js')).href);

const record = globalThis.fakeElectron;
for (let i = 0; i < 200 && record.windows.length === 0 && record.exitCode === null; i++) await new Promise((r) => setTimeout(r, 50));
const window = record.windows[0];
const call = record.handlers.get('batchscope:call');
const rendererUrl = pathToFileURL(join(outDir, 'renderer', 'index.html')).href;
// the window's top frame (a subframe has a parent and is refused)
const trusted = { senderFrame: { url: rendererUrl, parent: null } };

const report = { exitCode: record.exitCode, singleInstanceLock: record.singleInstanceLock, windowCount: record.windows.length };
if (window && call) {
  report.windowOptions = window.options;
  report.loaded = window.loaded;
  report.listDatasets = await call(trusted, 'listDatasets', {});
  report.invalidInput = await call(trusted, 'getRun', { id: 'seven' });
  report.unknownMethod = await call(trusted, 'dropTables', {});
  report.untrusted = await call({ senderFrame: { url: 'https://evil.example/', parent: null } }, 'listDatasets', {});
  const contents = window.webContents;
  let navigationPrevented = false;
  contents.emit('will-navigate', { preventDefault: () => (navigationPrevented = true) }, 'https://evil.example/');
  report.navigationPrevented = navigationPrevented;
  report.windowOpen = contents.windowOpenHandler?.({ url: 'https://example.org/paper.pdf' }) ?? null;
  let headers = null;
  record.headersListener?.({ responseHeaders: { 'content-type': ['text/html'] } }, (result) => (headers = result.responseHeaders));
  report.responseHeaders = headers;
  let permission = null;
  record.permissionHandler?.(contents, 'media', (granted) => (permission = granted));
  report.permissionGranted = permission;
  report.menuLabels = (record.menuTemplate ?? []).map((item) => item.label ?? item.role);
  report.windowBounds = { x: window.options.x, y: window.options.y, width: window.options.width, height: window.options.height, maximized: window.maximized };

  // spec files: one given at launch (argv, kept until the page has loaded), one from a second launch, one via macOS open-file
  const specDir = process.env.DRIVE_SPEC_DIR;
  if (specDir) {
    const specEvents = () => contents.sent.filter((m) => m.channel === 'batchscope:event' && m.payload.type === 'spec-file-opened').map((m) => m.payload);
    const waitForSpecEvents = async (count) => {
      for (let i = 0; i < 200 && specEvents().length < count; i++) await new Promise((r) => setTimeout(r, 25));
    };
    report.specEventsBeforeLoad = specEvents().length;
    contents.finishLoad();
    await waitForSpecEvents(1);
    for (const listener of record.appListeners.get('second-instance') ?? []) listener({}, ['/usr/lib/electron', '.', '--enable-features=Foo', 'second.batchscope.json'], specDir);
    await waitForSpecEvents(2);
    let openFilePrevented = false;
    for (const listener of record.appListeners.get('open-file') ?? []) listener({ preventDefault: () => (openFilePrevented = true) }, join(specDir, 'broken.json'));
    await waitForSpecEvents(3);
    report.openFilePrevented = openFilePrevented;
    report.specEvents = specEvents();
  }

  // a real (tiny) run: the bundled runner forks out/main/training-worker.js, events reach the window
  const presets = await call(trusted, 'listPresets', {});
  report.presetCount = presets.ok ? presets.value.length : presets;
  const spec = {
    name: 'built-app smoke',
    dataset: { kind: 'blobs', samples: 300, classes: 3 },
    model: { kind: 'mlp', hidden: [8] },
    batch: { size: 32 },
    training: { steps: 5 },
  };
  const created = await call(trusted, 'createExperiment', { spec });
  report.created = created.ok ? { runs: created.value.runs.length } : created;
  if (created.ok) {
    const runId = created.value.runs[0].id;
    const terminal = ['completed', 'failed', 'diverged', 'cancelled', 'interrupted'];
    const runEvents = () => window.webContents.sent.filter((m) => m.channel === 'batchscope:event' && m.payload.type === 'run-updated' && m.payload.run.id === runId);
    for (let i = 0; i < 1200 && !runEvents().some((m) => terminal.includes(m.payload.run.status)); i++) await new Promise((r) => setTimeout(r, 50));
    const run = await call(trusted, 'getRun', { id: runId });
    report.run = run.ok ? { status: run.value.status, error: run.value.error } : run;
    report.runEventStatuses = [...new Set(runEvents().map((m) => m.payload.run.status))];
    report.utilityForks = record.utilityForks;
  }
  // a forced WebGPU run goes to a hidden GPU window (docs/webgpu.md); the driver plays its preload and page
  const gpuCreated = await call(trusted, 'createExperiment', { spec: { ...spec, name: 'gpu window', backend: 'webgpu' } });
  if (gpuCreated.ok) {
    const runId = gpuCreated.value.runs[0].id;
    for (let i = 0; i < 200 && record.windows.length < 2; i++) await new Promise((r) => setTimeout(r, 25));
    const gpuWindow = record.windows[1];
    if (gpuWindow) {
      const partition = gpuWindow.options.webPreferences.partition;
      const guards = record.partitions[partition] ?? {};
      let gpuHeaders = null;
      guards.headersListener?.({ responseHeaders: {} }, (result) => (gpuHeaders = result.responseHeaders));
      let gpuPermission = null;
      guards.permissionHandler?.(gpuWindow.webContents, 'media', (granted) => (gpuPermission = granted));
      report.gpuWindow = { options: gpuWindow.options, loaded: gpuWindow.loaded, csp: gpuHeaders?.['Content-Security-Policy']?.[0] ?? null, permissionGranted: gpuPermission };
      // the page is up: main hands the preload its port; the page says ready and gets the run
      gpuWindow.webContents.emit('dom-ready');
      const sent = gpuWindow.webContents.posted[0];
      report.gpuWindow.portChannel = sent?.channel ?? null;
      const port = sent?.ports[0];
      if (port) {
        const received = [];
        port.on('message', (event) => received.push(event.data));
        port.postMessage({ type: 'ready', pid: 0 });
        for (let i = 0; i < 400 && received.length === 0; i++) await new Promise((r) => setTimeout(r, 25));
        const start = received[0];
        report.gpuWindow.start = start ? { type: start.type, backend: start.run?.backend, trainSamples: start.run?.train.count, x: start.run?.train.x.constructor.name, totalSteps: start.run?.plan.totalSteps } : null;
        // then its renderer dies mid-run
        gpuWindow.webContents.emit('render-process-gone', {}, { reason: 'crashed', exitCode: 139 });
        for (let i = 0; i < 400; i++) {
          const run = await call(trusted, 'getRun', { id: runId });
          if (run.ok && run.value.status !== 'running' && run.value.status !== 'queued') {
            report.gpuWindow.run = { status: run.value.status, error: run.value.error };
            break;
          }
          await new Promise((r) => setTimeout(r, 25));
        }
        report.gpuWindow.destroyed = gpuWindow.isDestroyed();
      }
    }
  }
  report.utilityForkCount = record.utilityForks.length;

  // closing the window keeps its size and place for the next launch
  window.bounds = { x: 40, y: 30, width: 1300, height: 850 };
  window.emit('close', { preventDefault() {} });

  // quitting closes the API (and its store) before the process goes
  let quitPrevented = false;
  for (const listener of record.appListeners.get('before-quit') ?? []) listener({ preventDefault: () => (quitPrevented = true) });
  for (let i = 0; i < 200 && record.quit === 0; i++) await new Promise((r) => setTimeout(r, 25));
  report.quit = { prevented: quitPrevented, quitCalls: record.quit };
}
process.stdout.write(`${JSON.stringify(report)}\n`);
process.exit(0);
