import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { readTempCache, tempCachePath, writeTempCache } from '../../../main/engine/data/temp-cache';

describe('temp-folder byte cache', () => {
  it('round-trips bytes under a keyed name in the OS temp folder, and misses on a wrong length', async () => {
    const path = tempCachePath('cache-test', `key ${process.pid} ${Date.now()}`);
    expect(path.startsWith(tmpdir())).toBe(true);
    expect(tempCachePath('cache-test', 'a')).not.toBe(tempCachePath('cache-test', 'b'));
    try {
      expect(await readTempCache(path, 3)).toBeUndefined();
      await writeTempCache(path, Uint8Array.from([1, 2, 3]));
      expect([...(await readTempCache(path, 3))!]).toEqual([1, 2, 3]);
      expect(await readTempCache(path, 4)).toBeUndefined();
    } finally {
      rmSync(path, { force: true });
    }
  });
});
