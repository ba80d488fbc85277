import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { OpenLfrError } from '../../errors.ts';
import { SYSTEM_SWEEP } from '../../governance/model.ts';
import { asOption, login, print, withServices } from '../governance-context.ts';

const positive = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive whole number');
  return n;
};

interface SearchOpts {
  as?: string;
  gallery?: string;
  probe?: string;
  case?: string;
  offence?: string;
  top?: number;
  face?: number;
  authority?: string;
  json?: boolean;
}

export function registerSearch(program: Command): void {
  const search = asOption(
    program
      .command('search')
      .description('retrospective search of a gallery with a probe image (INVESTIGATOR), behind the gate: case, serious offence, and for RESTRICTED galleries LOCAL first, authority and two reviews')
      .option('--gallery <name>')
      .option('--probe <image>')
      .option('--case <ref>', 'case reference (required by the gate)')
      .option('--offence <code>', 'offence code from the configured list of serious offences (required by the gate)')
      .option('--top <n>', 'candidates to return (default 20)', positive)
      .option('--face <n>', 'which face of the probe, 1 = largest (required when it shows several)', positive)
      .option('--authority <id>', 'granted authority (RESTRICTED galleries)')
      .option('--json', 'print JSON (the default output is JSON too)'),
  ).action(async (o: SearchOpts) => {
    if (!o.gallery || !o.probe) throw new OpenLfrError('BAD_REQUEST', 'Say which gallery and which probe image: --gallery <name> --probe <image>');
    let probe: Uint8Array;
    try {
      probe = new Uint8Array(readFileSync(o.probe));
    } catch (e) {
      throw new OpenLfrError('IMAGE_UNREADABLE', `Cannot read ${o.probe}: ${(e as Error).message}`);
    }
    await withServices(async (s) => {
      const p = await login(s, o.as);
      print(await s.searches.search(p, { gallery: o.gallery!, probe, caseRef: o.case, offence: o.offence, top: o.top, face: o.face, authorityId: o.authority }));
    });
  });
  asOption(
    search
      .command('request-authority')
      .description('ask for authority to search a RESTRICTED gallery for a case (INVESTIGATOR)')
      .requiredOption('--gallery <name>')
      .requiredOption('--case <ref>')
      .requiredOption('--offence <code>')
      .requiredOption('--justification <text>', 'written public-interest justification'),
  ).action(async (o: { as?: string; gallery: string; case: string; offence: string; justification: string }) => {
    await withServices(async (s) => print(await s.searches.requestAuthority(await login(s, o.as), { gallery: o.gallery, caseRef: o.case, offence: o.offence, justification: o.justification })));
  });
  asOption(search.command('authorise <authorityId>').description('grant it (AUTHORISING_OFFICER, Superintendent or above, not the requester)').requiredOption('--note <text>')).action(
    async (id: string, o: { as?: string; note: string }) => {
      await withServices(async (s) => print(await s.searches.authorise(await login(s, o.as), id, o.note)));
    },
  );
  asOption(search.command('review <searchId>').description('look at a withheld RESTRICTED result and record the review (not the searcher)').requiredOption('--note <text>')).action(
    async (id: string, o: { as?: string; note: string }) => {
      await withServices(async (s) => print(await s.searches.review(await login(s, o.as), id, o.note)));
    },
  );
  asOption(search.command('result <searchId>').description('a search result (withheld until released)')).action(async (id: string, o: { as?: string }) => {
    await withServices(async (s) => print(await s.searches.result(await login(s, o.as), id)));
  });
  search
    .command('sweep')
    .description(`delete probes and results whose retention period has ended (runs as ${SYSTEM_SWEEP.kind}:retention-sweep)`)
    .action(async () => {
      await withServices(async (s) => print(await s.searches.sweep()));
    });
}
