// A stand-in for the 'electron' module, so the BUILT main bundle can run under
// plain Node (the Electron binary is not available to the tests). It records
// what main asks of Electron on globalThis.fakeElectron.
import { fork } from 'node:child_process';
import { EventEmitter } from 'node:events';

const record = {
  windows: [],
  handlers: new Map(),
  appListeners: new Map(),
  headersListener: null,
  permissionHandler: null,
  menuTemplate: null,
  singleInstanceLock: false,
  quit: 0,
  exitCode: null,
  utilityForks: [],
  /** sessions main asked for by partition, each recording its own guards */
  partitions: {},
};
globalThis.fakeElectron = record;

const userData = process.env.FAKE_ELECTRON_USER_DATA ?? '/tmp/batchscope-fake-electron';

class FakeApp extends EventEmitter {
  isPackaged = false;
  whenReady() {
    return Promise.resolve();
  }
  requestSingleInstanceLock() {
    record.singleInstanceLock = true;
    return true;
  }
  getPath(name) {
    return name === 'userData' ? userData : `${userData}/${name}`;
  }
  quit() {
    record.quit += 1;
  }
  exit(code) {
    record.exitCode = code;
  }
  on(name, listener) {
    record.appListeners.set(name, [...(record.appListeners.get(name) ?? []), listener]);
    return super.on(name, listener);
  }
}
export const app = new FakeApp();

class FakeWebContents extends EventEmitter {
  sent = [];
  loading = true;
  isLoading() {
    return this.loading;
  }
  /** what Electron does once the page has loaded */
  finishLoad() {
    this.loading = false;
    this.emit('did-finish-load');
  }
  windowOpenHandler = null;
  send(channel, payload) {
    this.sent.push({ channel, payload });
  }
  /** webContents.postMessage: what main sent with which ports */
  posted = [];
  postMessage(channel, message, ports = []) {
    this.posted.push({ channel, message, ports });
  }
  getOSProcessId() {
    return 4242;
  }
  setWindowOpenHandler(handler) {
    this.windowOpenHandler = handler;
  }
}

export class BrowserWindow extends EventEmitter {
  static all = [];
  static getAllWindows() {
    return BrowserWindow.all;
  }
  constructor(options) {
    super();
    this.options = options;
    this.webContents = new FakeWebContents();
    this.loaded = null;
    BrowserWindow.all.push(this);
    record.windows.push(this);
    app.emit('web-contents-created', {}, this.webContents);
  }
  loadFile(file) {
    this.loaded = { file };
    return Promise.resolve();
  }
  loadURL(url) {
    this.loaded = { url };
    return Promise.resolve();
  }
  destroyed = false;
  isDestroyed() {
    return this.destroyed;
  }
  destroy() {
    if (this.destroyed) return;
    this.destroyed = true;
    this.emit('closed');
  }
  isMinimized() {
    return false;
  }
  maximized = false;
  maximize() {
    this.maximized = true;
  }
  isMaximized() {
    return this.maximized;
  }
  /** as if the user had moved and resized the window */
  bounds = null;
  getNormalBounds() {
    const { x = 0, y = 0, width, height } = this.options;
    return this.bounds ?? { x, y, width, height };
  }
  show() {}
  focus() {}
  restore() {}
}

/** utilityProcess.fork as a Node fork whose child sees a process.parentPort (fake-parent-port.mjs) */
class FakeUtilityProcess extends EventEmitter {
  pid = undefined;
  constructor(modulePath, args = [], options = {}) {
    super();
    record.utilityForks.push({ modulePath, serviceName: options.serviceName, stdio: options.stdio });
    this.child = fork(modulePath, args, {
      env: options.env,
      execArgv: ['--import', new URL('./fake-parent-port.mjs', import.meta.url).href],
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
      serialization: 'advanced',
    });
    this.stderr = this.child.stderr;
    this.child.on('spawn', () => {
      this.pid = this.child.pid;
      this.emit('spawn');
    });
    this.child.on('message', (message) => this.emit('message', message));
    this.child.on('exit', (code) => this.emit('exit', code ?? 1));
  }
  postMessage(message) {
    if (this.child.connected) this.child.send(message);
  }
  kill() {
    return this.child.kill();
  }
}
export const utilityProcess = { fork: (modulePath, args, options) => new FakeUtilityProcess(modulePath, args, options) };

export const screen = {
  getAllDisplays() {
    return JSON.parse(process.env.FAKE_ELECTRON_DISPLAYS ?? '[{"workArea":{"x":0,"y":0,"width":1920,"height":1080}}]');
  },
};

export const ipcMain = {
  handle(channel, handler) {
    record.handlers.set(channel, handler);
  },
  removeHandler(channel) {
    record.handlers.delete(channel);
  },
};

/** MessagePortMain: what one end posts arrives on the other as a 'message' event (no cloning here) */
class FakeMessagePortMain extends EventEmitter {
  other = null;
  closed = false;
  postMessage(data) {
    if (!this.closed && this.other && !this.other.closed) setImmediate(() => this.other.emit('message', { data, ports: [] }));
  }
  start() {}
  close() {
    this.closed = true;
  }
}
export class MessageChannelMain {
  constructor() {
    this.port1 = new FakeMessagePortMain();
    this.port2 = new FakeMessagePortMain();
    this.port1.other = this.port2;
    this.port2.other = this.port1;
  }
}

function fakeSession(guards) {
  return {
    webRequest: {
      onHeadersReceived(listener) {
        guards.headersListener = listener;
      },
    },
    setPermissionRequestHandler(handler) {
      guards.permissionHandler = handler;
    },
    setPermissionCheckHandler(handler) {
      guards.permissionCheckHandler = handler;
    },
  };
}

export const session = {
  fromPartition(name) {
    record.partitions[name] ??= {};
    return fakeSession(record.partitions[name]);
  },
  defaultSession: {
    webRequest: {
      onHeadersReceived(listener) {
        record.headersListener = listener;
      },
    },
    setPermissionRequestHandler(handler) {
      record.permissionHandler = handler;
    },
    setPermissionCheckHandler(handler) {
      record.permissionCheckHandler = handler;
    },
  },
};

export const Menu = {
  buildFromTemplate(template) {
    record.menuTemplate = template;
    return { template };
  },
  setApplicationMenu() {},
};

export const shell = {
  opened: [],
  openExternal(url) {
    this.opened.push(url);
    return Promise.resolve();
  },
  openPath() {
    return Promise.resolve('');
  },
};

export default { app, BrowserWindow, MessageChannelMain, ipcMain, session, Menu, shell, utilityProcess, screen };
