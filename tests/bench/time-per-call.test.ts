/**
 * The bench's timers: timePerCall times synchronous work and refuses a function that returns
 * a promise (it would time only the part before the first await, the rest of every call
 * piling up until the caller yields: how the GEMM-ceiling row once timed the training step
 * without its update); timePerCallAsync awaits every call inside its repetition.
 */
import { describe, expect, it } from 'vitest';
import { timePerCall, timePerCallAsync } from '../../bench/stats';

const options = { warmup: 1, reps: 3, callsPerRep: 2 };

describe('the bench timers', () => {
  it('refuse to time an async function synchronously', () => {
    expect(() => timePerCall((async () => undefined) as () => void, options)).toThrow(/returned a promise.*timePerCallAsync/);
  });

  it('await every call, the part after its first await included, before returning', async () => {
    let finished = 0;
    const call = async (): Promise<void> => {
      await new Promise<void>((resolve) => setTimeout(resolve, 5));
      finished++;
    };
    const times = await timePerCallAsync(call, options);
    expect(finished).toBe(options.warmup + options.reps * options.callsPerRep);
    // every call had finished, the part after its await included, when the timer returned
    expect(times.wall.samples).toHaveLength(options.reps);
  });

  it('time synchronous work per call', () => {
    let calls = 0;
    const times = timePerCall(() => void calls++, options);
    expect(calls).toBe(options.warmup + options.reps * options.callsPerRep);
    expect(times.cpu.samples).toHaveLength(options.reps);
  });
});
