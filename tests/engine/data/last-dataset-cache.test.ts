import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { datasetSpecSchema, type DatasetSpec } from '../../../common/spec';
import type { Dataset } from '../../../main/engine/data/dataset';
import { lastDatasetCache } from '../../../main/engine/data/last-dataset-cache';
import { loadDataset } from '../../../main/engine/data/load-dataset';

/** the real loader, counting its calls */
function countingLoader() {
  const calls: string[] = [];
  const load = (spec: DatasetSpec, seed: number): Promise<Dataset> => {
    calls.push(`${spec.kind}|${seed}`);
    return loadDataset(spec, seed);
  };
  return { calls, load };
}

const blobs = datasetSpecSchema.parse({ kind: 'blobs', samples: 300, features: 4, classes: 3 });

describe('the last dataset of a long-lived training process', () => {
  it('gives the same dataset for the same spec and seed, and loads again when either changes', async () => {
    const { calls, load } = countingLoader();
    const cached = lastDatasetCache(load);
    const first = await cached(blobs, 1);
    expect(await cached(blobs, 1)).toBe(first);
    expect(calls).toEqual(['blobs|1']);
    const otherSeed = await cached(blobs, 2);
    expect(otherSeed).not.toBe(first);
    const otherSpec = await cached(datasetSpecSchema.parse({ kind: 'blobs', samples: 301, features: 4, classes: 3 }), 2);
    expect(otherSpec.train.count + otherSpec.test.count).toBe(301);
    // only the last one is kept
    expect(await cached(blobs, 1)).not.toBe(first);
    expect(calls).toHaveLength(4);
  });

  it('reads a file the user names afresh every time, so a changed file is seen', async () => {
    const { calls, load } = countingLoader();
    const cached = lastDatasetCache(load);
    const path = join(mkdtempSync(join(tmpdir(), 'batchscope-cache-')), 'data.csv');
    const rows = (n: number) => ['a,b,label', ...Array.from({ length: n }, (_, i) => `${i},${-i},${i % 2}`)].join('\n');
    writeFileSync(path, rows(40));
    const spec = datasetSpecSchema.parse({ kind: 'csv', path, header: true });
    const before = await cached(spec, 1);
    writeFileSync(path, rows(60));
    const after = await cached(spec, 1);
    expect(before.train.count + before.test.count).toBe(40);
    expect(after.train.count + after.test.count).toBe(60);
    expect(calls).toHaveLength(2);
  });

  it('does not keep a load that failed', async () => {
    let fail = true;
    const cached = lastDatasetCache((spec, seed) => (fail ? Promise.reject(new Error('unreadable')) : loadDataset(spec, seed)));
    await expect(cached(blobs, 1)).rejects.toThrow('unreadable');
    fail = false;
    expect((await cached(blobs, 1)).train.count).toBeGreaterThan(0);
  });
});
