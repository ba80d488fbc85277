/**
 * Child process for the crash-safety test: writes committed records in a loop through the real store
 * (users + audit entries + sealed biometric blobs) and prints each record's number once its
 * transaction has committed. The parent SIGKILLs it mid-write.
 * Usage: node --import tsx crash-writer.ts <home> <base64 key>
 */
import { randomBytes } from 'node:crypto';
import { AuditTrail } from '../../src/governance/audit-trail.ts';
import { systemClock } from '../../src/governance/model.ts';
import { BiometricStore } from '../../src/store/biometric-store.ts';
import { createDataKey } from '../../src/store/crypto.ts';
import { openStore } from '../../src/store/open-store.ts';

const [home, keyB64] = process.argv.slice(2) as [string, string];
const store = await openStore({ home });
const audit = new AuditTrail(systemClock);
const bio = new BiometricStore({ key: createDataKey(Buffer.from(keyB64, 'base64'), 'test'), home, clock: systemClock, audit });
let i = (await store.repos.users.count()) + 1;
process.stdout.write('ready\n');
for (;;) {
  const n = i;
  await store.tx(async (r, tx) => {
    await r.users.insert({ id: `u${n}`, username: `user-${n}`, displayName: `U ${n}`, roles: ['OPERATOR'], rank: null, createdAt: new Date(), createdBy: null, passwordHash: 'x'.repeat(90) });
    await audit.append(tx, { actor: 'test', action: 'crash.write', target: `user:${n}`, reason: 'crash test', state: [{ table: 'users', id: `u${n}` }] });
    if (n % 3 === 0) await bio.putImage(tx, 'watchlist_image', `u${n}`, randomBytes(20_000), { actor: 'test', reason: 'crash test' });
  });
  process.stdout.write(`${n}\n`);
  i++;
}
