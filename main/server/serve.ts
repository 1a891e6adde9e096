/**
 * Browser mode in one call: opens the store, starts the API and serves the
 * built renderer on loopback. Used by `npm start` when Electron cannot start,
 * by the CLI, and by the end-to-end tests.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createApi } from '../api/create-api';
import { startServer } from './start-server';

export interface ServeOptions {
  dbPath: string;
  /** 0 (the default) picks a free port */
  port?: number;
  host?: string;
  /** open the page in the default browser */
  open?: boolean;
  /** the built renderer; defaults to out/renderer of this package */
  staticDir?: string;
  concurrency?: number;
  /** see createApi: true browses only; 'auto' (the default) when the file is not writable */
  readOnly?: boolean | 'auto';
  /** hand runs to a BullMQ queue on this Redis (see docs/distributed.md) */
  redisUrl?: string;
  queue?: string;
}

export interface Serving {
  /** the page address with the token: http://127.0.0.1:PORT/#token=… */
  url: string;
  origin: string;
  token: string;
  close(): Promise<void>;
}

/** The folder holding Batchscope's package.json, found from this file (source or bundle). */
export function packageRoot(from = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'batchscope') return dir;
      } catch {
        // unreadable manifest: keep looking upward
      }
    }
    if (dirname(dir) === dir) throw new Error(`cannot find Batchscope's package.json above ${from}`);
  }
}

export function defaultStaticDir(): string {
  return join(packageRoot(), 'out', 'renderer');
}

function openInBrowser(url: string): void {
  const [command, args] =
    process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '""', url]] : ['xdg-open', [url]];
  try {
    const child = spawn(command, args as string[], { detached: true, stdio: 'ignore' });
    child.on('error', () => undefined);
    child.unref();
  } catch {
    // no browser opener: the printed URL is enough
  }
}

export async function serve(options: ServeOptions): Promise<Serving> {
  const staticDir = options.staticDir ?? defaultStaticDir();
  if (!existsSync(join(staticDir, 'index.html'))) {
    throw new Error(`the renderer is not built (no ${join(staticDir, 'index.html')}): run \`npm run build\` first`);
  }
  await mkdir(dirname(options.dbPath), { recursive: true });
  const api = await createApi({
    dbPath: options.dbPath,
    readOnly: options.readOnly ?? 'auto',
    ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
    ...(options.redisUrl ? { redisUrl: options.redisUrl } : {}),
    ...(options.queue ? { queue: options.queue } : {}),
  });
  let server;
  try {
    server = await startServer({ api, staticDir, host: options.host ?? '127.0.0.1', port: options.port ?? 0 });
  } catch (error) {
    await api.close();
    throw error;
  }
  if (options.open) openInBrowser(server.url);
  const running = server;
  return {
    url: running.url,
    origin: running.origin,
    token: running.token,
    close: async () => {
      await running.close();
      await api.close();
    },
  };
}
