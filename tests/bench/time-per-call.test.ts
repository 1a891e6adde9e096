/**
 * The bench's timers: timePerCall times synchronous work and refuses a function that returns
 * a promise (it would time only the part before the first await, the rest of every call
 * piling up until the caller yields: how the GEMM-ceiling row once timed the training step
 * without its update); timePerCallAsync awaits every call inside its repetition; a warm-up
 * given in milliseconds keeps calling past its count until that time has passed.
 */
import { describe, expect, it } from 'vitest';
import { timePerCall, timePerCallAsync, warmUp } from '../../bench/stats';

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

  it('warm up for the count, then on until warmupMs have passed', async () => {
    const starts: number[] = [];
    // each call spins 10 ms of wall clock
    const spin = async (): Promise<void> => {
      starts.push(performance.now());
      const until = performance.now() + 10;
      while (performance.now() < until);
    };
    const t0 = performance.now();
    await warmUp(spin, { warmup: 1, warmupMs: 25 });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(25);
    // and it stopped once they had: three calls of 10 ms pass 25 ms however slow the machine
    expect(starts.length).toBeLessThanOrEqual(3);
    starts.length = 0;
    await warmUp(spin, { warmup: 2 });
    expect(starts).toHaveLength(2);
    starts.length = 0;
    const t1 = performance.now();
    await timePerCallAsync(spin, { warmup: 1, warmupMs: 25, reps: 1, callsPerRep: 1 });
    // the timed call starts after the warm-up's 25 ms
    expect(starts.at(-1)! - t1).toBeGreaterThanOrEqual(25);
    // the synchronous timer warms up the same way
    let syncCalls = 0;
    const t2 = performance.now();
    let timedFrom = 0;
    timePerCall(
      () => {
        timedFrom = performance.now();
        syncCalls++;
        const until = performance.now() + 10;
        while (performance.now() < until);
      },
      { warmup: 1, warmupMs: 25, reps: 1, callsPerRep: 1 },
    );
    expect(timedFrom - t2).toBeGreaterThanOrEqual(25);
    expect(syncCalls).toBeLessThanOrEqual(3 + 1);
  });
});
