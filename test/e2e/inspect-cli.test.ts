/** `openlfr inspect` as an evaluator runs it: real engine, real image, files written only to --out. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { PROJECT_ROOT } from '../../src/config.ts';
import { ds } from '../helpers/datasets.ts';

const bin = join(PROJECT_ROOT, 'bin', 'openlfr.mjs');

function run(args: string[], home: string) {
  return spawnSync(process.execPath, [bin, 'inspect', ...args], { encoding: 'utf8', env: { ...process.env, OPENLFR_HOME: home } });
}

test('openlfr inspect: overlay with boxes and points, one aligned chip per face, faces.json; nothing in the store', async () => {
  const home = await mkdtemp(join(tmpdir(), 'openlfr-inspect-home-'));
  const out = join(home, 'out', 'two');
  const r = run([ds('hamilton', 'two_people.jpg'), '--out', out, '--json'], home);
  assert.equal(r.status, 0, r.stderr);
  const json = JSON.parse(r.stdout);
  assert.equal(json.faces.length, 2);
  assert.deepEqual((await readdir(out)).sort(), ['face-1-chip.png', 'face-2-chip.png', 'faces.json', 'overlay.png']);
  assert.deepEqual(JSON.parse(await readFile(join(out, 'faces.json'), 'utf8')), json);
  // the overlay is the image, same size, with the box drawn in green where the box is
  const src = await sharp(ds('hamilton', 'two_people.jpg')).rotate().removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const ov = await sharp(join(out, 'overlay.png')).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  assert.equal(ov.info.width, json.width);
  assert.equal(ov.info.height, json.height);
  assert.equal(src.info.width, json.width);
  const px = (b: Buffer, x: number, y: number): [number, number, number] => {
    const p = (Math.round(y) * json.width + Math.round(x)) * 3;
    return [b[p]!, b[p + 1]!, b[p + 2]!];
  };
  for (const f of json.faces) {
    const [r0, g0, b0] = px(ov.data, f.box.x + f.box.width / 2, f.box.y); // middle of the box's top edge
    assert.ok(g0 > 200 && r0 < 80 && b0 < 80, `green box edge at face ${f.index}: ${[r0, g0, b0]}`);
    const inside = px(ov.data, f.box.x + f.box.width / 2, f.box.y + f.box.height * 0.9); // chin, nothing drawn there
    assert.deepEqual(inside, px(src.data, f.box.x + f.box.width / 2, f.box.y + f.box.height * 0.9));
    assert.equal(f.landmarks5.length, 5);
    assert.equal(f.landmarkCount, 68);
    assert.ok(f.quality.interEyePx > 10 && f.embeddingNorm > 1, JSON.stringify(f));
    const chip = await sharp(join(out, `face-${f.index}-chip.png`)).metadata();
    assert.equal(chip.width, 336, 'the 112 px chip, enlarged 3x');
  }
  // nothing kept by OpenLFR: no database, no blobs, no keys; only the operator's --out folder
  assert.deepEqual(await readdir(home), ['out']);
  // the text form names each face and where the files went
  const text = run([ds('hamilton', 'obama.jpg'), '--out', join(home, 'out', 'obama')], home);
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, /1 face\(s\)/);
  assert.match(text.stdout, /#1 box .* inter-eye [\d.]+ px/);
  assert.match(text.stdout, /written to .*overlay\.png, face-1-chip\.png, faces\.json/);
  // the help says nothing is stored or audited, and what the images may be
  const help = spawnSync(process.execPath, [bin, 'inspect', '--help'], { encoding: 'utf8' });
  assert.match(help.stdout, /Nothing is put in the OpenLFR store and nothing is audited/);
  assert.match(help.stdout, /public or test images only/);
});

test('openlfr inspect: a bad image or an --out that is a file is a clear error, and nothing is written', async () => {
  const home = await mkdtemp(join(tmpdir(), 'openlfr-inspect-home-'));
  const notImage = join(home, 'notes.jpg');
  await writeFile(notImage, 'not an image');
  const bad = run([notImage, '--out', join(home, 'o1')], home);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /IMAGE_UNREADABLE/);
  const file = join(home, 'a-file');
  await writeFile(file, 'x');
  const intoFile = run([ds('hamilton', 'obama.jpg'), '--out', file], home);
  assert.equal(intoFile.status, 2);
  assert.match(intoFile.stderr, /BAD_REQUEST: --out .*not a folder/);
  assert.deepEqual((await readdir(home)).sort(), ['a-file', 'notes.jpg']);
});
