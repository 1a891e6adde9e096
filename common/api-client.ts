/**
 * Clients of `BatchscopeApi` for the renderer, one per transport. Both throw
 * `ApiError` (with field-level `issues`) when main refuses a call, so views
 * handle errors the same way in Electron and in browser mode.
 * Browser globals only (fetch, EventSource): common/ never imports Node.
 */
import {
  apiMethods,
  type ApiErrorBody,
  type ApiEvent,
  type ApiInput,
  type ApiMethod,
  type BatchscopeApi,
} from './api-contract';
import type { SpecIssue } from './spec';

export type ApiListener = (event: ApiEvent) => void;

/** The API plus live events: what the renderer programs against. */
export type BatchscopeClient = BatchscopeApi & { subscribe(listener: ApiListener): () => void };

export type ApiResult<M extends ApiMethod> = Awaited<ReturnType<BatchscopeApi[M]>>;

/**
 * What crosses Electron IPC: an envelope rather than a thrown error, because
 * ipcMain.handle and contextBridge both drop an Error's own properties.
 */
export type ApiReply<T> = { ok: true; value: T } | ({ ok: false } & ApiErrorBody);

/** The object the preload exposes as `window.batchscope`. */
export type BatchscopeBridge = { [M in ApiMethod]: (input: ApiInput<M>) => Promise<ApiReply<ApiResult<M>>> } & {
  subscribe(listener: ApiListener): () => void;
};

export class ApiError extends Error {
  readonly issues: SpecIssue[];
  /** the HTTP status in browser mode; absent over IPC */
  readonly status?: number;

  constructor(body: ApiErrorBody['error'], status?: number) {
    super(body.message);
    this.name = body.name;
    this.issues = body.issues ?? [];
    if (status !== undefined) this.status = status;
  }
}

export function isApiErrorBody(value: unknown): value is ApiErrorBody {
  if (typeof value !== 'object' || value === null || !('error' in value)) return false;
  const error = (value as { error: unknown }).error;
  return typeof error === 'object' && error !== null && typeof (error as { message?: unknown }).message === 'string';
}

function buildClient(call: (method: ApiMethod, input: unknown) => Promise<unknown>, subscribe: BatchscopeClient['subscribe']): BatchscopeClient {
  const client: Record<string, unknown> = { subscribe };
  for (const method of apiMethods) client[method] = (input: unknown) => call(method, input ?? {});
  return client as unknown as BatchscopeClient;
}

/** Unwraps the preload bridge's envelopes into results or thrown `ApiError`s. */
export function createBridgeClient(bridge: BatchscopeBridge): BatchscopeClient {
  const call = async (method: ApiMethod, input: unknown): Promise<unknown> => {
    const invoke = bridge[method] as (input: unknown) => Promise<ApiReply<unknown>>;
    const reply = await invoke(input);
    if (reply.ok) return reply.value;
    throw new ApiError(reply.error);
  };
  return buildClient(call, (listener) => bridge.subscribe(listener));
}

export interface HttpClientOptions {
  fetch?: typeof fetch;
  /** null disables live events (e.g. where EventSource does not exist) */
  EventSource?: typeof EventSource | null;
}

/**
 * Browser mode: POST /api/<method> with the input as JSON, live events from
 * GET /api/events (Server-Sent Events). EventSource cannot send headers, so its
 * token travels in the query string.
 */
export function createHttpClient(baseUrl: string, token: string, options: HttpClientOptions = {}): BatchscopeClient {
  const base = baseUrl.replace(/\/+$/, '');
  const doFetch = options.fetch ?? ((...args: Parameters<typeof fetch>) => fetch(...args));
  const EventSourceImpl = options.EventSource === undefined ? globalThis.EventSource : options.EventSource;

  const call = async (method: ApiMethod, input: unknown): Promise<unknown> => {
    const response = await doFetch(`${base}/api/${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-batchscope-token': token },
      body: JSON.stringify(input),
    });
    const text = await response.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      throw new ApiError({ name: 'TransportError', message: `${method}: the server answered ${response.status} with non-JSON text` }, response.status);
    }
    if (response.ok) return body;
    if (isApiErrorBody(body)) throw new ApiError(body.error, response.status);
    throw new ApiError({ name: 'TransportError', message: `${method}: the server answered ${response.status}` }, response.status);
  };

  const listeners = new Set<ApiListener>();
  let source: EventSource | null = null;
  const open = (): void => {
    if (source || !EventSourceImpl) return;
    source = new EventSourceImpl(`${base}/api/events?token=${encodeURIComponent(token)}`);
    source.onmessage = (message: MessageEvent) => {
      let event: ApiEvent;
      try {
        event = JSON.parse(String(message.data)) as ApiEvent;
      } catch {
        return;
      }
      for (const listener of [...listeners]) listener(event);
    };
  };
  const subscribe = (listener: ApiListener): (() => void) => {
    listeners.add(listener);
    open();
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0 && source) {
        source.close();
        source = null;
      }
    };
  };
  return buildClient(call, subscribe);
}

/** The token browser mode puts in the page address: `#token=…` (or `?token=…`). */
export function tokenFromLocation(location: { hash: string; search: string }): string | null {
  const fromHash = new URLSearchParams(location.hash.replace(/^#/, '')).get('token');
  return fromHash ?? new URLSearchParams(location.search).get('token');
}
