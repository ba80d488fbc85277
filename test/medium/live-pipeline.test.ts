/**
 * The live pipeline on real video: alerts for watchlist people, nothing kept for anyone else, clear
 * errors for broken input, reconnection of a dropped stream, cameras sharing one engine pool.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.ts';
import { createEngine, type EnginePool } from '../../src/engine/index.ts';
import { OpenLfrError } from '../../src/errors.ts';
import { readImageFile } from '../../src/ingest/image.ts';
import { openStills, openVideo, resolveFfmpeg } from '../../src/live/1-ingest.ts';
import { FrozenWatchlist } from '../../src/live/6-match.ts';
import { MemoryAlertSink } from '../../src/live/7-alert.ts';
import { runLive } from '../../src/live/pipeline.ts';
import { ds } from '../helpers/datasets.ts';

const config = loadConfig();
const HAMILTON = ds('hamilton', 'short_hamilton_clip.mp4');
/** The Hamilton clip remuxed with its index first (as a camera stream or a recording cut off mid-way would be). */
function faststartCopy(): string {
  const out = join(mkdtempSync(join(tmpdir(), 'openlfr-video-')), 'faststart.mp4');
  execFileSync(resolveFfmpeg(), ['-loglevel', 'error', '-i', HAMILTON, '-c', 'copy', '-movflags', 'faststart', out]);
  return out;
}
const live = { camera: 'cam-1', threshold: 0.4, analysedFps: 10, pace: 'asap' as const };

describe('live pipeline', () => {
  let engine: EnginePool;
  let watchlist: FrozenWatchlist;
  let empty: FrozenWatchlist;
  before(async () => {
    engine = await createEngine(config.engine);
    const templates = [];
    for (const s of ['lin-manuel-miranda', 'alex-lacamoire']) {
      const [r] = await engine.analyse(await readImageFile(ds('hamilton', `${s}.png`)), { maxFaces: 1 });
      templates.push({ templateId: `${s}#1`, subjectId: s, vector: r!.embedding });
    }
    watchlist = await FrozenWatchlist.build(templates, engine.info.dims);
    empty = await FrozenWatchlist.build([], engine.info.dims);
  });
  after(async () => {
    await watchlist?.close();
    await engine?.close();
  });

  test('Hamilton clip: Lin-Manuel Miranda raises one alert, per track not per frame, with counters', async () => {
    const sink = new MemoryAlertSink();
    const s = await runLive(await openVideo(HAMILTON), engine, watchlist, sink, live);
    assert.equal(s.framesDecoded, 300);
    assert.ok(s.framesAnalysed >= 95 && s.framesAnalysed <= 105, `analysed ${s.framesAnalysed}`);
    assert.equal(s.framesDecoded, s.framesAnalysed + s.framesSkipped + s.framesDropped);
    assert.ok(s.tracks >= 3 && s.tracks < s.facesDetected / 2, `tracks ${s.tracks}, faces ${s.facesDetected}`);
    const lin = sink.alerts.filter((a) => a.subjectId === 'lin-manuel-miranda');
    assert.ok(lin.length >= 1, JSON.stringify(s.alertList));
    assert.equal(new Set(sink.alerts.map((a) => `${a.trackId}/${a.subjectId}`)).size, sink.alerts.length, 'one alert per (track, subject)');
    assert.ok(s.shotsEmbedded < s.facesDetected, 'only selected shots are embedded');
    assert.ok(sink.alerts.every((a) => a.score >= 0.4 && a.cropBytes > 0));
  });

  test('nobody on the watchlist: no alert, nothing leaves the pipeline, buffers are wiped', async () => {
    const sink = new MemoryAlertSink();
    const source = await openVideo(HAMILTON);
    const frames: Uint8Array[] = [];
    const spy = {
      label: source.label,
      stats: source.stats,
      stop: () => source.stop(),
      async *[Symbol.asyncIterator]() {
        for await (const f of source) {
          frames.push(f.image.data);
          yield f;
        }
      },
    };
    const s = await runLive(spy, engine, empty, sink, live);
    assert.equal(s.alerts, 0);
    assert.equal(sink.alerts.length, 0);
    assert.ok(s.facesDetected > 50);
    const analysed = frames.filter((d) => d.some((v) => v !== 0));
    assert.equal(analysed.length, 0, `${analysed.length} frames were not overwritten after use`);
  });

  test('two cameras share one engine pool', async () => {
    const [a, b] = await Promise.all([
      runLive(await openVideo(HAMILTON), engine, watchlist, new MemoryAlertSink(), { ...live, camera: 'a' }),
      runLive(await openVideo(HAMILTON), engine, watchlist, new MemoryAlertSink(), { ...live, camera: 'b' }),
    ]);
    assert.equal(a.framesDecoded, 300);
    assert.equal(b.framesDecoded, 300);
    assert.deepEqual(
      a.alertList.map((x) => x.subjectId),
      b.alertList.map((x) => x.subjectId),
    );
  });

  test('stops by itself when its deployment is closed (abort signal)', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 600);
    const s = await runLive(await openVideo(HAMILTON, { pace: 'realtime' }), engine, watchlist, new MemoryAlertSink(), { ...live, pace: 'realtime', signal: ac.signal });
    assert.equal(s.stoppedBy, 'signal');
    assert.ok(s.framesDecoded < 300);
  });

  test('realtime pace: when analysis falls behind, frames are dropped and counted, never queued without bound', async () => {
    const s = await runLive(await openVideo(ds('facenet-clip', 'video.mp4'), { pace: 'realtime', queue: 2 }), engine, watchlist, new MemoryAlertSink(), {
      ...live,
      pace: 'realtime',
      analysedFps: 25,
    });
    assert.ok(s.framesDecoded > 90, `decoded ${s.framesDecoded}`);
    assert.equal(s.framesDecoded, s.framesAnalysed + s.framesSkipped + s.framesDropped + s.sourceFramesDropped);
  });

  test('a truncated video ends with a clear error and a summary, not a crash', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'openlfr-video-'));
    const bytes = readFileSync(faststartCopy());
    writeFileSync(join(dir, 'half.mp4'), bytes.subarray(0, Math.floor(bytes.length / 2)));
    const s = await runLive(await openVideo(join(dir, 'half.mp4')), engine, watchlist, new MemoryAlertSink(), live);
    assert.ok(s.error, 'the summary names the error');
    assert.ok(s.framesDecoded < 300);
    writeFileSync(join(dir, 'garbage.mp4'), Buffer.from('this is not a video '.repeat(1000)));
    await assert.rejects(openVideo(join(dir, 'garbage.mp4')), (e: unknown) => e instanceof OpenLfrError && e.code === 'VIDEO_UNREADABLE');
    await assert.rejects(openVideo(join(dir, 'missing.mp4')), (e: unknown) => e instanceof OpenLfrError && e.code === 'NOT_FOUND');
  });

  test('a stream that drops is reconnected with back-off', async () => {
    const bytes = readFileSync(faststartCopy());
    let requests = 0;
    const server: Server = createServer((req, res) => {
      requests++;
      res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': bytes.length });
      if (requests === 1) {
        // the first connection (streams are not probed first) drops a third of the way in
        res.write(bytes.subarray(0, Math.floor(bytes.length / 3)));
        setTimeout(() => res.destroy(), 50); // the camera link drops
      } else res.end(bytes);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      const source = await openVideo(`http://127.0.0.1:${port}/cam.mp4`, { pace: 'asap', maxReconnects: 3 });
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 15_000);
      const s = await runLive(source, engine, watchlist, new MemoryAlertSink(), { ...live, signal: ac.signal });
      assert.ok(s.reconnects >= 1, `reconnects ${s.reconnects}, requests ${requests}`);
      assert.ok(s.framesDecoded >= 300, `decoded ${s.framesDecoded}`);
    } finally {
      server.close();
    }
  });

  test('a camera that hangs (connected, silent) is seen as down and retried, not waited on for ever', async () => {
    let connections = 0;
    const server: Server = createServer((_req, res) => {
      connections++;
      res.writeHead(200, { 'content-type': 'video/mp2t' }); // and then nothing, ever
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      const source = await openVideo(`http://127.0.0.1:${port}/cam.ts`, { pace: 'realtime', outputFps: 10, stallSec: 2, backoff: { minMs: 100, maxMs: 200 } });
      const states: Array<[string, string | undefined]> = [];
      source.onState!((st, why) => states.push([st, why]));
      const reading = (async () => {
        for await (const f of source) f.image.data.fill(0);
      })();
      const t0 = Date.now();
      while (connections < 2 && Date.now() - t0 < 20_000) await new Promise((r) => setTimeout(r, 100));
      source.stop();
      await reading;
      assert.ok(connections >= 2, `reconnected after the hang (${connections} connections)`);
      const down = states.find(([st]) => st === 'down');
      assert.ok(down, JSON.stringify(states));
      assert.match(down[1] ?? '', /hung|timed out|timeout/i);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  test('a folder of stills is a source too; unreadable files are counted, not fatal', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'openlfr-stills-'));
    copyFileSync(ds('hamilton', 'two_people.jpg'), join(dir, 'a.jpg'));
    writeFileSync(join(dir, 'b.jpg'), 'broken');
    copyFileSync(ds('hamilton', 'obama.jpg'), join(dir, 'c.jpg'));
    const s = await runLive(openStills(dir, { maxPixels: 5e7, maxBytes: 5e7 }), engine, watchlist, new MemoryAlertSink(), { ...live, analysedFps: 1 });
    assert.equal(s.framesDecoded, 2);
    assert.equal(s.sourceFramesDropped, 1);
    assert.ok(s.facesDetected >= 3);
  });
});
