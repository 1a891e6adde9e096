/**
 * The worker protocol's messages as a schema, for senders main does not trust: the GPU
 * window is a renderer (docs/webgpu.md), so what it posts is checked field by field before
 * the runner stores it. Typed against WorkerMessage, so the two cannot drift apart.
 */
import { z } from 'zod';
import type { WorkerMessage } from './worker-protocol';

// metrics may be NaN (an accuracy not measured) or ±Infinity (a loss that diverged); z.number() refuses both
const num = z.custom<number>((v) => typeof v === 'number', { error: 'expected a number' });
const count = z.number().int().nonnegative();
const text = z.string().max(100_000);

const gpuAdapter = z.strictObject({ vendor: text, architecture: text, device: text, description: text, software: z.boolean() });
const backendInfo = z.strictObject({
  name: text,
  package: text,
  version: text,
  gpu: z.boolean(),
  fallbacks: z.array(z.strictObject({ name: text, error: text })).max(16),
  adapter: gpuAdapter.optional(),
});
const layerInfo = z.strictObject({
  name: text,
  kind: z.enum(['dense', 'conv', 'batchnorm']),
  paramCount: count,
  shapes: z.array(z.array(count).max(8)).max(16),
});
const evalMetrics = z.strictObject({ step: count, epoch: num, trainLoss: num, trainAccuracy: num, testLoss: num, testAccuracy: num, gap: num, wallMs: num });

const schema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('ready'), pid: count }),
  z.strictObject({
    type: z.literal('started'),
    info: z.strictObject({
      backend: backendInfo,
      layers: z.array(layerInfo).max(10_000),
      paramCount: count,
      trainSamples: count,
      testSamples: count,
      totalSteps: count,
      epochs: num,
      threads: count.optional(),
    }),
  }),
  z.strictObject({
    type: z.literal('step'),
    metrics: z.strictObject({
      step: count,
      epoch: num,
      loss: num,
      accuracy: num,
      batchSize: count,
      samplesSeen: count,
      discarded: count,
      lr: num,
      lossUpdate: num.nullable(),
      noiseScale: num.nullable(),
      sharpness: num.nullable(),
      stepMs: num,
      wallMs: num,
    }),
  }),
  z.strictObject({
    type: z.literal('layers'),
    metrics: z
      .array(
        z.strictObject({
          step: count,
          layer: count,
          gradNorm: num,
          weightNorm: num,
          updateNorm: num,
          effectiveLr: num,
          lossUpdateShare: num.nullable(),
          curvature: num.nullable(),
          curvatureError: num.nullable(),
          noiseScale: num.nullable(),
          sharpness: num.nullable(),
          distanceFromInit: num.nullable(),
          updateCosine: num.nullable(),
        }),
      )
      .max(10_000),
  }),
  z.strictObject({ type: z.literal('eval'), metrics: evalMetrics }),
  z.strictObject({
    type: z.literal('event'),
    event: z.strictObject({ step: count, kind: z.enum(['batch-size', 'discard', 'note']), detail: z.record(z.string(), z.unknown()) }),
    seq: count.optional(),
  }),
  z.strictObject({ type: z.literal('assigned'), worker: z.strictObject({ name: text, host: text, pid: count }), attempt: count.optional() }),
  z.strictObject({
    type: z.literal('progress'),
    progress: z.strictObject({ step: count, totalSteps: count, epoch: num, loss: num, accuracy: num, samplesPerSec: num, etaMs: num }),
  }),
  z.strictObject({
    type: z.literal('finished'),
    summary: z.strictObject({
      status: z.enum(['completed', 'diverged', 'cancelled']),
      steps: count,
      epoch: num,
      samplesSeen: count,
      wallMs: num,
      samplesPerSec: num,
      lastEval: evalMetrics.nullable(),
      reason: text.optional(),
      noiseScale: num.nullable().optional(),
      sharpness: num.nullable().optional(),
    }),
  }),
  z.strictObject({ type: z.literal('failed'), error: z.strictObject({ name: text, message: text, stack: text.optional() }) }),
]);

// compile-time: the schema's output is exactly a WorkerMessage, and every WorkerMessage fits the schema
type Parsed = z.infer<typeof schema>;
const sameShape: [Parsed extends WorkerMessage ? true : false, WorkerMessage extends Parsed ? true : false] = [true, true];
void sameShape;

/** A WorkerMessage, or an error naming the first field that is wrong (e.g. `step.metrics.loss: expected a number`). */
export function parseWorkerMessage(value: unknown): { ok: true; message: WorkerMessage } | { ok: false; error: string } {
  const result = schema.safeParse(value);
  if (result.success) return { ok: true, message: result.data as WorkerMessage };
  const issue = result.error.issues[0]!;
  const type = typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string' ? (value as { type: string }).type : '(no type)';
  return { ok: false, error: `${[type, ...issue.path.map(String)].join('.')}: ${issue.message}` };
}
