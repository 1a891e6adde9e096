import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpClient, ApiError } from '../../common/api-client';
import { startServer, type RunningServer } from '../../main/server/start-server';
import { createStandInApi, type StandInApi } from './stand-in-api';

let server: RunningServer;
let standIn: StandInApi;
let staticDir: string;

beforeAll(async () => {
  staticDir = mkdtempSync(join(tmpdir(), 'batchscope-static-'));
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>Batchscope</title>');
  mkdirSync(join(staticDir, 'assets'));
  writeFileSync(join(staticDir, 'assets', 'app.js'), 'console.log(1)');
  standIn = createStandInApi();
  server = await startServer({ api: standIn.api, staticDir });
});

afterAll(async () => {
  await server?.close();
  rmSync(staticDir, { recursive: true, force: true });
});

function post(method: string, body: unknown, token: string | null = server.token): Promise<Response> {
  return fetch(`${server.origin}/api/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token === null ? {} : { 'x-batchscope-token': token }) },
    body: JSON.stringify(body),
  });
}

/** fetch will not send a forged Host header; node:http will */
function getWithHost(path: string, host: string): Promise<{ status: number; body: string }> {
  const { port } = new URL(server.origin);
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: Number(port), path, method: 'GET', headers: { host, 'x-batchscope-token': server.token } }, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('startServer', () => {
  it('returns a loopback URL carrying a long random token in the fragment', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/#token=[\w-]{40,}$/);
    expect(server.url.endsWith(server.token)).toBe(true);
  });

  it('answers a valid call with the JSON result', async () => {
    const response = await post('listDatasets', {});
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toEqual([expect.objectContaining({ kind: 'synthetic' })]);
  });

  it('refuses calls without the token or with a wrong one (401)', async () => {
    const missing = await post('listDatasets', {}, null);
    expect(missing.status).toBe(401);
    expect((await missing.json()).error.name).toBe('Unauthorized');
    const wrong = await post('listDatasets', {}, `${server.token.slice(0, -1)}x`);
    expect(wrong.status).toBe(401);
    const inQuery = await fetch(`${server.origin}/api/listDatasets?token=${server.token}`, { method: 'POST', body: '{}' });
    expect(inQuery.status).toBe(401);
    expect(standIn.calls.filter((c) => c.method === 'listDatasets')).toHaveLength(1);
  });

  it('refuses requests addressed to another host name (403, DNS rebinding)', async () => {
    const { port } = new URL(server.origin);
    expect((await getWithHost('/api/events', `evil.example:${port}`)).status).toBe(403);
    expect((await getWithHost('/', `evil.example:${port}`)).status).toBe(403);
    expect((await getWithHost('/', `127.0.0.1:${Number(port) + 1}`)).status).toBe(403);
    expect((await getWithHost('/', `localhost:${port}`)).status).toBe(200);
  });

  it('rejects invalid input with 400 naming the field, before the API sees it', async () => {
    const before = standIn.calls.length;
    const response = await post('listRuns', { status: 'sleeping', experimentId: -3 });
    expect(response.status).toBe(400);
    const body = await response.json();
    expect(body.error.name).toBe('ValidationError');
    const paths = body.error.issues.map((issue: { path: string }) => issue.path);
    expect(paths).toEqual(expect.arrayContaining(['status', 'experimentId']));
    expect(standIn.calls.length).toBe(before);
    expect((await post('listDatasets', { extra: 1 })).status).toBe(400);
  });

  it('answers 400 for a body that is not JSON and 404 for an unknown method', async () => {
    const notJson = await fetch(`${server.origin}/api/listDatasets`, { method: 'POST', headers: { 'x-batchscope-token': server.token }, body: '{nope' });
    expect(notJson.status).toBe(400);
    const unknown = await post('dropDatabase', {});
    expect(unknown.status).toBe(404);
    expect((await unknown.json()).error.name).toBe('UnknownMethod');
    expect((await post('constructor', {})).status).toBe(404);
  });

  it('passes the API’s field issues through as 400 and hides nothing else behind 500', async () => {
    const spec = await post('createExperiment', { spec: {} });
    expect(spec.status).toBe(400);
    expect((await spec.json()).error).toEqual({ name: 'SpecError', message: expect.any(String), issues: [{ path: 'batch.microBatch', message: 'must divide batch.size' }] });
    const crash = await post('getRun', { id: 1 });
    expect(crash.status).toBe(500);
    expect((await crash.json()).error.message).toBe('getRun is not part of the stand-in');
  });

  it('streams API events as Server-Sent Events to a holder of the token', async () => {
    expect((await fetch(`${server.origin}/api/events`)).status).toBe(401);
    const controller = new AbortController();
    const response = await fetch(`${server.origin}/api/events?token=${server.token}`, { signal: controller.signal });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    while (!text.includes(': connected')) text += (await reader.read()).value ?? '';
    standIn.emit({ type: 'experiment-created', experimentId: 7 });
    while (!text.includes('\n\ndata: ') || !text.endsWith('\n\n')) text += (await reader.read()).value ?? '';
    const data = text.split('\n').find((line) => line.startsWith('data: '));
    expect(JSON.parse(data!.slice('data: '.length))).toEqual({ type: 'experiment-created', experimentId: 7 });
    controller.abort();
    await expect.poll(() => standIn.listenerCount()).toBe(0);
  });

  it('serves the renderer’s files with a strict CSP and confines paths to staticDir', async () => {
    const page = await fetch(`${server.origin}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe/);
    expect(csp).toContain("object-src 'none'");
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    const script = await fetch(`${server.origin}/assets/app.js`);
    expect(script.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(await script.text()).toBe('console.log(1)');
    expect((await fetch(`${server.origin}/runs/12`)).status).toBe(200); // client-side route
    expect((await fetch(`${server.origin}/assets/missing.js`)).status).toBe(404);
    for (const path of ['/../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/..%2f..%2f..%2fetc%2fpasswd', '/..\\..\\etc\\passwd']) {
      const escape = await getWithHost(path, new URL(server.origin).host);
      expect(escape.body, path).not.toContain('root:');
    }
  });
});

describe('createHttpClient against the real server', () => {
  it('calls methods and throws ApiError with the field issues', async () => {
    const client = createHttpClient(server.origin, server.token, { EventSource: null });
    expect(await client.listDatasets({})).toHaveLength(1);
    const error = await client.listRuns({ status: 'sleeping' as never }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(400);
    expect((error as ApiError).issues[0]?.path).toBe('status');
    const denied = await createHttpClient(server.origin, 'wrong', { EventSource: null }).listDatasets({}).catch((e: unknown) => e);
    expect((denied as ApiError).status).toBe(401);
  });
});
