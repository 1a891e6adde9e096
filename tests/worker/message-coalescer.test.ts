/** The training worker's outgoing envelopes (main/worker/message-coalescer.ts) and their opening on the parent's side. */
import { describe, expect, it } from 'vitest';
import { openEnvelope, type WorkerEnvelope, type WorkerMessage } from '../../common/worker-protocol';
import { MessageCoalescer } from '../../main/worker/message-coalescer';

const step = (n: number): WorkerMessage => ({ type: 'step', metrics: { step: n } as never });
const progress = (n: number): WorkerMessage => ({ type: 'progress', progress: { step: n } as never });
const event = (n: number): WorkerMessage => ({ type: 'event', event: { step: n, kind: 'note', detail: {} } as never });

function recorder(): { sent: WorkerEnvelope[]; send: (e: WorkerEnvelope) => Promise<void> } {
  const sent: WorkerEnvelope[] = [];
  return { sent, send: async (e) => void sent.push(e) };
}

describe('MessageCoalescer', () => {
  it('sends per-step messages together after the delay, keeping only the newest progress', async () => {
    const { sent, send } = recorder();
    const out = new MessageCoalescer(send, 20);
    void out.push(step(1));
    void out.push(progress(1));
    void out.push(step(2));
    void out.push(progress(2));
    expect(sent).toHaveLength(0);
    await new Promise((r) => setTimeout(r, 60));
    expect(sent).toEqual([{ type: 'batch', messages: [step(1), progress(2), step(2)] }]);
  });

  it('sends what waits at once, in order, with any other message, and resolves once it is sent', async () => {
    const { sent, send } = recorder();
    const out = new MessageCoalescer(send, 10_000);
    void out.push(step(1));
    await out.push(event(1));
    expect(sent).toEqual([{ type: 'batch', messages: [step(1), event(1)] }]);
    await out.push(event(2));
    // a message alone travels as itself
    expect(sent[1]).toEqual(event(2));
    await out.flush();
    expect(sent).toHaveLength(2);
  });
});

describe('openEnvelope', () => {
  it('gives the messages of an envelope in order and nothing for what is not one', () => {
    expect(openEnvelope(step(1))).toEqual([step(1)]);
    expect(openEnvelope({ type: 'batch', messages: [step(1), 'junk', step(2)] })).toEqual([step(1), step(2)]);
    expect(openEnvelope({ type: 'batch' })).toEqual([]);
    expect(openEnvelope(null)).toEqual([]);
    expect(openEnvelope('step')).toEqual([]);
  });
});
