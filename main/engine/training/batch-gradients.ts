/**
 * The gradient of one logical batch: accumulated over micro-batches of at most
 * `microBatch` samples (same gradient as one pass over B, memory bounded by M),
 * optionally leaving the smallest-loss samples out (the paper's discarding).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Model } from '../models/model';
import { disposeBatch, rowsOf, type Batch } from './batch-source';
import { correctCount, perSampleCrossEntropy } from './loss';

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

export function batchGradients(model: Model, batch: Batch, microBatch: number | undefined, discard: DiscardRule | null): BatchGradients {
  const vars = model.groups.flatMap((g) => g.params);
  const chunks = chunksOf(batch.size, microBatch);
  let mask: Float32Array | null = null;
  let stats: { lossSum: number; correct: number } | null = null;
  if (discard) {
    // one forward pass without a tape to rank the samples by loss
    const losses = new Float32Array(batch.size);
    let correct = 0;
    for (const c of chunks) {
      const part = rowsOf(batch, c.start, c.size);
      const [l, k] = tf.tidy(() => {
        const logits = model.apply(part.x, { training: true, updateStats: false });
        return [perSampleCrossEntropy(logits, part.oneHot), correctCount(logits, part.labels)];
      });
      disposeBatch(part);
      losses.set(l!.dataSync() as Float32Array, c.start);
      correct += k!.dataSync()[0]!;
      l!.dispose();
      k!.dispose();
    }
    mask = discardMask(losses, discard);
    stats = { lossSum: losses.reduce((a, b) => a + b, 0), correct };
  }
  const kept = mask ? mask.reduce((a, b) => a + b, 0) : batch.size;
  let summed: tf.Tensor[] | null = null;
  let onDevice: tf.Tensor | null = null;
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
      return tf.div(tf.sum(weighted), kept) as tf.Scalar;
    }, vars);
    value.dispose();
    chunkMask?.dispose();
    if (part !== batch) disposeBatch(part);
    const ordered = vars.map((v) => grads[v.name]!);
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
  if (!stats) {
    const values = onDevice!.dataSync();
    onDevice!.dispose();
    stats = { lossSum: values[0]!, correct: values[1]! };
  }
  const grads: tf.Tensor[][] = [];
  let i = 0;
  for (const g of model.groups) grads.push(g.params.map(() => summed![i++]!));
  return { grads, loss: stats.lossSum / batch.size, accuracy: stats.correct / batch.size, discarded: batch.size - kept };
}

/** Mean loss of the batch at the current weights (no tape), micro-batched. */
export function batchLoss(model: Model, batch: Batch, microBatch: number | undefined): number {
  let sum = 0;
  const chunks = chunksOf(batch.size, microBatch);
  for (const c of chunks) {
    const part = chunks.length === 1 ? batch : rowsOf(batch, c.start, c.size);
    const s = tf.tidy(() => tf.sum(perSampleCrossEntropy(model.apply(part.x, { training: true, updateStats: false }), part.oneHot)));
    if (part !== batch) disposeBatch(part);
    sum += s.dataSync()[0]!;
    s.dispose();
  }
  return sum / batch.size;
}
