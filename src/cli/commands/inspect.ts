import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../../config.ts';
import { createEngine } from '../../engine/index.ts';
import { OpenLfrError } from '../../errors.ts';
import { readImageFile } from '../../ingest/image.ts';
import { inspectImage } from '../../inspect/inspect.ts';

const HELP = `
For evaluators, on public or test images only. Writes to --out:
  overlay.png          the image with each face's box, number and detector score, its five alignment
                       points (eyes cyan, nose yellow, mouth corners pink) and the full landmark set (white)
  face-<n>-chip.png    the aligned chip the embedder was given for face n (enlarged 3x, nearest pixel)
  faces.json           boxes, points, quality figures (inter-eye px, yaw, pitch, roll, sharpness,
                       brightness) and, for the ONNX engine, the embedder's raw output length
Nothing is put in the OpenLFR store and nothing is audited as a biometric access, because OpenLFR keeps
nothing: no template is stored or compared. The files written are images of faces, yours to handle as such;
do not run this on watchlist, custody or live images.`;

export function registerInspect(program: Command): void {
  program
    .command('inspect')
    .description('draw what the engine sees in one image (boxes, landmarks, aligned chips) for a person to look at; stores nothing')
    .argument('<image>', 'a public or test image (JPEG, PNG or WebP)')
    .requiredOption('--out <dir>', 'folder to write overlay.png, face-<n>-chip.png and faces.json into (created if missing)')
    .option('--engine <name>', 'engine adapter (onnx | human)')
    .option('--json', 'print the faces as JSON')
    .addHelpText('after', HELP)
    .action(async (imagePath: string, o: { out: string; engine?: string; json?: boolean }) => {
      const config = loadConfig(o.engine ? { engine: { name: o.engine } } : {});
      const out = resolve(o.out);
      const existing = await stat(out).catch(() => null);
      if (existing && !existing.isDirectory()) throw new OpenLfrError('BAD_REQUEST', `--out ${out}: exists and is not a folder`);
      const image = await readImageFile(imagePath, { maxPixels: config.engine.maxImagePixels, maxBytes: config.engine.maxImageBytes });
      const engine = await createEngine(config.engine, 1);
      let r;
      try {
        r = await inspectImage(engine, image);
      } finally {
        await engine.close();
      }
      await mkdir(out, { recursive: true });
      const files = ['overlay.png', ...r.chipPngs.map((_, i) => `face-${i + 1}-chip.png`), 'faces.json'];
      await writeFile(join(out, 'overlay.png'), r.overlayPng);
      for (const [i, png] of r.chipPngs.entries()) await writeFile(join(out, `face-${i + 1}-chip.png`), png);
      const summary = { image: resolve(imagePath), engine: r.engine, width: r.width, height: r.height, faces: r.faces, out, files };
      await writeFile(join(out, 'faces.json'), JSON.stringify(summary, null, 2) + '\n');
      if (o.json) return console.log(JSON.stringify(summary, null, 2));
      console.log(`${imagePath}: ${r.width}x${r.height}, ${r.faces.length} face(s), engine ${r.engine}`);
      for (const f of r.faces) {
        const q = f.quality;
        console.log(
          `  #${f.index} box ${f.box.x},${f.box.y} ${f.box.width}x${f.box.height} score ${f.score}; inter-eye ${q.interEyePx.toFixed(1)} px, yaw ${q.yawDeg.toFixed(0)}, pitch ${q.pitchDeg.toFixed(0)}, roll ${q.rollDeg.toFixed(0)}, sharpness ${q.sharpness.toFixed(0)}, brightness ${q.brightness.toFixed(0)}${f.embeddingNorm === null ? '' : `, embedding norm ${f.embeddingNorm.toFixed(2)}`}`,
        );
      }
      console.log(`written to ${out}: ${files.join(', ')}`);
    });
}
