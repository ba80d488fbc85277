/**
 * The tiny identification demo: enrol one photo per person from a folder of identity folders, then
 * look for them in other photos. Everything stays in memory; nothing is written anywhere.
 * Results are "possible matches" for a person to judge, never identifications.
 */
import { readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { FaceEngine } from '../engine/port.ts';
import { similarity, wipe } from '../engine/port.ts';
import { readImageFile, type ImageLimits } from '../ingest/image.ts';

export interface IdentifyFace {
  box: { x: number; y: number; width: number; height: number };
  candidates: Array<{ subject: string; score: number }>;
  verdict: 'possible match' | 'no match';
}

export interface IdentifyResult {
  engine: string;
  threshold: number;
  enrolled: string[];
  probes: Array<{ file: string; faces: IdentifyFace[]; error?: string }>;
}

const IMAGE = /\.(jpe?g|png|webp)$/i;

function listImages(path: string): string[] {
  if (statSync(path).isFile()) return [path];
  return readdirSync(path)
    .filter((f) => IMAGE.test(f))
    .sort()
    .map((f) => join(path, f));
}

export async function identifyDemo(engine: FaceEngine, enrolDir: string, probe: string, opts: { threshold: number; top: number; limits: ImageLimits }): Promise<IdentifyResult> {
  const gallery: Array<{ subject: string; template: Float32Array }> = [];
  for (const d of readdirSync(enrolDir, { withFileTypes: true }).filter((e) => e.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
    const [first] = listImages(join(enrolDir, d.name));
    if (!first) continue;
    const [face] = await engine.analyse(await readImageFile(first, opts.limits), { maxFaces: 1 });
    if (face) gallery.push({ subject: d.name, template: face.embedding });
  }
  const probes: IdentifyResult['probes'] = [];
  for (const file of listImages(probe)) {
    try {
      const found = await engine.analyse(await readImageFile(file, opts.limits));
      const faces = found.map(({ face, embedding }) => {
        const candidates = gallery
          .map((g) => ({ subject: g.subject, score: Math.round(similarity(embedding, g.template) * 1000) / 1000 }))
          .sort((a, b) => b.score - a.score)
          .slice(0, opts.top);
        const verdict = candidates[0] && candidates[0].score >= opts.threshold ? ('possible match' as const) : ('no match' as const);
        wipe(embedding);
        wipe(face.chip.data);
        const b = face.box;
        return { box: { x: Math.round(b.x), y: Math.round(b.y), width: Math.round(b.width), height: Math.round(b.height) }, candidates, verdict };
      });
      probes.push({ file: basename(file), faces });
    } catch (err) {
      probes.push({ file: basename(file), faces: [], error: err instanceof Error ? err.message : String(err) });
    }
  }
  for (const g of gallery) wipe(g.template);
  return { engine: engine.id, threshold: opts.threshold, enrolled: gallery.map((g) => g.subject), probes };
}
