/**
 * The privacy invariant, end to end: a long video of people walking past, none of them on the
 * watchlist. Afterwards no crop, template or image of any of them exists in the database, the data
 * directory or the logs; only counters survive. Memory stays flat over the 2 min 19 s clip.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { loadConfig } from '../../src/config.ts';
import { runDemo } from '../../src/demo/live-demo.ts';
import { defaultEngine } from '../../src/governance/engine-provider.ts';
import { openServices } from '../../src/governance/services.ts';
import { ds } from '../helpers/datasets.ts';

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));
}

/** Signatures of unencrypted image data: JPEG as OpenLFR encodes crops (SOI + quantisation table),
 *  JFIF and Exif JPEGs, PNG, WebP. Long enough not to occur by chance in database pages. */
const IMAGE_MAGIC = [
  Buffer.from([0xff, 0xd8, 0xff, 0xdb, 0x00, 0x43]),
  Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46]),
  Buffer.from('Exif\0\0'),
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  Buffer.from('WEBPVP8'),
];

test('walking clip, nobody on the watchlist: no alert, nothing biometric kept for anyone seen, flat memory', async () => {
  const home = mkdtempSync(join(tmpdir(), 'openlfr-privacy-'));
  const config = loadConfig({ home, demo: true });
  const logs: string[] = [];
  const capture = (stream: NodeJS.WriteStream) => {
    const write = stream.write.bind(stream);
    stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      logs.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('latin1'));
      return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof stream.write;
    return () => (stream.write = write);
  };
  const restoreOut = capture(process.stdout);
  const restoreErr = capture(process.stderr);
  const rss: number[] = [];
  const sampler = setInterval(() => rss.push(process.memoryUsage().rss), 500);
  let summary;
  try {
    summary = await runDemo(config, {
      source: ds('walking', 'one-by-one-person-detection.mp4'),
      watchlist: [ds('hamilton', 'lin-manuel-miranda.png'), ds('hamilton', 'alex-lacamoire.png')],
      onProgress: (m) => logs.push(m),
    });
  } finally {
    clearInterval(sampler);
    restoreOut();
    restoreErr();
  }
  assert.ok(summary.framesDecoded > 1300, `decoded ${summary.framesDecoded}`);
  assert.ok(summary.facesDetected > 100, `faces ${summary.facesDetected}`);
  assert.ok(summary.tracks > 5, `tracks ${summary.tracks}`);
  assert.deepEqual(summary.alerts, []);

  // memory: after the first fifth of the run, the resident set does not keep growing
  const warm = Math.max(...rss.slice(0, Math.ceil(rss.length / 5)));
  const late = Math.max(...rss.slice(Math.ceil(rss.length / 2)));
  assert.ok(late - warm < 150 * 1024 * 1024, `RSS grew from ${(warm / 2 ** 20).toFixed(0)} MB to ${(late / 2 ** 20).toFixed(0)} MB`);

  // the store: no alert, and the only biometric records are the two watchlist entries
  const services = await openServices(config, defaultEngine);
  try {
    const db = services.store.db;
    const count = async (sql: string) => ((await db.query<{ n: number }>(sql))[0]!).n;
    assert.equal(await count('select count(*)::int as n from alerts'), 0);
    assert.equal(await count(`select count(*)::int as n from templates where kind <> 'watchlist'`), 0);
    assert.equal(await count(`select count(*)::int as n from biometric_blobs where kind <> 'watchlist_image'`), 0);
    assert.equal(await count('select count(*)::int as n from templates'), 2);
    const counters = await db.query<{ faces_detected: number; tracks: number }>('select faces_detected, tracks from live_counters');
    assert.equal(counters.length, 1);
    assert.equal(Number(counters[0]!.faces_detected), summary.facesDetected, 'only counters survive the faces seen');

    // the data directory: the database, two sealed watchlist images, the demo key; nothing else
    const files = filesUnder(home).map((f) => relative(home, f));
    const blobs = files.filter((f) => f.startsWith('blobs/'));
    assert.equal(blobs.length, 2, blobs.join(', '));
    assert.deepEqual(files.filter((f) => !f.startsWith('db/') && !f.startsWith('blobs/') && !f.startsWith('keys/') && f !== 'db.lock'), []);
    for (const f of filesUnder(home)) {
      if (statSync(f).size > 64 * 1024 * 1024) continue;
      const bytes = readFileSync(f);
      if (f.endsWith('.sealed')) continue; // AES-GCM ciphertext of the two watchlist images
      for (const magic of IMAGE_MAGIC) assert.equal(bytes.indexOf(magic), -1, `${relative(home, f)} holds unencrypted image data`);
    }

    // the logs: progress lines only, no image data, no vectors
    const text = logs.join('');
    assert.ok(text.length < 20_000, `logs are ${text.length} characters`);
    for (const magic of IMAGE_MAGIC) assert.equal(text.indexOf(magic.toString('latin1')), -1);
    assert.doesNotMatch(text, /(-?\d\.\d{3,},\s*){16}/, 'no embedding-like number lists in the logs');

    // closing the deployment destroys the watchlist: then nothing biometric is left at all
    const [dep] = await services.deployments.list({ kind: 'system', name: 'live-pipeline' }, 'LIVE');
    const op = await services.users.checkPassword('operator', 'demo-password-not-secret', 'test');
    await services.deployments.close(op, dep!.id, 'end of test');
    assert.equal(await count('select count(*)::int as n from templates'), 0);
    assert.equal(await count('select count(*)::int as n from biometric_blobs'), 0);
    assert.equal(filesUnder(join(home, 'blobs')).length, 0);
    assert.equal((await services.audit.verify({ kind: 'system', name: 'audit-verifier' })).ok, true);
  } finally {
    await services.close();
  }
});
