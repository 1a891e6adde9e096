/**
 * Browser mode's transport: the API over HTTP on loopback.
 *   POST /api/<method>  body: the input as JSON → the result, or ApiErrorBody
 *                       (400 invalid input, 404 unknown method, 500 otherwise)
 *   GET  /api/events    Server-Sent Events, one ApiEvent per message
 *   GET  /…             the built renderer, under a strict CSP
 * Every request must name this server in Host (DNS rebinding); every /api
 * request must carry the per-launch token.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ApiErrorBody } from '../../common/api-contract';
import type { BatchscopeClient } from '../../common/api-client';
import { callApi } from '../transport/call-api';
import { contentSecurityPolicy } from '../transport/content-security-policy';
import { streamEvents } from './event-stream';
import { allowedHosts, createToken, hostAllowed, tokenValid } from './request-guard';
import { serveStatic } from './static-files';

export interface ServerOptions {
  api: BatchscopeClient;
  host?: string;
  /** 0 picks a free port */
  port?: number;
  /** the built renderer (out/renderer); without it only /api is served */
  staticDir?: string;
}

export interface RunningServer {
  /** the page address, token in the fragment: http://127.0.0.1:PORT/#token=… */
  url: string;
  /** the address without path or token, for API clients */
  origin: string;
  token: string;
  close(): Promise<void>;
}

const maxBodyBytes = 8 * 1024 * 1024;

const securityHeaders: Record<string, string> = {
  'content-security-policy': contentSecurityPolicy(),
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body ?? null);
  response.writeHead(status, {
    ...securityHeaders,
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    'cache-control': 'no-store',
  });
  response.end(text);
}

function sendError(response: ServerResponse, status: number, name: string, message: string): void {
  const body: ApiErrorBody = { error: { name, message } };
  sendJson(response, status, body);
}

class BodyError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBodyBytes) throw new BodyError(413, `request body over ${maxBodyBytes} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (!text) return {};
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new BodyError(400, `the request body is not JSON: ${(error as Error).message}`);
  }
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const { api, host = '127.0.0.1', port = 0, staticDir } = options;
  const token = createToken();
  const closeStreams = new Set<() => void>();
  let hosts = new Set<string>();

  const handleApi = async (request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> => {
    const name = decodeURIComponent(url.pathname.slice('/api/'.length));
    if (name === 'events') {
      if (!tokenValid(request, url, token, true)) return sendError(response, 401, 'Unauthorized', 'missing or wrong token');
      if (request.method !== 'GET') return sendError(response, 405, 'MethodNotAllowed', 'use GET for /api/events');
      const close = streamEvents(response, api.subscribe);
      closeStreams.add(close);
      response.on('close', () => closeStreams.delete(close));
      return;
    }
    if (!tokenValid(request, url, token, false)) return sendError(response, 401, 'Unauthorized', `missing or wrong x-batchscope-token header`);
    if (request.method !== 'POST') return sendError(response, 405, 'MethodNotAllowed', `use POST for /api/${name}`);
    let input: unknown;
    try {
      input = await readJson(request);
    } catch (error) {
      if (error instanceof BodyError) return sendError(response, error.status, 'BadRequest', error.message);
      throw error;
    }
    const outcome = await callApi(api, name, input);
    if (outcome.ok) sendJson(response, 200, outcome.value);
    else sendJson(response, outcome.status, outcome.body);
  };

  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (!hostAllowed(request, hosts)) {
      sendError(response, 403, 'Forbidden', 'this server answers only requests addressed to 127.0.0.1 or localhost');
      return;
    }
    const handled = url.pathname.startsWith('/api/')
      ? handleApi(request, response, url)
      : staticDir
        ? serveStatic(request, response, url, staticDir, securityHeaders)
        : Promise.resolve(sendError(response, 404, 'NotFound', 'no renderer is served here (started without staticDir)'));
    handled.catch((error: unknown) => {
      if (response.headersSent) response.destroy();
      else sendError(response, 500, 'InternalError', (error as Error)?.message ?? String(error));
    });
  });
  // SSE streams stay open; don't let the idle request timer end them
  server.requestTimeout = 0;

  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolvePromise();
    });
  });
  const actualPort = (server.address() as AddressInfo).port;
  hosts = allowedHosts(host, actualPort);
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const origin = `http://${urlHost}:${actualPort}`;

  let closing: Promise<void> | null = null;
  return {
    url: `${origin}/#token=${token}`,
    origin,
    token,
    close: () => {
      closing ??= new Promise<void>((resolvePromise) => {
        for (const close of closeStreams) close();
        server.close(() => resolvePromise());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
