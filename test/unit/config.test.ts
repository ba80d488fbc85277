import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config.ts';
import { OpenLfrError } from '../../src/errors.ts';

test('config: defaults validate and the environment overrides them', () => {
  const c = loadConfig({}, { OPENLFR_HOME: '/tmp/x', OPENLFR_ENGINE_WORKERS: '3' });
  assert.equal(c.home, '/tmp/x');
  assert.equal(c.engine.workers, 3);
  assert.equal(c.engine.name, 'onnx');
});

test('config: an invalid value is refused once, at start, with the field named', () => {
  assert.throws(
    () => loadConfig({}, { OPENLFR_ENGINE_WORKERS: 'lots' }),
    (e: unknown) => e instanceof OpenLfrError && e.code === 'CONFIG_INVALID' && /engine\.workers/.test(e.message),
  );
  assert.throws(() => loadConfig({}, { OPENLFR_ENGINE: 'magic' }), /engine\.name/);
});
