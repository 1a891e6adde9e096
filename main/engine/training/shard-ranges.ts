/** How a batch is cut into data-parallel shards: contiguous rows, sizes differing by at most one. */

export interface ShardRange {
  start: number;
  size: number;
}

export function shardRanges(total: number, shards: number): ShardRange[] {
  const count = Math.max(1, Math.min(shards, total));
  const base = Math.floor(total / count);
  const extra = total % count;
  const ranges: ShardRange[] = [];
  let start = 0;
  for (let s = 0; s < count; s++) {
    const size = base + (s < extra ? 1 : 0);
    ranges.push({ start, size });
    start += size;
  }
  return ranges;
}

/** Each micro-batch of M is split across the shards: a shard accumulates over ⌈M / shards⌉ rows at a time. */
export function shardMicroBatch(microBatch: number | undefined, shards: number): number | undefined {
  return microBatch === undefined ? undefined : Math.max(1, Math.ceil(microBatch / shards));
}
