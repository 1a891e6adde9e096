/**
 * Whether this engine can split one run over T threads: the data-parallel shards
 * of issue #10, asked for with a `threads` field in the run spec. Until the spec
 * has that field, the threaded rows (threaded-rows.ts) report "not measured" with
 * the reason below; once it exists they run without a change here.
 */
import { runSpecShape } from '../common/spec';

export type ThreadSupport = { ok: true } | { ok: false; why: string };

export function engineThreads(): ThreadSupport {
  if ('threads' in runSpecShape) return { ok: true };
  return { ok: false, why: 'the run spec has no `threads` field yet (data-parallel shards, issue #10): a run trains on one thread' };
}
