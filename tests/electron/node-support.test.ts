/**
 * The Node story is one story: package.json engines, bin/node-support.mjs
 * (what `npm start` says) and the engines of every installed package agree.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import { minimumWorkingNode, nodeSupport, supportedNode } from '../../bin/node-support.mjs';
import { repoRoot } from '../../bin/build-freshness.mjs';

const manifest = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { engines: { node: string } };
const lock = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8')) as { packages: Record<string, { engines?: { node?: string } }> };

describe('supported Node versions', () => {
  it('are what package.json engines declares', () => {
    expect(manifest.engines.node).toBe(supportedNode);
  });

  it('are admitted by every installed package, so npm prints no EBADENGINE warning there', () => {
    const refusing = Object.entries(lock.packages)
      // packages for other platforms are in the lockfile but never installed (nor checked) here
      .filter(([path, info]) => path && info.engines?.node && existsSync(join(repoRoot, path)))
      .filter(([, info]) => !semver.subset(supportedNode, info.engines!.node!))
      .map(([path, info]) => `${path} (${info.engines!.node})`);
    expect(refusing).toEqual([]);
  });

  it('leave Node 20.19+ working but warned about: only Electron’s own tooling declares more', () => {
    const refusing20 = Object.entries(lock.packages)
      .filter(([path, info]) => path && info.engines?.node && existsSync(join(repoRoot, path)))
      .filter(([, info]) => !semver.satisfies(minimumWorkingNode, info.engines!.node!))
      .map(([path]) => path.replace(/^.*node_modules\//, ''));
    expect(refusing20.length).toBeGreaterThan(0);
    expect(refusing20.every((name) => /^(electron|@electron\/|@electron-internal\/|node-abi)/.test(name))).toBe(true);
  });

  it('are classified the same way by the start script', () => {
    for (const version of ['22.13.0', '22.20.1', '24.0.0', '26.3.0']) expect(nodeSupport(version), version).toBe('supported');
    for (const version of ['20.19.0', '20.20.2', '22.12.0', '23.5.0', '27.0.0']) expect(nodeSupport(version), version).toBe('works');
    for (const version of ['18.20.0', '20.18.3']) expect(nodeSupport(version), version).toBe('too-old');
    for (const version of ['22.13.0', '24.11.0', '26.0.0', '22.12.0', '23.5.0', '20.20.2']) {
      expect(nodeSupport(version) === 'supported', version).toBe(semver.satisfies(version, supportedNode));
    }
  });
});
