/**
 * The gradient of one logical batch: accumulated over micro-batches of at most
 * `microBatch` samples (same gradient as one pass over B, memory bounded by M),
 * optionally leaving the smallest-loss samples out (the paper's discarding), and
 * optionally split into data-parallel shards computed by other threads.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GradientPart } from '../diagnostics/noise-scale';
import type { Model } from '../models/model';
import { disposeBatch, rowsOf, type Batch } from './batch-source';
import { correctCount, perSampleCrossEntropy } from './loss';
import { shardMicroBatch, shardRanges, type ShardRange } from './shard-ranges';
import { readValues } from './read-back';

export interface DiscardRule {
  fraction?: number;
  threshold?: number;
}

export interface BatchGradients {
  /** grads[l][p] matches model.groups[l].params[p] */
  grads: tf.Tensor[][];
  /** mean loss over the whole batch (discarded samples included) */
  loss: number;
  accuracy: number;
  discarded: number;
  /**
   * The batch's parts (micro-batches, shards, or two halves) with the squared norms of their
   * mean gradients per layer, for the gradient noise scale; null when not asked for, when
   * discarding (the kept samples are no longer a random draw), or when a batch-norm model
   * has no natural parts (splitting would change its batch statistics).
   */
  parts: GradientPart[] | null;
}

export interface BatchGradientOptions {
  /** measure the parts' gradient norms (BatchGradients.parts) */
  parts?: boolean;
}

/** Per-sample losses of some rows, with how many of them the model classifies right. */
export interface SampleLosses {
  losses: Float32Array;
  correct: number;
}

/** A shard's share of the gradient (host copies, one per parameter in model order) and of the loss. */
export interface ShardGradients {
  grads: Float32Array[];
  /** loss summed over the shard's samples, and its correct count (both NaN when not asked for) */
  lossSum: number;
  correct: number;
}

/**
 * Threads that compute shards of a batch on replicas of the model (main/engine/shards).
 * Shard 0 is always computed here, on the model itself; shard s ≥ 1 by `compute(s - 1, …)`.
 */
export interface GradientShards {
  /** how many shards a batch of this size is split into (1: not split) */
  shardsFor(batchSize: number): number;
  /** hands the model's current weights and the batch's samples to the replicas */
  prepare(model: Model, batch: Batch): Promise<void>;
  losses(replica: number, range: ShardRange, microBatch: number | undefined): Promise<SampleLosses>;
  gradients(replica: number, range: ShardRange, microBatch: number | undefined, mask: Float32Array | null, divisor: number): Promise<ShardGradients>;
}

interface Chunk {
  start: number;
  size: number;
}

export function chunksOf(total: number, microBatch: number | undefined): Chunk[] {
  const m = Math.max(1, Math.min(microBatch ?? total, total));
  const chunks: Chunk[] = [];
  for (let start = 0; start < total; start += m) chunks.push({ start, size: Math.min(m, total - start) });
  return chunks;
}

/** Which samples to keep (1) or leave out (0), from their losses. Always keeps at least one. */
export function discardMask(losses: Float32Array, rule: DiscardRule): Float32Array {
  const mask = new Float32Array(losses.length).fill(1);
  if (rule.fraction !== undefined) {
    const drop = Math.min(Math.floor(rule.fraction * losses.length), losses.length - 1);
    const order = Array.from(losses.keys()).sort((a, b) => losses[a]! - losses[b]!);
    for (let i = 0; i < drop; i++) mask[order[i]!] = 0;
  } else if (rule.threshold !== undefined) {
    let kept = 0;
    losses.forEach((l, i) => {
      if (l < rule.threshold!) mask[i] = 0;
      else kept++;
    });
    if (kept === 0) mask[losses.indexOf(Math.max(...losses))] = 1;
  }
  return mask;
}

/** Per-sample losses at the current weights, one forward pass without a tape, micro-batched. */
export async function sampleLosses(model: Model, batch: Batch, microBatch: number | undefined): Promise<SampleLosses> {
  const losses = new Float32Array(batch.size);
  let correct = 0;
  for (const c of chunksOf(batch.size, microBatch)) {
    const part = c.size === batch.size ? batch : rowsOf(batch, c.start, c.size);
    const [l, k] = tf.tidy(() => {
      const logits = model.apply(part.x, { training: true, updateStats: false });
      return [perSampleCrossEntropy(logits, part.oneHot), correctCount(logits, part.labels)];
    });
    if (part !== batch) disposeBatch(part);
    try {
      const [lossValues, correctValue] = await Promise.all([readValues(l!), readValues(k!)]);
      losses.set(lossValues as Float32Array, c.start);
      correct += correctValue[0]!;
    } finally {
      l!.dispose();
      k!.dispose();
    }
  }
  return { losses, correct };
}

/**
 * ∇ Σ_i mask_i·loss_i / divisor over a batch, accumulated over micro-batches: tensors in
 * model parameter order. With no mask it also sums the loss and the correct count on device.
 */
export function gradientSum(
  model: Model,
  batch: Batch,
  microBatch: number | undefined,
  mask: Float32Array | null,
  divisor: number,
  partNorms = false,
): { grads: tf.Tensor[]; stats: tf.Tensor | null; partSquares: PartSquares | null } {
  const vars = model.groups.flatMap((g) => g.params);
  const chunks = chunksOf(batch.size, microBatch);
  let summed: tf.Tensor[] | null = null;
  let onDevice: tf.Tensor | null = null;
  const squares: tf.Tensor1D[] = [];
  for (const c of chunks) {
    const chunkMask = mask ? tf.tensor1d(mask.subarray(c.start, c.start + c.size)) : null;
    // cut outside the tape (inside it, the tape keeps a copy of the whole batch per micro-batch)
    const part = chunks.length === 1 ? batch : rowsOf(batch, c.start, c.size);
    const { x, oneHot, labels } = part;
    let aux: tf.Tensor | null = null;
    const { grads, value } = tf.variableGrads(() => {
      const logits = model.apply(x, { training: true, updateStats: true });
      const perSample = perSampleCrossEntropy(logits, oneHot);
      if (!mask) aux = tf.keep(tf.stack([tf.sum(perSample), correctCount(logits, labels)]));
      const weighted = chunkMask ? tf.mul(perSample, chunkMask) : perSample;
      return tf.div(tf.sum(weighted), divisor) as tf.Scalar;
    }, vars);
    value.dispose();
    chunkMask?.dispose();
    if (part !== batch) disposeBatch(part);
    const ordered = vars.map((v) => grads[v.name]!);
    if (partNorms) squares.push(layerSquaredNorms(model, ordered));
    if (summed === null) summed = ordered;
    else {
      const prev: tf.Tensor[] = summed;
      summed = prev.map((s, i) => tf.add(s, ordered[i]!));
      prev.forEach((t) => t.dispose());
      ordered.forEach((t) => t.dispose());
    }
    if (aux) {
      if (onDevice === null) onDevice = aux;
      else {
        const prev: tf.Tensor = onDevice;
        onDevice = tf.add(prev, aux);
        prev.dispose();
        (aux as tf.Tensor).dispose();
      }
    }
  }
  const partSquares = partNorms && squares.length > 0 ? { sizes: chunks.map((c) => c.size), squares: tf.stack(squares) as tf.Tensor2D } : null;
  tf.dispose(squares);
  return { grads: summed!, stats: onDevice, partSquares };
}

/** Per-part, per-layer squared norms of the parts' gradient sums, on the device: squares[part][layer]. */
export interface PartSquares {
  sizes: number[];
  squares: tf.Tensor2D;
}

/** ‖g_l‖² per layer of flat gradients in model parameter order, as one [L] tensor. */
function layerSquaredNorms(model: Model, flat: tf.Tensor[]): tf.Tensor1D {
  return tf.tidy(() => {
    let i = 0;
    return tf.stack(model.groups.map((g) => tf.addN(g.params.map(() => tf.sum(tf.square(flat[i++]!)))))) as tf.Tensor1D;
  });
}

/** Host ‖g_l‖² per layer of a shard's host gradients. */
function hostLayerSquaredNorms(model: Model, flat: Float32Array[]): number[] {
  let i = 0;
  return model.groups.map((g) =>
    g.params.reduce((sum) => {
      const values = flat[i++]!;
      let s = 0;
      for (let k = 0; k < values.length; k++) s += values[k]! * values[k]!;
      return sum + s;
    }, 0),
  );
}

/** Reads (and frees) the parts' squared norms; a part's gradient sum over `divisor` becomes its mean gradient. */
async function readParts(partSquares: PartSquares, divisor: number): Promise<GradientPart[]> {
  try {
    const width = partSquares.squares.shape[1]!;
    const flat = await readValues(partSquares.squares);
    return partSquares.sizes.map((samples, p) => {
      const scale = (divisor / samples) ** 2;
      return { samples, squaredNorms: Array.from(flat.subarray(p * width, (p + 1) * width), (v) => v * scale) };
    });
  } finally {
    partSquares.squares.dispose();
  }
}

const hasBatchNorm = (model: Model): boolean => model.groups.some((g) => g.kind === 'batchnorm');

/** Reads (and frees) the on-device [lossSum, correct] pair of gradientSum. */
export async function readStats(stats: tf.Tensor): Promise<{ lossSum: number; correct: number }> {
  try {
    const values = await readValues(stats);
    return { lossSum: values[0]!, correct: values[1]! };
  } finally {
    stats.dispose();
  }
}

/** The values of settled requests, or the first failure (all are awaited first, so none is left running). */
function fulfilled<T>(settled: PromiseSettledResult<T>[]): T[] {
  const failed = settled.find((s) => s.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<T>).value);
}

function byLayer(model: Model, flat: tf.Tensor[]): tf.Tensor[][] {
  let i = 0;
  return model.groups.map((g) => g.params.map(() => flat[i++]!));
}

export async function batchGradients(
  model: Model,
  batch: Batch,
  microBatch: number | undefined,
  discard: DiscardRule | null,
  shards: GradientShards | null = null,
  options: BatchGradientOptions = {},
): Promise<BatchGradients> {
  const shardCount = shards ? shards.shardsFor(batch.size) : 1;
  const wantParts = (options.parts ?? false) && !discard;
  if (shards && shardCount > 1) return shardedGradients(model, batch, microBatch, discard, shards, shardCount, wantParts);
  let chunkSize = microBatch;
  if (wantParts && chunksOf(batch.size, microBatch).length < 2 && batch.size >= 2) {
    // two halves give the same gradient (summed) and a second batch size for the noise scale;
    // not for batch norm, whose statistics would then be per half
    chunkSize = hasBatchNorm(model) ? microBatch : Math.ceil(batch.size / 2);
  }
  let mask: Float32Array | null = null;
  let stats: { lossSum: number; correct: number } | null = null;
  if (discard) {
    // one forward pass without a tape to rank the samples by loss
    const ranked = await sampleLosses(model, batch, microBatch);
    mask = discardMask(ranked.losses, discard);
    stats = { lossSum: ranked.losses.reduce((a, b) => a + b, 0), correct: ranked.correct };
  }
  const kept = mask ? mask.reduce((a, b) => a + b, 0) : batch.size;
  const summed = gradientSum(model, batch, chunkSize, mask, kept, wantParts);
  let parts: GradientPart[] | null = null;
  try {
    if (!stats) stats = await readStats(summed.stats!);
    if (summed.partSquares) {
      const read = await readParts(summed.partSquares, kept);
      summed.partSquares = null;
      parts = read.length >= 2 ? read : null;
    }
  } catch (error) {
    summed.grads.forEach((t) => t.dispose());
    summed.partSquares?.squares.dispose();
    throw error;
  }
  return { grads: byLayer(model, summed.grads), loss: stats.lossSum / batch.size, accuracy: stats.correct / batch.size, discarded: batch.size - kept, parts };
}

/**
 * The same gradient, the batch split into contiguous shards: shard 0 here, the others on
 * replicas at the same weights, each micro-batched at ⌈M / shards⌉ (so each micro-batch of M
 * is, in effect, split across the threads). Per-sample losses come back from every shard
 * before the discard cut, which is made over the whole batch as without shards; the shards'
 * gradients are summed in shard order, so a run is reproducible for a given thread count.
 */
async function shardedGradients(
  model: Model,
  batch: Batch,
  microBatch: number | undefined,
  discard: DiscardRule | null,
  shards: GradientShards,
  shardCount: number,
  wantParts: boolean,
): Promise<BatchGradients> {
  const ranges = shardRanges(batch.size, shardCount);
  const micro = shardMicroBatch(microBatch, shardCount);
  const local = (range: ShardRange): Batch => rowsOf(batch, range.start, range.size);
  await shards.prepare(model, batch);
  let mask: Float32Array | null = null;
  let stats: { lossSum: number; correct: number } | null = null;
  if (discard) {
    const remote = Promise.allSettled(ranges.slice(1).map((r, s) => shards.losses(s, r, micro)));
    const own = local(ranges[0]!);
    const parts = [await sampleLosses(model, own, micro).finally(() => disposeBatch(own)), ...fulfilled(await remote)];
    const losses = new Float32Array(batch.size);
    parts.forEach((p, s) => losses.set(p.losses, ranges[s]!.start));
    mask = discardMask(losses, discard);
    stats = { lossSum: losses.reduce((a, b) => a + b, 0), correct: parts.reduce((n, p) => n + p.correct, 0) };
  }
  const kept = mask ? mask.reduce((a, b) => a + b, 0) : batch.size;
  const maskOf = (r: ShardRange): Float32Array | null => (mask ? mask.slice(r.start, r.start + r.size) : null);
  const remote = ranges.slice(1).map((r, s) => shards.gradients(s, r, micro, maskOf(r), kept));
  // settle every request before returning, even on failure: a replica must not be written to mid-step
  const remoteSettled = Promise.allSettled(remote);
  const own = local(ranges[0]!);
  let summed: tf.Tensor[];
  let ownStats: tf.Tensor | null;
  try {
    ({ grads: summed, stats: ownStats } = gradientSum(model, own, micro, maskOf(ranges[0]!), kept));
  } finally {
    disposeBatch(own);
  }
  // the shards are the parts of the noise scale: shard 0's norms from the device, the others' from their host copies
  let ownSquares: tf.Tensor1D | null = wantParts ? layerSquaredNorms(model, summed) : null;
  const settled = await remoteSettled;
  let gradientParts: GradientPart[] | null = null;
  try {
    const parts = fulfilled(settled);
    if (ownSquares) {
      const ownNorms = Array.from(await readValues(ownSquares));
      ownSquares.dispose();
      ownSquares = null;
      const meanScale = (size: number): number => (kept / size) ** 2;
      gradientParts = [
        { samples: ranges[0]!.size, squaredNorms: ownNorms.map((v) => v * meanScale(ranges[0]!.size)) },
        ...parts.map((p, s) => ({ samples: ranges[s + 1]!.size, squaredNorms: hostLayerSquaredNorms(model, p.grads).map((v) => v * meanScale(ranges[s + 1]!.size)) })),
      ];
    }
    if (!stats) {
      const first = await readStats(ownStats!);
      ownStats = null;
      stats = parts.reduce((acc, p) => ({ lossSum: acc.lossSum + p.lossSum, correct: acc.correct + p.correct }), first);
    }
    // fixed order: ((g0 + g1) + g2) + …
    for (const part of parts) {
      summed = summed.map((g, i) =>
        tf.tidy(() => {
          const sum = tf.add(g, tf.tensor(part.grads[i]!, g.shape, 'float32'));
          g.dispose();
          return sum;
        }),
      );
    }
  } catch (error) {
    summed.forEach((t) => t.dispose());
    ownStats?.dispose();
    ownSquares?.dispose();
    throw error;
  }
  return {
    grads: byLayer(model, summed),
    loss: stats.lossSum / batch.size,
    accuracy: stats.correct / batch.size,
    discarded: batch.size - kept,
    parts: gradientParts,
  };
}

/** Mean loss of the batch at the current weights (no tape), micro-batched, sharded like the gradient. */
export async function batchLoss(model: Model, batch: Batch, microBatch: number | undefined, shards: GradientShards | null = null): Promise<number> {
  const shardCount = shards ? shards.shardsFor(batch.size) : 1;
  if (!shards || shardCount === 1) {
    const { losses } = await sampleLosses(model, batch, microBatch);
    return losses.reduce((a, b) => a + b, 0) / batch.size;
  }
  const ranges = shardRanges(batch.size, shardCount);
  const micro = shardMicroBatch(microBatch, shardCount);
  await shards.prepare(model, batch);
  const remote = Promise.allSettled(ranges.slice(1).map((r, s) => shards.losses(s, r, micro)));
  const own = rowsOf(batch, ranges[0]!.start, ranges[0]!.size);
  const parts = [await sampleLosses(model, own, micro).finally(() => disposeBatch(own)), ...fulfilled(await remote)];
  let sum = 0;
  for (const p of parts) sum += p.losses.reduce((a, b) => a + b, 0);
  return sum / batch.size;
}
