/** Experiments: a named, validated spec with notes and tags; runs hang off it. */
import { parseExperiment, type ExperimentSpec, type ExperimentSpecInput } from '../../common/sweep';
import { likePattern } from './search-pattern';
import type { StoreContext } from './store-context';
import { StoreError } from './store-error';

export interface ExperimentRecord {
  id: number;
  name: string;
  notes: string;
  tags: string[];
  /** the validated spec, defaults filled in */
  spec: ExperimentSpec;
  createdAtMs: number;
  runCount: number;
}

export interface NewExperiment {
  /** defaults to spec.name */
  name?: string;
  /** validated here (the run spec plus notes, tags and sweep lists); a bad spec throws SpecError naming each field */
  spec: ExperimentSpecInput;
  notes?: string;
  tags?: readonly string[];
}

/** The spec is fixed once created: its runs were resolved from it. */
export interface ExperimentPatch {
  name?: string;
  notes?: string;
  tags?: readonly string[];
}

export interface ExperimentFilter {
  /** matches name, notes and tags */
  search?: string;
}

export interface ExperimentStore {
  create(input: NewExperiment): ExperimentRecord;
  /** newest first */
  list(filter?: ExperimentFilter): ExperimentRecord[];
  get(id: number): ExperimentRecord | undefined;
  update(id: number, patch: ExperimentPatch): ExperimentRecord;
  /** deletes the experiment with its runs and all their metrics; refused while one of its runs is running */
  delete(id: number): void;
}

interface ExperimentRow {
  id: number;
  name: string;
  notes: string;
  tags: string;
  spec: string;
  created_at_ms: number;
  run_count: number;
}

const SELECT = `
  SELECT e.id, e.name, e.notes, e.tags, e.spec, e.created_at_ms,
         (SELECT count(*) FROM runs r WHERE r.experiment_id = e.id) AS run_count
  FROM experiments e`;

function toRecord(row: ExperimentRow): ExperimentRecord {
  return {
    id: row.id,
    name: row.name,
    notes: row.notes,
    tags: JSON.parse(row.tags) as string[],
    spec: JSON.parse(row.spec) as ExperimentSpec,
    createdAtMs: row.created_at_ms,
    runCount: row.run_count,
  };
}

/** Trimmed, non-empty, each once, in the order given. */
export function normalizeTags(tags: readonly string[]): string[] {
  return [...new Set(tags.map((tag) => tag.trim()).filter((tag) => tag.length > 0))];
}

export function createExperimentStore(ctx: StoreContext): ExperimentStore {
  const get = (id: number): ExperimentRecord | undefined => {
    const row = ctx.statement(`${SELECT} WHERE e.id = ?`).get(id) as ExperimentRow | undefined;
    return row && toRecord(row);
  };
  const mustGet = (id: number): ExperimentRecord => {
    const record = get(id);
    if (!record) throw new StoreError('not-found', ctx.file, `experiment ${id} does not exist in ${ctx.file}`);
    return record;
  };

  return {
    create(input) {
      const spec = parseExperiment(input.spec).experiment;
      return ctx.guard('saving the experiment', () => {
        const result = ctx
          .statement('INSERT INTO experiments (name, notes, tags, spec, created_at_ms) VALUES (?, ?, ?, ?, ?)')
          .run(input.name?.trim() || spec.name, input.notes ?? '', JSON.stringify(normalizeTags(input.tags ?? [])), JSON.stringify(spec), Date.now());
        return mustGet(Number(result.lastInsertRowid));
      });
    },

    list(filter = {}) {
      return ctx.guard('listing experiments', () => {
        const rows =
          filter.search?.trim()
            ? ctx
                .statement(`${SELECT} WHERE e.name LIKE :p ESCAPE '\\' OR e.notes LIKE :p ESCAPE '\\' OR e.tags LIKE :p ESCAPE '\\'
                            ORDER BY e.created_at_ms DESC, e.id DESC`)
                .all({ p: likePattern(filter.search) })
            : ctx.statement(`${SELECT} ORDER BY e.created_at_ms DESC, e.id DESC`).all();
        return (rows as ExperimentRow[]).map(toRecord);
      });
    },

    get: (id) => ctx.guard('reading the experiment', () => get(id)),

    update(id, patch) {
      return ctx.guard('updating the experiment', () =>
        ctx.db.transaction(() => {
          const current = mustGet(id);
          ctx
            .statement('UPDATE experiments SET name = ?, notes = ?, tags = ? WHERE id = ?')
            .run(patch.name?.trim() || current.name, patch.notes ?? current.notes, JSON.stringify(patch.tags ? normalizeTags(patch.tags) : current.tags), id);
          return mustGet(id);
        }).immediate(),
      );
    },

    delete(id) {
      ctx.guard('deleting the experiment', () =>
        ctx.db.transaction(() => {
          mustGet(id);
          const running = ctx.statement(`SELECT id FROM runs WHERE experiment_id = ? AND status = 'running'`).pluck().all(id) as number[];
          if (running.length > 0) {
            throw new StoreError(
              'run-active',
              ctx.file,
              `experiment ${id} cannot be deleted while run${running.length > 1 ? 's' : ''} ${running.join(', ')} ${running.length > 1 ? 'are' : 'is'} running; cancel ${running.length > 1 ? 'them' : 'it'} first`,
            );
          }
          ctx.statement('DELETE FROM experiments WHERE id = ?').run(id);
        }).immediate(),
      );
    },
  };
}
