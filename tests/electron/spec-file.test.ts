import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readSpecFile, specFileFromArgv } from '../../main/electron/spec-file';

describe('a spec file on the command line', () => {
  it('is the last .json argument, resolved where the launch happened', () => {
    expect(specFileFromArgv(['/opt/Batchscope/batchscope', 'run.batchscope.json'], '/home/ada', true)).toBe('/home/ada/run.batchscope.json');
    expect(specFileFromArgv(['C:/Batchscope/Batchscope.exe', '--allow-file-access', '/data/a.json', '/data/B.JSON'], '/', true)).toBe('/data/B.JSON');
  });

  it('skips the app folder of an unpackaged launch and Chromium switches', () => {
    expect(specFileFromArgv(['/repo/node_modules/electron/dist/electron', '.'], '/repo', false)).toBeNull();
    expect(specFileFromArgv(['/repo/node_modules/electron/dist/electron', 'config.json'], '/repo', false)).toBeNull();
    expect(specFileFromArgv(['electron', '.', '--flag=x.json', 'spec.json'], '/repo', false)).toBe('/repo/spec.json');
    expect(specFileFromArgv(['/opt/Batchscope/batchscope', '--no-sandbox'], '/', true)).toBeNull();
  });
});

describe('reading a spec file for the designer', () => {
  let dir: string;
  beforeEach(() => void (dir = mkdtempSync(join(tmpdir(), 'batchscope-spec-file-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('hands over the JSON, or says what is wrong with the file', async () => {
    writeFileSync(join(dir, 'ok.batchscope.json'), '{"name": "sweep"}');
    writeFileSync(join(dir, 'bad.json'), 'not json');
    writeFileSync(join(dir, 'huge.json'), Buffer.alloc(2 * 1024 * 1024, 32));
    expect(await readSpecFile(join(dir, 'ok.batchscope.json'))).toEqual({ type: 'spec-file-opened', fileName: 'ok.batchscope.json', json: { name: 'sweep' } });
    expect(await readSpecFile(join(dir, 'bad.json'))).toEqual({ type: 'spec-file-opened', fileName: 'bad.json', error: expect.stringContaining('bad.json is not JSON') });
    expect(await readSpecFile(join(dir, 'huge.json'))).toEqual({ type: 'spec-file-opened', fileName: 'huge.json', error: expect.stringContaining('too large') });
    expect(await readSpecFile(join(dir, 'gone.json'))).toEqual({ type: 'spec-file-opened', fileName: 'gone.json', error: expect.stringContaining('could not be read') });
    expect(await readSpecFile(dir)).toMatchObject({ error: expect.stringContaining('is not a file') });
  });
});
