/**
 * A missing record and a state that forbids a call are typed errors (common/api-errors) that
 * every transport maps the same way: 404/409 over HTTP, the error's name over IPC (so the
 * renderer's ApiError says NotFoundError), exit codes 4/5 in the CLI. The backend is real.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IpcMain } from 'electron';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, createBridgeClient, type ApiReply, type BatchscopeBridge } from '../../common/api-client';
import { apiMethods } from '../../common/api-contract';
import { ipcChannels } from '../../common/ipc-channels';
import { createApi, type BatchscopeBackend } from '../../main/api/create-api';
import { registerIpcBridge } from '../../main/electron/ipc-bridge';
import { startServer, type RunningServer } from '../../main/server/start-server';

const dir = mkdtempSync(join(tmpdir(), 'batchscope-api-errors-'));
const dbPath = join(dir, 'errors.db');
let api: BatchscopeBackend;
let server: RunningServer;
let runningRunId: number;

beforeAll(async () => {
  api = await createApi({ dbPath, resumeQueued: false });
  // a run long enough to be running for the whole file: the state deleteRun must refuse
  const { runs } = await api.createExperiment({ spec: { name: 'busy', dataset: { kind: 'blobs', samples: 200 }, model: { kind: 'mlp', hidden: [4] }, training: { epochs: 10_000 } } });
  runningRunId = runs[0]!.id;
  expect(api.store.runs.get(runningRunId)!.status).toBe('running');
  server = await startServer({ api });
});

afterAll(async () => {
  await server?.close();
  await api?.close({ kill: true });
});

async function post(method: string, body: unknown): Promise<{ status: number; body: { error: { name: string; message: string } } }> {
  const response = await fetch(`${server.origin}/api/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-batchscope-token': server.token },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as { error: { name: string; message: string } } };
}

describe('typed API errors', () => {
  it('HTTP answers 404 NotFoundError for a missing run or experiment', async () => {
    const run = await post('getRun', { id: 999 });
    expect(run.status).toBe(404);
    expect(run.body.error).toEqual({ name: 'NotFoundError', message: 'run 999 does not exist' });
    expect((await post('getExperiment', { id: 999 })).status).toBe(404);
    expect((await post('cancelRun', { id: 999 })).status).toBe(404);
  });

  it('HTTP answers 409 ConflictError when deleting a running run or its experiment', async () => {
    const run = await post('deleteRun', { id: runningRunId });
    expect(run.status).toBe(409);
    expect(run.body.error.name).toBe('ConflictError');
    expect(run.body.error.message).toMatch(/is running: cancel it/);
    expect((await post('deleteExperiment', { id: 1 })).status).toBe(409);
  });

  it('IPC carries the error name, so the renderer sees the same NotFoundError and ConflictError', async () => {
    const handlers = new Map<string, (event: unknown, ...args: unknown[]) => Promise<unknown>>();
    const ipcMain = { handle: (channel: string, handler: never) => handlers.set(channel, handler), removeHandler: (channel: string) => handlers.delete(channel) } as unknown as IpcMain;
    const stop = registerIpcBridge({ ipcMain, api, isTrustedSender: () => true, windows: () => [] });
    try {
      const handler = handlers.get(ipcChannels.call)!;
      const bridge = Object.fromEntries(apiMethods.map((m) => [m, (input: unknown) => handler({}, m, input) as Promise<ApiReply<unknown>>]));
      const client = createBridgeClient({ ...bridge, subscribe: () => () => undefined } as unknown as BatchscopeBridge);
      const missing = await client.getRun({ id: 999 }).catch((error: unknown) => error);
      expect(missing).toBeInstanceOf(ApiError);
      expect((missing as ApiError).name).toBe('NotFoundError');
      const busy = await client.deleteRun({ id: runningRunId }).catch((error: unknown) => error);
      expect((busy as ApiError).name).toBe('ConflictError');
    } finally {
      stop();
    }
  });

  it('the CLI exits 4 for a missing run, with the message and no stack trace', () => {
    const cli = join(__dirname, '..', '..', 'bin', 'batchscope.mjs');
    const result = spawnSync(process.execPath, [cli, 'show', '999', '--db', dbPath], { encoding: 'utf8', timeout: 60_000 });
    expect(result.stderr).toBe('batchscope: run 999 does not exist\n');
    expect(result.status).toBe(4);
  });
});
