import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { OpenLfrError } from '../../src/errors.ts';
import { decodeImage, readImageFile } from '../../src/ingest/image.ts';
import { ds } from '../helpers/datasets.ts';

const code = (c: string) => (e: unknown) => e instanceof OpenLfrError && e.code === c;

test('decodes JPEG, PNG and a WebP file named .jpg to 8-bit RGB', async () => {
  for (const f of [ds('hamilton', 'obama.jpg'), ds('hamilton', 'alex-lacamoire.png'), ds('deepface-identities', 'person03', 'img47.jpg')]) {
    const img = await readImageFile(f);
    assert.equal(img.data.length, img.width * img.height * 3, f);
  }
  const webp = await readImageFile(ds('deepface-identities', 'person03', 'img47.jpg'));
  assert.deepEqual([webp.width, webp.height], [1350, 1800]);
});

test('applies EXIF orientation', async () => {
  const src = await sharp(await readFile(ds('hamilton', 'obama-240p.jpg'))).jpeg().toBuffer();
  const meta = await sharp(src).metadata();
  const rotated = await sharp(src).withMetadata({ orientation: 6 }).jpeg().toBuffer();
  const img = await decodeImage(rotated);
  assert.deepEqual([img.width, img.height], [meta.height, meta.width]);
});

test('greyscale, alpha and 16-bit inputs all come out as 8-bit RGB', async () => {
  const base = sharp(await readFile(ds('hamilton', 'obama-240p.jpg')));
  const grey = await base.clone().greyscale().png().toBuffer();
  const alpha = await base.clone().ensureAlpha(0.5).png().toBuffer();
  const deep = await base.clone().toColourspace('rgb16').png().toBuffer();
  assert.equal((await sharp(deep).metadata()).depth, 'ushort');
  for (const buf of [grey, alpha, deep]) {
    const img = await decodeImage(buf);
    assert.equal(img.data.length, img.width * img.height * 3);
  }
  const g = await decodeImage(grey);
  assert.equal(g.data[0], g.data[1]);
});

test('an empty file is IMAGE_EMPTY', async () => {
  await assert.rejects(decodeImage(new Uint8Array(0)), code('IMAGE_EMPTY'));
});

test('a truncated JPEG is IMAGE_UNREADABLE, not a crash', async () => {
  const full = await readFile(ds('hamilton', 'obama.jpg'));
  await assert.rejects(decodeImage(full.subarray(0, Math.floor(full.length / 2))), code('IMAGE_UNREADABLE'));
  await assert.rejects(decodeImage(full.subarray(0, 40)), code('IMAGE_UNREADABLE'));
});

test('text that is not an image is IMAGE_UNREADABLE', async () => {
  await assert.rejects(decodeImage(new TextEncoder().encode('this is not an image at all, just words')), code('IMAGE_UNREADABLE'));
});

/** A valid PNG header claiming `w` x `h` pixels with a tiny compressed body: a decompression bomb. */
function bombPng(w: number, h: number): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (b: Buffer) => {
    let c = 0xffffffff;
    for (const x of b) c = crcTable[(c ^ x) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type), data]);
    const c = Buffer.alloc(4);
    c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.alloc(1024))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

test('a decompression bomb is refused from its header, before decoding', async () => {
  const t = Date.now();
  await assert.rejects(decodeImage(bombPng(60000, 60000)), code('IMAGE_TOO_LARGE'));
  assert.ok(Date.now() - t < 2000);
  await assert.rejects(decodeImage(await readFile(ds('hamilton', 'obama.jpg')), { maxPixels: 1000, maxBytes: 1e9 }), code('IMAGE_TOO_LARGE'));
});

test('a file over the byte limit is IMAGE_TOO_LARGE', async () => {
  await assert.rejects(decodeImage(await readFile(ds('hamilton', 'obama.jpg')), { maxPixels: 1e9, maxBytes: 100 }), code('IMAGE_TOO_LARGE'));
});

test('a 1x1 image is IMAGE_TOO_SMALL', async () => {
  const one = await sharp({ create: { width: 1, height: 1, channels: 3, background: '#808080' } }).png().toBuffer();
  await assert.rejects(decodeImage(one), code('IMAGE_TOO_SMALL'));
});

test('a missing file or a directory is NOT_FOUND', async () => {
  await assert.rejects(readImageFile(ds('hamilton', 'nobody.jpg')), code('NOT_FOUND'));
  await assert.rejects(readImageFile(ds('hamilton')), code('NOT_FOUND'));
});
