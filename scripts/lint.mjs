#!/usr/bin/env node
// Minimal lint: house rules the type checker cannot see.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const roots = ['common', 'main', 'preload', 'renderer', 'tests', 'bench'];
const problems = [];
function walk(dir) {
  let entries = [];
  try { entries = readdirSync(dir); } catch { return; }
  for (const name of entries) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) { if (name !== 'node_modules') walk(path); continue; }
    if (!/\.(ts|vue|mjs)$/.test(name)) continue;
    const text = readFileSync(path, 'utf8');
    const rel = relative(process.cwd(), path);
    if (/\b(utils|helpers?|manager)\.(ts|vue)$/.test(name)) problems.push(`${rel}: grab-bag file name`);
    if (/\b(it|test|describe)\.only\(/.test(text)) problems.push(`${rel}: .only left in a test`);
    if (/^\s*debugger;?\s*$/m.test(text)) problems.push(`${rel}: debugger statement`);
    if (rel.startsWith('common') && /from ['"](node:|electron|better-sqlite3|@tensorflow)/.test(text)) problems.push(`${rel}: common/ must not do I/O or import runtime-specific modules`);
    if (rel.startsWith('main/engine') && /from ['"](electron|better-sqlite3)/.test(text)) problems.push(`${rel}: engine must not import electron or the store`);
    if (rel.startsWith('renderer') && /from ['"](node:|electron|better-sqlite3)/.test(text)) problems.push(`${rel}: renderer must not import Node or Electron modules`);
  }
}
roots.forEach(walk);
if (problems.length) { console.error(problems.join('\n')); process.exit(1); }
console.log('lint: ok');
