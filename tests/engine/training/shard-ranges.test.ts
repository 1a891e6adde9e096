/** The reduction parts and tree (main/engine/training/shard-ranges.ts): pure functions, every case by value. */
import { describe, expect, it } from 'vitest';
import { foldTree, nodeRows, reductionParts, shardRanges, treeCut } from '../../../main/engine/training/shard-ranges';

const sizes = (parts: { size: number }[]): number[] => parts.map((p) => p.size);
const contiguous = (parts: { start: number; size: number }[], total: number): boolean =>
  parts.every((p, i) => p.start === (i === 0 ? 0 : parts[i - 1]!.start + parts[i - 1]!.size)) && parts.at(-1)!.start + parts.at(-1)!.size === total;

describe('reductionParts', () => {
  it('cuts a batch without batch norm into parts of 256–511 rows, whatever the thread count', () => {
    expect(sizes(reductionParts(255, undefined, false))).toEqual([255]);
    expect(sizes(reductionParts(511, undefined, false))).toEqual([511]);
    expect(sizes(reductionParts(512, undefined, false))).toEqual([256, 256]);
    expect(sizes(reductionParts(1030, undefined, false))).toEqual([258, 258, 257, 257]);
    for (const threads of [1, 2, 3, 8]) expect(reductionParts(1030, undefined, false, threads)).toEqual(reductionParts(1030, undefined, false));
  });

  it('cuts each micro-batch on its own', () => {
    expect(sizes(reductionParts(257, 100, false))).toEqual([100, 100, 57]);
    expect(sizes(reductionParts(1030, 515, false))).toEqual([258, 257, 258, 257]);
    const parts = reductionParts(5000, 1200, false);
    expect(contiguous(parts, 5000)).toBe(true);
    expect(parts.every((p) => p.size <= 1200)).toBe(true);
  });

  it('with batch norm keeps the micro-batches, or shards first when there are fewer than threads', () => {
    expect(sizes(reductionParts(1030, undefined, true))).toEqual([1030]);
    expect(sizes(reductionParts(1030, 515, true, 2))).toEqual([515, 515]);
    expect(sizes(reductionParts(1030, undefined, true, 2))).toEqual([515, 515]);
    // 3 micro-batches of 400 < 4 threads: 4 shards of 250, each in micro-batches of ⌈400 / 4⌉
    expect(sizes(reductionParts(1000, 400, true, 4))).toEqual([100, 100, 50, 100, 100, 50, 100, 100, 50, 100, 100, 50]);
    expect(sizes(reductionParts(1000, 300, true, 2))).toEqual([300, 300, 300, 100]);
  });
});

describe('treeCut and foldTree', () => {
  it('cuts the tree into subtrees that hold every part once, in order', () => {
    expect(treeCut(4, 1)).toEqual([{ first: 0, end: 4 }]);
    expect(treeCut(4, 2)).toEqual([
      { first: 0, end: 2 },
      { first: 2, end: 4 },
    ]);
    expect(treeCut(3, 2)).toEqual([
      { first: 0, end: 2 },
      { first: 2, end: 3 },
    ]);
    expect(treeCut(4, 3)).toEqual([
      { first: 0, end: 1 },
      { first: 1, end: 2 },
      { first: 2, end: 4 },
    ]);
    // no more pieces than parts
    expect(treeCut(2, 8)).toHaveLength(2);
  });

  it('adds the same pairs in the same order with or without given subtrees', () => {
    const leaf = (p: number): string => `p${p}`;
    const add = (a: string, b: string): string => `(${a}+${b})`;
    const root = { first: 0, end: 5 };
    const whole = foldTree(root, leaf, add);
    expect(whole).toBe('(((p0+p1)+p2)+(p3+p4))');
    for (const pieces of [2, 3, 4, 5]) {
      const cut = treeCut(5, pieces);
      const given = new Map(cut.map((n) => [`${n.first}:${n.end}`, foldTree(n, leaf, add)]));
      expect(foldTree(root, () => 'missing', add, given)).toBe(whole);
    }
  });

  it('gives the rows a subtree covers', () => {
    const parts = shardRanges(1030, 4);
    expect(nodeRows(parts, { first: 1, end: 3 })).toEqual({ start: 258, size: 515 });
  });
});
