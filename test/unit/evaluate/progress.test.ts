import { test } from 'node:test';
import assert from 'node:assert/strict';
import { terminalProgress } from '../../../src/evaluate/progress.ts';

test('progress: nothing unless stderr is a terminal; a bar with counts when it is', () => {
  const written: string[] = [];
  const fake = (isTTY: boolean) => ({ isTTY, write: (s: string) => written.push(s) }) as unknown as NodeJS.WriteStream;
  assert.equal(terminalProgress(fake(false)), undefined);
  let t = 0;
  const p = terminalProgress(fake(true), () => t)!;
  t = 1000;
  p(5, 10, 2);
  p(6, 10, 2); // throttled: same instant
  t = 2000;
  p(10, 10, 2);
  assert.equal(written.filter((s) => s.startsWith('\r')).length, 2);
  assert.match(written[0]!, /5\/10 images, 2 from cache/);
  assert.equal(written[written.length - 1], '\n');
});
