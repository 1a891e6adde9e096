import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { idxImages, idxLabels } from '../engine/data/fixture-files';

const cli = join(__dirname, '..', '..', 'bin', 'batchscope.mjs');
const dir = mkdtempSync(join(tmpdir(), 'batchscope-cli-'));

function batchscope(...args: string[]) {
  const result = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function specFile(name: string, spec: object): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(spec));
  return file;
}

const spec = { name: 'cli spec', dataset: { kind: 'blobs', samples: 600 }, model: { kind: 'mlp', hidden: [8] }, batch: { size: 32 }, training: { epochs: 2 } };

describe('batchscope CLI', () => {
  it('run --no-db writes every metric as JSON lines and plain progress lines when not on a TTY', () => {
    const { code, stdout, stderr } = batchscope('run', specFile('a.json', spec), '--no-db');
    expect(code).toBe(0);
    const records = stdout.trim().split('\n').map((line) => JSON.parse(line) as { type: string });
    const types = records.map((r) => r.type);
    expect(types[0]).toBe('started');
    expect(types.filter((t) => t === 'step')).toHaveLength(30);
    expect(types).toContain('layer');
    expect(types).toContain('eval');
    expect(types.at(-1)).toBe('finished');
    expect(records[0]).toMatchObject({ backend: { name: 'wasm' } });
    // no carriage-return redraws off a terminal; the line names epoch, step, loss, accuracy, speed, ETA
    expect(stderr).not.toContain('\r');
    expect(stderr).toMatch(/epoch 2\.00 {2}step 30\/30 {2}loss \d\.\d{4} {2}acc [\d.]+% {2}\d+ samples\/s {2}ETA 00:00/);
    expect(stderr).toMatch(/^completed: 30 steps/m);
  });

  it('run --no-db --out writes the JSON lines to a file', () => {
    const out = join(dir, 'metrics.jsonl');
    const { code, stdout } = batchscope('run', specFile('b.json', spec), '--no-db', '--out', out, '--quiet');
    expect(code).toBe(0);
    expect(stdout).toBe('');
    expect(readFileSync(out, 'utf8').trim().split('\n').at(-1)).toContain('"type":"finished"');
  });

  it('rejects a bad spec with the field path and exit code 2', () => {
    const { code, stderr } = batchscope('run', specFile('bad.json', { ...spec, batch: { size: 32, microBatch: 64 } }), '--no-db');
    expect(code).toBe(2);
    expect(stderr).toContain('batch.microBatch: micro-batch (64) is larger than the batch (32)');
    expect(batchscope('run', join(dir, 'missing.json')).stderr).toMatch(/cannot read spec file .*missing\.json/);
  });

  it('refuses a spec file over 1 MiB, a device that never ends and a folder, reading no further', () => {
    const big = join(dir, 'big.json');
    writeFileSync(big, `{"name":"${'x'.repeat(1024 * 1024)}"}`);
    const fromFile = batchscope('run', big, '--no-db');
    expect(fromFile.code).toBe(2);
    expect(fromFile.stderr).toMatch(/spec file .*big\.json is larger than the 1 MiB a spec may be \(1048587 bytes\)/);
    const fromDevice = batchscope('run', '/dev/zero', '--no-db');
    expect(fromDevice.code).toBe(2);
    expect(fromDevice.stderr).toMatch(/spec file \/dev\/zero is larger than the 1 MiB/);
    expect(batchscope('run', dir, '--no-db').stderr).toMatch(/cannot read spec file .*: it is a folder/);
  });

  it('prints a warning line when inferred classes are mostly empty, and refuses a run over the budget before training', () => {
    writeFileSync(join(dir, 'img.idx'), idxImages(8, 2, 2));
    writeFileSync(join(dir, 'lab.idx'), idxLabels([0, 9, 0, 9, 0, 9, 0, 9]));
    const sparse = { ...spec, dataset: { kind: 'idx', trainImages: join(dir, 'img.idx'), trainLabels: join(dir, 'lab.idx'), testFraction: 0.25 }, training: { steps: 1 } };
    const warned = batchscope('run', specFile('sparse.json', sparse), '--no-db', '--quiet');
    expect(warned.stderr).toMatch(/^warning: .*lab\.idx: labels 0 … 9 make a 10-class model, but 8 of the 10 classes have no sample/m);
    const huge = batchscope('run', specFile('huge.json', { ...spec, model: { kind: 'mlp', hidden: [1e9, 1e9] } }), '--no-db');
    expect(huge.code).toBe(2);
    expect(huge.stderr).toMatch(/model\.hidden: the run would need about .* of memory/);
  });
  it('run --threads overrides the spec (data-parallel shards) and is checked', () => {
    const { code, stdout } = batchscope('run', specFile('t.json', { ...spec, threads: 1 }), '--no-db', '--quiet', '--threads', '2');
    expect(code).toBe(0);
    expect(JSON.parse(stdout.split('\n')[0]!)).toMatchObject({ type: 'started', threads: 2 });
    const bad = batchscope('run', specFile('t.json', spec), '--no-db', '--threads', '0');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--threads must be a positive integer or 'auto', got '0'");
    const badSpec = batchscope('run', specFile('t2.json', { ...spec, threads: 'many' }), '--no-db');
    expect(badSpec.code).toBe(2);
    expect(badSpec.stderr).toMatch(/threads: expected a whole number of threads ≥ 1 or "auto"/);
  }, 300_000);

  it('stores runs, then lists, shows and exports them', () => {
    const db = join(dir, 'cli.db');
    const run = batchscope('run', specFile('sweep.json', { ...spec, sweep: { batchSize: [16, 32] } }), '--db', db, '--parallel', '2');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/#1 +completed +B=16/);
    expect(run.stdout).toMatch(/#2 +completed +B=32/);
    expect(batchscope('list', '--db', db).stdout).toMatch(/experiment #1 cli spec/);
    const show = batchscope('show', '2', '--db', db);
    expect(show.stdout).toMatch(/backend: @tensorflow\/tfjs-backend-wasm/);
    expect(show.stdout).toMatch(/layers: dense_1 \(\d+\), output \(\d+\)/);
    const csv = join(dir, 'run2.csv');
    expect(batchscope('export', '2', '--db', db, '--out', csv).code).toBe(0);
    const lines = readFileSync(csv, 'utf8').trim().split('\n');
    expect(lines[0]).toMatch(/^run_id,step,epoch,loss/);
    expect(lines).toHaveLength(1 + 30);
  });

  it('lists datasets and presets', () => {
    const datasets = batchscope('datasets').stdout;
    expect(datasets).toMatch(/✓ mnist +60000\/10000/);
    expect(datasets).toMatch(/✓ fashion-mnist +60000\/10000/);
    expect(datasets).toMatch(/· cifar10/);
    expect(batchscope('presets').stdout).toMatch(/^smoke /m);
  });
});
