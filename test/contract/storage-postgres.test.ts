/**
 * The storage contract on a real PostgreSQL server (OPENLFR_TEST_DATABASE_URL; .ci/run starts one).
 * Outside CI it is skipped when no server is given; in CI (CI=true) a missing server is a failure.
 */
import { test } from 'node:test';
import { openTestPostgres } from '../helpers/governance.ts';
import { storageContract } from './storage.contract.ts';

const url = process.env.OPENLFR_TEST_DATABASE_URL;
if (url) {
  storageContract('postgresql server', () => openTestPostgres(url));
} else if (process.env.CI === 'true') {
  test('postgresql server: OPENLFR_TEST_DATABASE_URL must be set in CI', () => {
    throw new Error('OPENLFR_TEST_DATABASE_URL is not set: .ci/run must start PostgreSQL for the storage contract suite');
  });
} else {
  test('postgresql server: storage contract', { skip: 'set OPENLFR_TEST_DATABASE_URL to run it against a real server' }, () => undefined);
}
