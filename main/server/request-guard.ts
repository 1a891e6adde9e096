/**
 * Who may talk to the browser-mode server: requests naming this server in
 * their Host header (a DNS-rebinding page names its own host) and, for the
 * API, carrying the per-launch token.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const tokenHeader = 'x-batchscope-token';

export function createToken(): string {
  return randomBytes(32).toString('base64url');
}

export function allowedHosts(host: string, port: number): Set<string> {
  const hosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
  if (host === '::1') hosts.add(`[::1]:${port}`);
  else if (host !== '0.0.0.0' && host !== '::') hosts.add(`${host.includes(':') ? `[${host}]` : host}:${port}`);
  return hosts;
}

export function hostAllowed(request: IncomingMessage, allowed: Set<string>): boolean {
  const host = request.headers.host;
  return typeof host === 'string' && allowed.has(host.toLowerCase());
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The token from the header, or from `?token=` where the client cannot set headers (EventSource). */
export function tokenValid(request: IncomingMessage, url: URL, expected: string, allowQuery: boolean): boolean {
  const header = request.headers[tokenHeader];
  const given = typeof header === 'string' ? header : allowQuery ? url.searchParams.get('token') : null;
  return given !== null && sameSecret(given, expected);
}
