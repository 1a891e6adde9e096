// Which folder may import which: every import is resolved to the folder it lands in and
// checked against this table, so a relative `../../store` from the engine fails as surely
// as a bare `better-sqlite3`. VS Code's layering is the model: lower layers never reach up.
import { dirname, join, normalize, relative } from 'node:path';

/** Layers by path prefix, most specific first. */
export const layers = [
  ['common', 'common'],
  ['main/engine', 'engine'],
  ['main/store', 'store'],
  ['main/runner', 'runner'],
  ['main/api', 'api'],
  ['main/worker', 'worker'],
  ['main/report', 'report'],
  ['main/transport', 'transport'],
  ['main/server', 'transport'],
  ['main/electron', 'transport'],
  ['main/cli', 'transport'],
  ['main', 'main'],
  ['preload', 'preload'],
  ['renderer', 'renderer'],
];

/** layer → layers it must not import (by relative path), with why */
export const forbiddenLayers = {
  common: { layers: ['engine', 'store', 'runner', 'api', 'worker', 'report', 'transport', 'main', 'preload', 'renderer'], why: 'common/ is imported by everything and imports nothing of ours' },
  engine: { layers: ['store', 'runner', 'api', 'worker', 'report', 'transport', 'main', 'preload', 'renderer'], why: 'the engine is pure training code: no store, runner, API or transport' },
  store: { layers: ['engine', 'runner', 'api', 'worker', 'report', 'transport', 'preload', 'renderer'], why: 'the store knows SQL, not tfjs, and serves the layers above it' },
  runner: { layers: ['api', 'report', 'transport', 'preload', 'renderer'], why: 'the runner serves the API' },
  api: { layers: ['transport', 'preload', 'renderer'], why: 'transports adapt the API, not the reverse' },
  renderer: { layers: ['engine', 'store', 'runner', 'api', 'worker', 'report', 'transport', 'main', 'preload'], why: 'the renderer talks to main only through the contract in common/' },
  preload: { layers: ['engine', 'store', 'runner', 'api', 'worker', 'report', 'transport', 'main', 'renderer'], why: 'the preload exposes the contract and nothing else' },
};

/** layer → bare package prefixes it must not import */
export const forbiddenPackages = {
  common: { packages: ['node:', 'electron', 'better-sqlite3', '@tensorflow/'], why: 'common/ must not do I/O or import runtime-specific modules' },
  engine: { packages: ['electron', 'better-sqlite3'], why: 'the engine must not import Electron or the store' },
  store: { packages: ['@tensorflow/'], why: 'the store must not import tfjs' },
  renderer: { packages: ['node:', 'electron', 'better-sqlite3', '@tensorflow/'], why: 'the renderer must not import Node or Electron modules' },
};

export function layerOf(path) {
  const rel = path.replaceAll('\\', '/');
  for (const [prefix, layer] of layers) if (rel === prefix || rel.startsWith(`${prefix}/`)) return layer;
  return null;
}

/** Every import of a source text: [specifier, typeOnly]. Covers import/export … from, bare import, import(). */
export function importsOf(text) {
  const found = [];
  const patterns = [
    /^\s*(import|export)\s+(type\s+)?(?:[\w*{}\s,$]+?\s+from\s+)?['"]([^'"]+)['"]/gm,
    /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const match of text.matchAll(patterns[0])) found.push([match[3], Boolean(match[2])]);
  for (const match of text.matchAll(patterns[1])) found.push([match[1], false]);
  return found;
}

/** Problems of one file at `rel` (relative to the repository root). */
export function layerProblems(rel, text) {
  const from = layerOf(rel);
  if (!from) return [];
  const problems = [];
  for (const [specifier, typeOnly] of importsOf(text)) {
    if (specifier.startsWith('.')) {
      const target = normalize(join(dirname(rel), specifier)).replaceAll('\\', '/');
      const to = layerOf(target);
      const rule = forbiddenLayers[from];
      // the renderer may name types from anywhere in common/ only; a type from main is still a reach across processes
      if (to && to !== from && rule?.layers.includes(to)) {
        problems.push(`${rel}: imports ${relative('.', target)} (${from} → ${to}${typeOnly ? ', type only' : ''}): ${rule.why}`);
      }
    } else {
      const rule = forbiddenPackages[from];
      const bad = rule?.packages.find((p) => specifier === p || specifier.startsWith(p) || specifier.startsWith(`${p}/`));
      if (bad) problems.push(`${rel}: imports ${specifier}: ${rule.why}`);
    }
  }
  return problems;
}
