/**
 * Which configuration fields tell a set of runs apart, so a legend can say
 * "lars · B=4096" instead of repeating everything the runs share.
 *
 * Specs are flattened to dotted leaves (lists are single values: `model.hidden`
 * = [256,128]). Nested objects discriminated by `kind` or `name` (dataset,
 * model, optimizer, decay) are compared within a kind: an SGD run and a LARS
 * run differ in `optimizer.name`, not in every hyperparameter only one of them
 * has; two LARS runs with different trust coefficients do differ there.
 */

type Leaf = string;

interface FlatSpec {
  /** dotted path → the value as JSON */
  leaves: Map<string, Leaf>;
  /** dotted path of a discriminated object → its discriminator, e.g. optimizer → { key: 'name', value: '"lars"' } */
  kinds: Map<string, { key: string; value: Leaf }>;
}

const discriminators = ['kind', 'name'] as const;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function flatten(spec: unknown): FlatSpec {
  const flat: FlatSpec = { leaves: new Map(), kinds: new Map() };
  const walk = (value: unknown, path: string, depth: number): void => {
    if (isPlainObject(value)) {
      if (depth > 0) {
        const key = discriminators.find((d) => typeof value[d] === 'string');
        if (key) flat.kinds.set(path, { key, value: JSON.stringify(value[key]) });
      }
      for (const [key, child] of Object.entries(value)) {
        if (child !== undefined) walk(child, path ? `${path}.${key}` : key, depth + 1);
      }
      return;
    }
    flat.leaves.set(path, JSON.stringify(value));
  };
  walk(spec, '', 0);
  return flat;
}

/**
 * The kinds of the objects enclosing `path`, e.g. "optimizer=lars" for
 * `optimizer.momentum`; a discriminator is not scoped by itself.
 */
function scopeOf(flat: FlatSpec, path: string): string {
  const parts = path.split('.');
  const scope: string[] = [];
  for (let i = 1; i < parts.length; i++) {
    const ancestor = parts.slice(0, i).join('.');
    const kind = flat.kinds.get(ancestor);
    if (kind === undefined) continue;
    if (i === parts.length - 1 && parts[i] === kind.key) continue;
    scope.push(`${ancestor}=${kind.value}`);
  }
  return scope.join('|');
}

/**
 * The dotted paths whose values differ between the specs, in the order they
 * first appear. One spec, or identical specs, give [].
 */
export function differingFields(specs: readonly unknown[]): string[] {
  if (specs.length < 2) return [];
  const flats = specs.map(flatten);
  const paths: string[] = [];
  const seen = new Set<string>();
  for (const flat of flats) {
    for (const path of flat.leaves.keys()) {
      if (!seen.has(path)) {
        seen.add(path);
        paths.push(path);
      }
    }
  }
  return paths.filter((path) => {
    // compare only specs whose enclosing objects are of the same kind
    const valuesByScope = new Map<string, Set<Leaf | undefined>>();
    for (const flat of flats) {
      const scope = scopeOf(flat, path);
      const values = valuesByScope.get(scope) ?? new Set<Leaf | undefined>();
      values.add(flat.leaves.get(path));
      valuesByScope.set(scope, values);
    }
    return [...valuesByScope.values()].some((values) => values.size > 1);
  });
}

const shortNames: Record<string, string> = {
  'optimizer.name': '',
  'batch.size': 'B',
  'lr.base': 'lr',
  'lr.scaling': 'scaling',
  'training.seed': 'seed',
  'dataset.kind': 'dataset',
  'model.kind': 'model',
  'lr.decay.kind': 'decay',
};

function valueOf(spec: unknown, path: string): unknown {
  let value: unknown = spec;
  for (const key of path.split('.')) {
    if (!isPlainObject(value)) return undefined;
    value = value[key];
  }
  return value;
}

function formatLeaf(value: unknown): string {
  if (value === undefined) return '—';
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

/** "lars · B=4096 · seed=1": the spec's values at `fields`, named briefly. */
export function describeRun(spec: unknown, fields: readonly string[]): string {
  return fields
    .map((path) => {
      const value = formatLeaf(valueOf(spec, path));
      const name = path in shortNames ? shortNames[path] : path.replace(/^(optimizer|training|diagnostics|dataset|batch)\./, '');
      return name ? `${name}=${value}` : value;
    })
    .join(' · ');
}
