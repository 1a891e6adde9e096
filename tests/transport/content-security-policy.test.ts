/**
 * One CSP: the header (server, Electron session) and the meta tag of the built index.html
 * come from main/transport/content-security-policy.ts, everything refused by default; and IPC
 * answers only the top frame of our renderer.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isTrustedFrame } from '../../main/electron/trusted-sender';
import { contentSecurityPolicy, cspMetaPlugin } from '../../main/transport/content-security-policy';

const indexHtml = readFileSync(join(__dirname, '..', '..', 'renderer', 'index.html'), 'utf8');

describe('content security policy', () => {
  it("refuses everything by default ('none') and allows only what the app uses", () => {
    const policy = contentSecurityPolicy();
    expect(policy.startsWith("default-src 'none'; script-src 'self';")).toBe(true);
    expect(policy).toContain("frame-ancestors 'none'");
  });

  it('has one source: index.html carries none, the build writes the same policy in (minus header-only directives)', () => {
    expect(indexHtml).not.toMatch(/Content-Security-Policy/i);
    const built = cspMetaPlugin().transformIndexHtml(indexHtml, { path: '/index.html' });
    const meta = /<meta http-equiv="Content-Security-Policy" content="([^"]+)" \/>/.exec(built);
    expect(meta?.[1]).toBe(contentSecurityPolicy({}, { meta: true }));
    expect(meta![1]).not.toContain('frame-ancestors');
    expect(built.indexOf('charset')).toBeLessThan(built.indexOf('Content-Security-Policy'));
    expect(cspMetaPlugin().apply).toBe('build');
  });

  it('gives the GPU window page a narrower policy: one script from the app, nothing else', () => {
    const html = readFileSync(join(__dirname, '..', '..', 'renderer', 'gpu-window.html'), 'utf8');
    expect(html).not.toMatch(/http-equiv="Content-Security-Policy"/i);
    const meta = /<meta http-equiv="Content-Security-Policy" content="([^"]+)" \/>/.exec(cspMetaPlugin().transformIndexHtml(html, { path: '/gpu-window.html' }));
    expect(meta?.[1]).toBe("default-src 'none'; script-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'");
    expect(contentSecurityPolicy({}, { page: 'gpu-window' })).toContain("frame-ancestors 'none'");
  });
});

describe('trusted IPC senders', () => {
  const ours = 'file:///opt/batchscope/out/renderer/';
  it('accepts the top frame of our renderer only', () => {
    expect(isTrustedFrame({ url: `${ours}index.html`, parent: null }, ours)).toBe(true);
    expect(isTrustedFrame({ url: `${ours}index.html`, parent: { url: `${ours}index.html` } }, ours)).toBe(false);
    expect(isTrustedFrame({ url: 'https://example.com/', parent: null }, ours)).toBe(false);
    expect(isTrustedFrame(null, ours)).toBe(false);
  });
});
