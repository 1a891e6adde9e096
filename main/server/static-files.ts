/**
 * Serves the built renderer. Paths are confined to the static folder;
 * unknown extension-less paths fall back to index.html (client-side routes).
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';

const mimeTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
};

async function fileAt(path: string): Promise<{ path: string; size: number } | null> {
  try {
    const info = await stat(path);
    if (info.isFile()) return { path, size: info.size };
    if (info.isDirectory()) return fileAt(join(path, 'index.html'));
  } catch {
    // missing: the caller decides between 404 and index.html
  }
  return null;
}

export async function serveStatic(request: IncomingMessage, response: ServerResponse, url: URL, staticDir: string, headers: Record<string, string>): Promise<void> {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405, { ...headers, allow: 'GET, HEAD' }).end();
    return;
  }
  const root = resolve(staticDir);
  let relative: string;
  try {
    relative = normalize(decodeURIComponent(url.pathname)).replace(/^[/\\]+/, '');
  } catch {
    response.writeHead(400, headers).end();
    return;
  }
  const target = resolve(root, relative);
  if (target !== root && !target.startsWith(root + sep)) {
    response.writeHead(404, headers).end();
    return;
  }
  const file = (await fileAt(target)) ?? (extname(target) === '' ? await fileAt(join(root, 'index.html')) : null);
  if (!file && url.pathname === '/favicon.ico') {
    // browsers ask for it unprompted; an empty answer keeps their consoles clean
    response.writeHead(204, headers).end();
    return;
  }
  if (!file) {
    response.writeHead(404, { ...headers, 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
    return;
  }
  const type = mimeTypes[extname(file.path).toLowerCase()] ?? 'application/octet-stream';
  // hashed assets may be cached; the page itself must be re-read after a rebuild
  const cache = file.path.includes(`${sep}assets${sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache';
  response.writeHead(200, { ...headers, 'content-type': type, 'content-length': String(file.size), 'cache-control': cache });
  if (request.method === 'HEAD') {
    response.end();
    return;
  }
  createReadStream(file.path).pipe(response);
}
