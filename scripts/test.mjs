#!/usr/bin/env node
// Runs the test suite with Node's own test runner (Node 20 has no glob support on the command line).
// Usage: node scripts/test.mjs [tier ...]   tiers are folders under test/: unit, contract, medium, e2e.
// With no tier, all tiers run. Extra env: OPENLFR_TEST_ONLY=<substring>[,<substring>...] to filter files.
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const tiers = process.argv.slice(2);
const walk = (dir) =>
  readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.test.ts') ? [p] : [];
  });
const only = process.env.OPENLFR_TEST_ONLY;
const files = walk(join(root, 'test'))
  .map((p) => relative(root, p))
  .filter((p) => tiers.length === 0 || tiers.some((t) => p.startsWith(`test/${t}/`)))
  .filter((p) => !only || only.split(',').some((o) => p.includes(o)))
  .sort();
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', ...files], { stdio: 'inherit', cwd: root });
process.exit(r.status ?? 1);
