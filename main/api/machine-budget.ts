/**
 * The resource budget one run may plan for on this machine: half of its memory (the app,
 * the OS and a parallel run need the rest) and 100 million steps (days of training even for
 * the smallest model). Both are overridable: BATCHSCOPE_MEMORY_BUDGET_MB, BATCHSCOPE_MAX_STEPS,
 * or `budget` in createApi's options.
 */
import { totalmem } from 'node:os';
import type { ResourceBudget } from '../../common/resource-budget';

const defaultMaxSteps = 100_000_000;

function positiveNumber(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got '${raw}'`);
  return value;
}

export function machineBudget(env: NodeJS.ProcessEnv = process.env): ResourceBudget {
  const memoryMb = positiveNumber(env, 'BATCHSCOPE_MEMORY_BUDGET_MB');
  const maxSteps = positiveNumber(env, 'BATCHSCOPE_MAX_STEPS');
  const sources = [
    memoryMb === undefined ? "half of this machine's memory" : 'BATCHSCOPE_MEMORY_BUDGET_MB',
    maxSteps === undefined ? undefined : 'BATCHSCOPE_MAX_STEPS',
  ].filter(Boolean);
  return {
    memoryBytes: memoryMb === undefined ? Math.floor(totalmem() / 2) : memoryMb * 1024 * 1024,
    maxSteps: maxSteps ?? defaultMaxSteps,
    source: `${sources.join(', ')}; set BATCHSCOPE_MEMORY_BUDGET_MB or BATCHSCOPE_MAX_STEPS to change it`,
  };
}
