/**
 * How a batch is cut for its gradient: into reduction parts, fixed by the batch (its size, the
 * micro-batch, whether the model has batch norm) and never by the thread count, summed along one
 * balanced binary tree. Threads take whole subtrees (a cut of the tree), so one thread and two
 * add the same float32 partial sums in the same order: the gradient, and the whole run, come out
 * bit for bit the same whatever the thread count (issue #10's "same numbers").
 */
import { minSamplesPerShard } from '../../../common/threads';

export interface ShardRange {
  start: number;
  size: number;
}

/** Contiguous rows, sizes differing by at most one. */
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

/** Micro-batches of at most `microBatch` rows (one chunk of all rows without it). */
export function chunksOf(total: number, microBatch: number | undefined): ShardRange[] {
  const m = Math.max(1, Math.min(microBatch ?? total, total));
  const chunks: ShardRange[] = [];
  for (let start = 0; start < total; start += m) chunks.push({ start, size: Math.min(m, total - start) });
  return chunks;
}

/**
 * The reduction parts of a batch. Without batch norm: its micro-batches, each cut into parts of
 * `minSamplesPerShard` to 2·minSamplesPerShard − 1 rows (a thread's worth; one pass over 256 rows
 * costs the MLP no more per sample than one over 1024, docs/benchmarks.md "Threads"). With batch
 * norm a part is a batch-statistics group, so parts are the micro-batches — unless there are fewer
 * than `threads`, when the batch is first split into `threads` shards, each micro-batched at
 * ⌈M / threads⌉: the multi-device rule (statistics per shard), the one case where the thread count
 * changes the numbers (docs/methods.md).
 */
export function reductionParts(total: number, microBatch: number | undefined, batchNorm: boolean, threads = 1): ShardRange[] {
  const chunks = chunksOf(total, microBatch);
  if (batchNorm) {
    if (threads <= 1 || chunks.length >= threads) return chunks;
    const micro = microBatch === undefined ? undefined : Math.max(1, Math.ceil(microBatch / threads));
    return shardRanges(total, threads).flatMap((s) => chunksOf(s.size, micro).map((c) => ({ start: s.start + c.start, size: c.size })));
  }
  return chunks.flatMap((c) => shardRanges(c.size, Math.max(1, Math.floor(c.size / minSamplesPerShard))).map((p) => ({ start: c.start + p.start, size: p.size })));
}

/** A node of the reduction tree: parts [first, end). */
export interface TreeNode {
  first: number;
  end: number;
}

/** A node's two children: the left one takes the larger half. */
export function children(node: TreeNode): [TreeNode, TreeNode] {
  const mid = node.first + Math.ceil((node.end - node.first) / 2);
  return [
    { first: node.first, end: mid },
    { first: mid, end: node.end },
  ];
}

/**
 * Up to `pieces` subtrees that together hold every part, in part order: from the root, the
 * largest node (the leftmost of equals) is split until there are `pieces` (or only leaves).
 */
export function treeCut(parts: number, pieces: number): TreeNode[] {
  let cut: TreeNode[] = [{ first: 0, end: parts }];
  while (cut.length < pieces) {
    let widest = -1;
    cut.forEach((n, i) => {
      if (n.end - n.first >= 2 && (widest < 0 || n.end - n.first > cut[widest]!.end - cut[widest]!.first)) widest = i;
    });
    if (widest < 0) break;
    cut = [...cut.slice(0, widest), ...children(cut[widest]!), ...cut.slice(widest + 1)];
  }
  return cut;
}

/**
 * The tree's sum: leaves from `leaf(part)`, inner nodes `add(left, right)`, left before right
 * (so at most one partial per level is alive at a time). `given` supplies whole subtrees already
 * summed (a thread's share, keyed `first:end`); `add` owns both arguments.
 */
export function foldTree<T>(node: TreeNode, leaf: (part: number) => T, add: (left: T, right: T) => T, given?: ReadonlyMap<string, T>): T {
  const known = given?.get(`${node.first}:${node.end}`);
  if (known !== undefined) return known;
  if (node.end - node.first === 1) return leaf(node.first);
  const [left, right] = children(node);
  const l = foldTree(left, leaf, add, given);
  return add(l, foldTree(right, leaf, add, given));
}

/** The rows parts [first, end) cover (parts are contiguous and in order). */
export function nodeRows(parts: readonly ShardRange[], node: TreeNode): ShardRange {
  const start = parts[node.first]!.start;
  const last = parts[node.end - 1]!;
  return { start, size: last.start + last.size - start };
}

/** The rows a subtree covers, and its parts relative to them (what the thread computing it works on). */
export function subtreeParts(parts: readonly ShardRange[], node: TreeNode): { rows: ShardRange; parts: ShardRange[] } {
  const rows = nodeRows(parts, node);
  return { rows, parts: parts.slice(node.first, node.end).map((p) => ({ start: p.start - rows.start, size: p.size })) };
}
