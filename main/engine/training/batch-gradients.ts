/**
 * The gradient of one logical batch: summed over reduction parts (micro-batches of at most
 * `microBatch` samples, cut further into thread-sized parts; shard-ranges.ts) along a fixed
 * tree (same gradient as one pass over B, memory bounded by M), optionally leaving the
 * smallest-loss samples out (the paper's discarding), and optionally with subtrees of parts
 * computed by other threads — which changes no bit of the result.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayerPairs, ShardedEstimateSettings } from '../diagnostics/curvature';
import type { GradientPart } from '../diagnostics/noise-scale';
import type { BlockEigen, SharpnessOwner, SharpnessSettings } from '../diagnostics/sharpness';
import type { Model } from '../models/model';
import { disposeBatch, rowsOf, type Batch } from './batch-source';
import { correctCount, perSampleCrossEntropy } from './loss';
import { foldTree, nodeRows, reductionParts, shardRanges, subtreeParts, treeCut, type ShardRange, type TreeNode } from './shard-ranges';
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

/** A shard's share of the gradient: its subtree's sum (host copies, one per parameter in model order) and of the loss. */
export interface ShardGradients {
  grads: Float32Array[];
  /** the subtree's loss sum and correct count, as float32 sums on the replica's device (NaN when not asked for) */
  lossSum: number;
  correct: number;
  /** ‖g_l‖² of each of its parts' gradient sums, part after part (L values each); null when not asked for */
  partSquares: Float32Array | null;
}

/**
 * Threads that compute subtrees of a batch's reduction parts on replicas of the model
 * (main/engine/shards). The first subtree is always computed here, on the model itself; the
 * s-th other one by replica s. Parts are given in rows of the whole batch.
 */
export interface GradientShards {
  /** how many threads a batch of this size may use (1: not split) */
  shardsFor(batchSize: number): number;
  /** hands the model's current weights and the batch's samples to the replicas */
  prepare(model: Model, batch: Batch): Promise<void>;
  /** per-sample losses of the rows the parts cover, part by part */
  losses(replica: number, parts: readonly ShardRange[]): Promise<SampleLosses>;
  gradients(replica: number, parts: readonly ShardRange[], mask: Float32Array | null, divisor: number, partNorms: boolean): Promise<ShardGradients>;
  /** prepare, and g for the curvature estimators where the caller has it (grads[l][p]) */
  prepareCurvature(model: Model, batch: Batch, grads: tf.Tensor[][] | null): Promise<void>;
  /** estimator 1's [κ_l, error_l] pairs of `layers` on the batch's first `rows` rows, flat; sent before it returns */
  curvature(replica: number, rows: number, layers: number[], givenGrads: boolean, settings: ShardedEstimateSettings): Promise<LayerPairs>;
  /** the top Hessian eigenvalues of sharpness `blocks` on the batch's first `rows` rows, with the replica's own warm starts; sent before it returns */
  sharpness(replica: number, rows: number, blocks: number[], evaluation: number, settings: SharpnessSettings, owner: SharpnessOwner): Promise<BlockEigen[]>;
  /** per-layer ms of the last split curvature estimate, kept for the next one (null before the first) */
  curvatureLayerMs: number[] | null;
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

/** Per-sample losses at the current weights, one forward pass without a tape per part (rows of `batch`). */
export async function sampleLosses(model: Model, batch: Batch, parts: readonly ShardRange[]): Promise<SampleLosses> {
  const losses = new Float32Array(batch.size);
  let correct = 0;
  for (const c of parts) {
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

/** A subtree's gradient sum (model parameter order) and its on-device [lossSum, correct] (null with a mask). */
interface Partial {
  grads: tf.Tensor[];
  stats: tf.Tensor | null;
}

/** Adds two partial sums, freeing both: the one addition the reduction tree is made of. */
function addPartials(a: Partial, b: Partial): Partial {
  const grads = a.grads.map((g, i) => tf.add(g, b.grads[i]!));
  const stats = a.stats && b.stats ? tf.add(a.stats, b.stats) : null;
  tf.dispose([...a.grads, ...b.grads]);
  a.stats?.dispose();
  b.stats?.dispose();
  return { grads, stats };
}

/**
 * ∇ Σ_i mask_i·loss_i / divisor over a batch, one pass per part (rows of `batch`), the parts'
 * sums added along the reduction tree (shard-ranges.ts): tensors in model parameter order.
 * With no mask it also sums the loss and the correct count on device.
 */
export function gradientSum(
  model: Model,
  batch: Batch,
  parts: readonly ShardRange[],
  mask: Float32Array | null,
  divisor: number,
  partNorms = false,
): { grads: tf.Tensor[]; stats: tf.Tensor | null; partSquares: PartSquares | null } {
  const vars = model.groups.flatMap((g) => g.params);
  // the fold visits the leaves left to right: squares[p] is part p's
  const squares: tf.Tensor1D[] = [];
  const leaf = (p: number): Partial => {
    const c = parts[p]!;
    const chunkMask = mask ? tf.tensor1d(mask.subarray(c.start, c.start + c.size)) : null;
    // cut outside the tape (inside it, the tape keeps a copy of the whole batch per part)
    const part = c.size === batch.size ? batch : rowsOf(batch, c.start, c.size);
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
    return { grads: ordered, stats: aux };
  };
  let total: Partial;
  try {
    total = foldTree({ first: 0, end: parts.length }, leaf, addPartials);
  } catch (error) {
    tf.dispose(squares);
    throw error;
  }
  const partSquares = partNorms && squares.length > 0 ? { squares: tf.stack(squares) as tf.Tensor2D } : null;
  tf.dispose(squares);
  return { grads: total.grads, stats: total.stats, partSquares };
}

/** Per-part, per-layer squared norms of the parts' gradient sums, on the device: squares[part][layer]. */
export interface PartSquares {
  squares: tf.Tensor2D;
}

/** ‖g_l‖² per layer of flat gradients in model parameter order, as one [L] tensor. */
function layerSquaredNorms(model: Model, flat: tf.Tensor[]): tf.Tensor1D {
  return tf.tidy(() => {
    let i = 0;
    return tf.stack(model.groups.map((g) => tf.addN(g.params.map(() => tf.sum(tf.square(flat[i++]!)))))) as tf.Tensor1D;
  });
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

/**
 * Per-sample losses of the whole batch (no tape), each subtree of `cut` on its thread (the first
 * here); every loss lands at its row, so sums over them do not depend on the threads.
 * `alongside` runs on this thread after its own share, while the other threads finish theirs.
 */
async function splitLosses(
  model: Model,
  batch: Batch,
  parts: readonly ShardRange[],
  cut: readonly TreeNode[],
  shards: GradientShards | null,
  alongside?: () => Promise<void>,
): Promise<SampleLosses> {
  if (cut.length === 1) {
    const all = await sampleLosses(model, batch, parts);
    await alongside?.();
    return all;
  }
  const remote = Promise.allSettled(cut.slice(1).map((n, s) => shards!.losses(s, parts.slice(n.first, n.end))));
  let ownLosses: SampleLosses;
  try {
    const own = subtreeParts(parts, cut[0]!);
    const ownRows = rowsOf(batch, own.rows.start, own.rows.size);
    ownLosses = await sampleLosses(model, ownRows, own.parts).finally(() => disposeBatch(ownRows));
    await alongside?.();
  } catch (error) {
    // settled before returning: a replica must not be written to mid-request
    await remote;
    throw error;
  }
  const all = [ownLosses, ...fulfilled(await remote)];
  const losses = new Float32Array(batch.size);
  all.forEach((p, s) => losses.set(p.losses, nodeRows(parts, cut[s]!).start));
  return { losses, correct: all.reduce((n, p) => n + p.correct, 0) };
}

const nodeKey = (node: TreeNode): string => `${node.first}:${node.end}`;

export async function batchGradients(
  model: Model,
  batch: Batch,
  microBatch: number | undefined,
  discard: DiscardRule | null,
  shards: GradientShards | null = null,
  options: BatchGradientOptions = {},
): Promise<BatchGradients> {
  const batchNorm = hasBatchNorm(model);
  const threads = shards ? shards.shardsFor(batch.size) : 1;
  const wantParts = (options.parts ?? false) && !discard;
  let parts = reductionParts(batch.size, microBatch, batchNorm, threads);
  if (wantParts && parts.length < 2 && batch.size >= 2 && !batchNorm) {
    // two halves give the same gradient (summed) and a second batch size for the noise scale;
    // not for batch norm, whose statistics would then be per half
    parts = shardRanges(batch.size, 2);
  }
  const cut = treeCut(parts.length, threads);
  const own = subtreeParts(parts, cut[0]!);
  if (cut.length > 1) await shards!.prepare(model, batch);
  const remoteNodes = cut.slice(1);

  let mask: Float32Array | null = null;
  let stats: { lossSum: number; correct: number } | null = null;
  if (discard) {
    // one forward pass without a tape to rank the samples by loss, over the whole batch
    const ranked = await splitLosses(model, batch, parts, cut, shards);
    mask = discardMask(ranked.losses, discard);
    stats = { lossSum: ranked.losses.reduce((a, b) => a + b, 0), correct: ranked.correct };
  }
  const kept = mask ? mask.reduce((a, b) => a + b, 0) : batch.size;
  const maskOf = (node: TreeNode): Float32Array | null => {
    if (!mask) return null;
    const rows = nodeRows(parts, node);
    return mask.slice(rows.start, rows.start + rows.size);
  };
  // settle every request before returning, even on failure: a replica must not be written to mid-step
  const remoteSettled = Promise.allSettled(remoteNodes.map((n, s) => shards!.gradients(s, parts.slice(n.first, n.end), maskOf(n), kept, wantParts)));
  const ownRows = own.rows.size === batch.size ? batch : rowsOf(batch, own.rows.start, own.rows.size);
  let summed: ReturnType<typeof gradientSum>;
  try {
    summed = gradientSum(model, ownRows, own.parts, maskOf(cut[0]!), kept, wantParts);
  } catch (error) {
    await remoteSettled;
    throw error;
  } finally {
    if (ownRows !== batch) disposeBatch(ownRows);
  }
  let grads = summed.grads;
  let ownStats = summed.stats;
  let gradientParts: GradientPart[] | null = null;
  try {
    const remote = fulfilled(await remoteSettled);
    if (summed.partSquares) {
      const width = model.groups.length;
      const read = await readValues(summed.partSquares.squares);
      const flat = [read, ...remote.map((r) => r.partSquares ?? new Float32Array(0))];
      // a part's gradient sum over `kept` becomes its mean gradient
      const scale = (size: number): number => (kept / size) ** 2;
      let p = 0;
      const all: GradientPart[] = [];
      for (const block of flat) {
        for (let at = 0; at + width <= block.length; at += width, p++) {
          all.push({ samples: parts[p]!.size, squaredNorms: Array.from(block.subarray(at, at + width), (v) => v * scale(parts[p]!.size)) });
        }
      }
      gradientParts = all.length >= 2 ? all : null;
    }
    if (remote.length > 0) {
      // the other threads' subtrees join the tree where one thread would have computed them
      const vars = model.groups.flatMap((g) => g.params);
      const given = new Map<string, Partial>([[nodeKey(cut[0]!), { grads, stats: ownStats }]]);
      remote.forEach((r, s) =>
        given.set(nodeKey(remoteNodes[s]!), {
          grads: vars.map((v, i) => tf.tensor(r.grads[i]!, v.shape, 'float32')),
          stats: mask ? null : tf.tensor1d([r.lossSum, r.correct], 'float32'),
        }),
      );
      const total = foldTree({ first: 0, end: parts.length }, () => {
        throw new Error('reduction tree: a part no thread computed');
      }, addPartials, given);
      grads = total.grads;
      ownStats = total.stats;
    }
    if (!stats) {
      stats = await readStats(ownStats!);
      ownStats = null;
    }
  } catch (error) {
    grads.forEach((t) => t.dispose());
    ownStats?.dispose();
    throw error;
  } finally {
    summed.partSquares?.squares.dispose();
  }
  return { grads: byLayer(model, grads), loss: stats.lossSum / batch.size, accuracy: stats.correct / batch.size, discarded: batch.size - kept, parts: gradientParts };
}

/**
 * Mean loss of the batch at the current weights (no tape), by reduction parts, split across
 * threads like the gradient. `alongside`, if given, is work for this thread that it does
 * while the other threads compute their shares (it runs once, whether or not the batch is split).
 */
export async function batchLoss(model: Model, batch: Batch, microBatch: number | undefined, shards: GradientShards | null = null, alongside?: () => Promise<void>): Promise<number> {
  const threads = shards ? shards.shardsFor(batch.size) : 1;
  const parts = reductionParts(batch.size, microBatch, hasBatchNorm(model), threads);
  const cut = treeCut(parts.length, threads);
  if (cut.length > 1) await shards!.prepare(model, batch);
  const { losses } = await splitLosses(model, batch, parts, cut, shards, alongside);
  // summed in row order whatever the threads
  return losses.reduce((a, b) => a + b, 0) / batch.size;
}
