/**
 * Live API events as Server-Sent Events: one subscription per open stream,
 * dropped when the client goes away.
 */
import type { ServerResponse } from 'node:http';
import type { BatchscopeClient } from '../../common/api-client';

const heartbeatMs = 20_000;

export function streamEvents(response: ServerResponse, subscribe: BatchscopeClient['subscribe']): () => void {
  response.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
    'x-content-type-options': 'nosniff',
  });
  // a comment line first, so clients see the stream open before any event
  response.write('retry: 2000\n: connected\n\n');
  const unsubscribe = subscribe((event) => {
    response.write(`data: ${JSON.stringify(event)}\n\n`);
  });
  const heartbeat = setInterval(() => response.write(': ping\n\n'), heartbeatMs);
  heartbeat.unref();
  let closed = false;
  const close = (): void => {
    if (closed) return;
    closed = true;
    clearInterval(heartbeat);
    unsubscribe();
    response.end();
  };
  response.on('close', close);
  return close;
}
