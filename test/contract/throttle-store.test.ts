/**
 * The login throttle's store contract on every implementation: memory, the embedded database (PGlite), and a
 * PostgreSQL server (OPENLFR_TEST_DATABASE_URL; .ci/run starts one) with two connections standing for two processes.
 */
import { test } from 'node:test';
import { randomBytes } from 'node:crypto';
import { databaseThrottleStore, memoryThrottleStore } from '../../src/governance/login-throttle.ts';
import { migrate } from '../../src/store/migrate.ts';
import { storeOn } from '../../src/store/open-store.ts';
import { openPglite } from '../../src/store/pglite-db.ts';
import { openPostgres } from '../../src/store/pg-db.ts';
import { throttleStoreContract } from './throttle-store.contract.ts';

throttleStoreContract('memory', async () => ({ store: memoryThrottleStore(), close: async () => undefined }));

throttleStoreContract('embedded database (PGlite)', async () => {
  const db = await openPglite(undefined);
  await migrate(db);
  const store = storeOn(db);
  return { store: databaseThrottleStore(store), close: () => store.close() };
});

const url = process.env.OPENLFR_TEST_DATABASE_URL;
if (url) {
  throttleStoreContract('postgresql server, two connections', async () => {
    const schema = `t_${randomBytes(6).toString('hex')}`;
    const admin = await openPostgres(url);
    await admin.exec(`create schema ${schema}`);
    const u = new URL(url);
    u.searchParams.set('options', `-c search_path=${schema}`);
    const a = storeOn(await openPostgres(u.toString()));
    await migrate(a.db);
    const b = storeOn(await openPostgres(u.toString()));
    return {
      store: databaseThrottleStore(a),
      second: databaseThrottleStore(b),
      async close() {
        await a.close();
        await b.close();
        await admin.exec(`drop schema ${schema} cascade`);
        await admin.close();
      },
    };
  });
} else if (process.env.CI === 'true') {
  test('postgresql server: OPENLFR_TEST_DATABASE_URL must be set in CI', () => {
    throw new Error('OPENLFR_TEST_DATABASE_URL is not set');
  });
}
