import { join } from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../../config.ts';
import { identifyDemo } from '../../demo/identify.ts';
import { createEngine } from '../../engine/index.ts';

export function registerIdentify(program: Command): void {
  program
    .command('identify')
    .description('tiny identification demo: enrol one photo per person, then look for them in other photos (in memory only)')
    .option('--enrol <dir>', 'folder of identity folders (default: <datasets>/bbt/identities)')
    .option('--probe <path>', 'image or folder of images to search (default: <datasets>/bbt/group_photos)')
    .option('--threshold <t>', 'score at or above which a face is a possible match', (v) => parseFloat(v), 0.4)
    .option('--top <k>', 'candidates shown per face', (v) => parseInt(v, 10), 3)
    .option('--json', 'print JSON')
    .action(async (o: { enrol?: string; probe?: string; threshold: number; top: number; json?: boolean }) => {
      const config = loadConfig();
      const engine = await createEngine(config.engine);
      try {
        const limits = { maxPixels: config.engine.maxImagePixels, maxBytes: config.engine.maxImageBytes };
        const r = await identifyDemo(engine, o.enrol ?? join(config.datasets, 'bbt', 'identities'), o.probe ?? join(config.datasets, 'bbt', 'group_photos'), {
          threshold: o.threshold,
          top: o.top,
          limits,
        });
        if (o.json) return console.log(JSON.stringify(r, null, 2));
        console.log(`engine ${r.engine}; ${r.enrolled.length} people enrolled; threshold ${r.threshold}`);
        console.log('Scores are similarities; a "possible match" is for a person to judge, never an identification.\n');
        for (const p of r.probes) {
          console.log(`${p.file}: ${p.error ? `ERROR ${p.error}` : `${p.faces.length} face(s)`}`);
          for (const f of p.faces) {
            const c = f.candidates.map((x) => `${x.subject} ${x.score.toFixed(3)}`).join(', ');
            console.log(`  face at ${f.box.x},${f.box.y} ${f.box.width}x${f.box.height}: ${f.verdict.padEnd(14)} [${c}]`);
          }
        }
      } finally {
        await engine.close();
      }
    });
}
