#!/usr/bin/env node
// Minimal lint: house rules the type checker cannot see.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { layerProblems } from './import-layers.mjs';

// the root to check: the repository (default), or another folder laid out like it (the lint's own test)
const root = process.argv[2] ?? process.cwd();
const roots = ['common', 'main', 'preload', 'renderer', 'tests', 'bench'].map((r) => join(root, r));
// A GPU backend cannot read synchronously (tfjs-backend-webgpu in Node has no OffscreenCanvas
// for it) and a synchronous read stalls the loop everywhere else: the engine reads with
// `await t.data()`. Kernels run on the wasm heap and may read it directly.
const syncRead = /\.(dataSync|arraySync|bufferSync)\s*\(/;
const problems = [];
function walk(dir) {
  let entries = [];
  try { entries = readdirSync(dir); } catch { return; }
  for (const name of entries) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) { if (name !== 'node_modules') walk(path); continue; }
    if (!/\.(ts|vue|mjs)$/.test(name)) continue;
    const text = readFileSync(path, 'utf8');
    const rel = relative(root, path).replaceAll('\\', '/');
    if (/\b(utils|helpers?|manager)\.(ts|vue)$/.test(name)) problems.push(`${rel}: grab-bag file name`);
    if (/\b(it|test|describe)\.only\(/.test(text)) problems.push(`${rel}: .only left in a test`);
    if (/^\s*debugger;?\s*$/m.test(text)) problems.push(`${rel}: debugger statement`);
    problems.push(...layerProblems(rel, text));
    if (rel.startsWith('main/engine') && !rel.startsWith('main/engine/kernels')) {
      text.split('\n').forEach((line, i) => {
        if (syncRead.test(line) && !/^\s*(\/\/|\*)/.test(line)) problems.push(`${rel}:${i + 1}: synchronous read (dataSync/arraySync/bufferSync) in the engine; use await t.data()`);
      });
    }
  }
}
roots.forEach(walk);
if (problems.length) { console.error(problems.join('\n')); process.exit(1); }
console.log('lint: ok');
