/**
 * Where things live in Redis. Everything Batchscope writes is under one prefix (the queue name,
 * `batchscope` by default): two coordinators with different databases must use different queue
 * names, or their run ids would collide.
 */
export const DEFAULT_QUEUE = 'batchscope';

/** the consumer group (and consumer) the coordinator reads run streams with */
export const COORDINATOR_GROUP = 'coordinator';
export const COORDINATOR_CONSUMER = 'coordinator';

export function runStreamKey(queue: string, runId: number): string {
  return `${queue}:run:${runId}:stream`;
}

/** what workers appended to a run's stream, counted by message type (an audit trail, kept a day) */
export function sentKey(queue: string, runId: number): string {
  return `${queue}:run:${runId}:sent`;
}

/** a run whose id matches this was asked to stop before a worker took it */
export function cancelKey(queue: string, runId: number): string {
  return `${queue}:run:${runId}:cancel`;
}

export function cancelChannel(queue: string): string {
  return `${queue}:cancel`;
}

export function workerKey(queue: string, name: string): string {
  return `${queue}:worker:${name}`;
}

export function workerKeyPattern(queue: string): string {
  return `${queue}:worker:*`;
}

export function runStreamPattern(queue: string): string {
  return `${queue}:run:*:stream`;
}

/** BullMQ job id of a run: deterministic, so enqueueing twice (a coordinator restarted mid-enqueue) adds it once */
export function jobIdOf(runId: number): string {
  return `run-${runId}`;
}
