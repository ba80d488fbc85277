import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { OpenLfrError } from '../../errors.ts';
import { terminalProgress } from '../../evaluate/progress.ts';
import { folderSource } from '../../search/image-source.ts';
import type { AccessClass } from '../../search/model.ts';
import { asOption, login, print, withServices } from '../governance-context.ts';

export function registerGallery(program: Command): void {
  const g = program.command('gallery').description('galleries for retrospective search (custody images, passport images...)');
  asOption(
    g
      .command('create')
      .description('create a gallery (ADMIN)')
      .requiredOption('--name <name>', 'lower-case letters, digits, - and _')
      .requiredOption('--access <class>', 'LOCAL (e.g. custody images) or RESTRICTED (e.g. passport images held by another body)')
      .requiredOption('--description <text>', 'what the images are and who holds them'),
  ).action(async (o: { as?: string; name: string; access: string; description: string }) => {
    await withServices(async (s) => print(await s.galleries.create(await login(s, o.as), { name: o.name, accessClass: o.access.toUpperCase() as AccessClass, description: o.description })));
  });
  asOption(
    g
      .command('remove')
      .description("take a person's images (--subject) or one image (--source) out of a gallery: templates destroyed, the reason audited (ADMIN)")
      .requiredOption('--gallery <name>')
      .option('--subject <key>', 'every image filed under this subject key (the folder name at import)')
      .option('--source <ref>', 'one image, by its source reference (its path relative to the imported folder)')
      .requiredOption('--reason <text>', 'why: the review, decision or order'),
  ).action(async (o: { as?: string; gallery: string; subject?: string; source?: string; reason: string }) => {
    await withServices(async (s) => print(await s.galleries.removeItems(await login(s, o.as), o.gallery, { subjectKey: o.subject, sourceRef: o.source }, o.reason)));
  });
  asOption(
    g
      .command('retire')
      .description('retire a whole gallery: every template destroyed, every item marked removed, searches and imports refused from then on; the record stays (ADMIN)')
      .requiredOption('--gallery <name>')
      .requiredOption('--reason <text>', 'why: the end of the agreement, an import made in error'),
  ).action(async (o: { as?: string; gallery: string; reason: string }) => {
    await withServices(async (s) => print(await s.galleries.retire(await login(s, o.as), o.gallery, o.reason)));
  });
  asOption(g.command('list').description('galleries with their item counts')).action(async (o: { as?: string }) => {
    await withServices(async (s) => print(await s.galleries.list(await login(s, o.as))));
  });
  asOption(
    g
      .command('import <dir>')
      .description('import every image under <dir> (all cores; resumable: rerun after a crash or Ctrl-C; de-duplicated by content)')
      .requiredOption('--gallery <name>')
      .option('--report <file>', 'write the import report (bad images, failures to enrol, duplicates) as JSON here')
      .option('--json', 'print the whole report as JSON (default: a summary; the lists go to --report)'),
  ).action(async (dir: string, o: { as?: string; gallery: string; report?: string; json?: boolean }) => {
    const ac = new AbortController();
    const stop = () => {
      if (!ac.signal.aborted) process.stderr.write('\nopenlfr: stopping after the images in flight; rerun the same command to continue\n');
      ac.abort();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    let interrupted = false;
    try {
      await withServices(async (s) => {
        const p = await login(s, o.as);
        const bar = terminalProgress(process.stderr, Date.now, 'skipped');
        let lastTenth = -1;
        const report = await s.galleries.importImages(p, o.gallery, folderSource(dir), {
          signal: ac.signal,
          onProgress: (done, total) => {
            if (bar) return bar(done, total, 0);
            const tenth = Math.floor((done * 10) / Math.max(1, total));
            if (tenth !== lastTenth) {
              lastTenth = tenth;
              process.stderr.write(`import: ${done}/${total} images\n`);
            }
          },
        });
        if (o.report) {
          try {
            writeFileSync(o.report, `${JSON.stringify(report, null, 2)}\n`);
          } catch (e) {
            throw new OpenLfrError('BAD_REQUEST', `Cannot write the report to ${o.report}: ${(e as Error).message}`);
          }
        }
        if (o.json) print(report);
        else {
          const { fta, bad, duplicates, ...summary } = report;
          print({ ...summary, fta: fta.length, bad: bad.length, duplicates: duplicates.length, badImages: bad.slice(0, 20), ...(o.report ? { report: o.report } : {}) });
        }
        interrupted = report.interrupted;
      });
      // after the store is closed: closing the embedded engine resets process.exitCode
      if (interrupted) process.exitCode = 130;
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
  });
}
