import { describe, expect, it } from 'vitest';
import { forkWorker } from '../../main/worker/fork-worker';
import type { WorkerMessage } from '../../common/worker-protocol';

function collect(spec: unknown, onMessage?: (m: WorkerMessage, kill: () => void) => void) {
  const messages: WorkerMessage[] = [];
  const handle = forkWorker(spec as never, (m) => {
    messages.push(m);
    onMessage?.(m, () => handle.kill());
  });
  return { messages, handle };
}

const spec = { dataset: { kind: 'blobs', samples: 800 }, model: { kind: 'mlp', hidden: [8] }, batch: { size: 32 }, training: { epochs: 2 } };

describe('training worker process', () => {
  it('runs a spec in a forked process and speaks the protocol', async () => {
    const { messages, handle } = collect(spec);
    let sends = 0;
    handle.child.on('message', () => sends++);
    const exit = await handle.exited;
    // per-step messages travel together (message-coalescer.ts): a step's record, layers and progress at least
    expect(sends).toBeLessThan(messages.length / 2);
    expect(messages.filter((m) => m.type === 'step').map((m) => (m as Extract<WorkerMessage, { type: 'step' }>).metrics.step)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(exit.code).toBe(0);
    const types = messages.map((m) => m.type);
    expect(types[0]).toBe('ready');
    expect(types[1]).toBe('started');
    expect(types.at(-1)).toBe('finished');
    expect(types.filter((t) => t === 'step')).toHaveLength(40);
    expect(types).toContain('layers');
    expect(types).toContain('eval');
    expect(types).toContain('progress');
    const started = messages[1] as Extract<WorkerMessage, { type: 'started' }>;
    expect(started.info.backend.name).toMatch(/wasm|cpu|tensorflow/);
    expect(started.info.backend.version).toMatch(/^\d+\.\d+/);
    const finished = messages.at(-1) as Extract<WorkerMessage, { type: 'finished' }>;
    expect(finished.summary).toMatchObject({ status: 'completed', steps: 40, samplesSeen: 1280 });
  });

  it('reports an invalid spec as failed with the field path', async () => {
    const { messages, handle } = collect({ ...spec, batch: { size: 0 } });
    await handle.exited;
    const failed = messages.find((m) => m.type === 'failed') as Extract<WorkerMessage, { type: 'failed' }>;
    expect(failed.error.name).toBe('SpecError');
    expect(failed.error.message).toMatch(/batch\.size/);
  });

  it('stops on cancel with status cancelled', async () => {
    const { messages, handle } = collect({ ...spec, training: { epochs: 500 } }, (m) => {
      if (m.type === 'step' && m.metrics.step === 5) handle.cancel();
    });
    await handle.exited;
    const finished = messages.find((m) => m.type === 'finished') as Extract<WorkerMessage, { type: 'finished' }>;
    expect(finished.summary.status).toBe('cancelled');
    expect(finished.summary.steps).toBeLessThan(1000);
  });

  it('ends its replica threads with the run, so the process exits by itself', async () => {
    const { messages, handle } = collect({ ...spec, batch: { size: 64 }, training: { steps: 6 }, threads: 2 });
    const exit = await handle.exited;
    expect(exit.code).toBe(0);
    const started = messages.find((m) => m.type === 'started') as Extract<WorkerMessage, { type: 'started' }>;
    expect(started.info.threads).toBe(2);
    const finished = messages.at(-1) as Extract<WorkerMessage, { type: 'finished' }>;
    expect(finished.summary).toMatchObject({ status: 'completed', steps: 6 });
  });
});
