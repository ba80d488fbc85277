import type { Command } from 'commander';
import { OpenLfrError } from '../../errors.ts';
import { asOption, login, print, withServices } from '../governance-context.ts';
import { parseAnchor } from '../../governance/audit-trail.ts';

export function registerAudit(program: Command): void {
  const audit = program.command('audit').description('the hash-chained audit trail');
  audit
    .command('verify')
    .description('check the whole chain, then replay it against deployments, alerts, users and calibrations; names the first bad entry or row (exit code 3 when broken)')
    .option('--json', 'print the verdict as JSON')
    .option('--anchor <seq:hash...>', 'published audit anchors (from transparency reports) the chain must still contain')
    .action(async (o: { json?: boolean; anchor?: string[] }) => {
      const anchors = (o.anchor ?? []).map(parseAnchor);
      const v = await withServices((s) => s.audit.verify({ kind: 'system', name: 'audit-verifier' }, anchors));
      if (o.json) console.log(JSON.stringify(v));
      else if (v.ok)
        console.log(`audit trail intact: ${v.entries} entries, head ${v.headCount}:${v.headHash}${anchors.length ? `; ${anchors.length} published anchor(s) match` : ''}; ${v.rowsChecked ?? 0} rows of deployments, alerts, users and calibrations match the trail`);
      else if (v.firstBad?.row) console.log(`audit trail does NOT MATCH the store: ${v.firstBad.problem}`);
      else console.log(`audit trail BROKEN at entry ${v.firstBad?.seq ?? '?'} (position ${v.firstBad?.position}): ${v.firstBad?.problem}`);
      // set after the store is closed: closing the embedded engine resets process.exitCode
      if (!v.ok) process.exitCode = 3;
    });
  asOption(
    audit
      .command('list')
      .description('list entries (ADMIN, AUDITOR)')
      .option('--action <action>')
      .option('--actor <actor>')
      .option('--target <target>')
      .option('--after <seq>', 'entries after this sequence number', '0')
      .option('--before <seq>', 'entries before this sequence number')
      .option('--newest-first', 'newest first (page back with --before)')
      .option('--limit <n>', 'at most this many', '100'),
  ).action(async (o: { as?: string; action?: string; actor?: string; target?: string; after: string; before?: string; newestFirst?: boolean; limit: string }) => {
    const whole = (v: string | undefined, name: string) => {
      if (v === undefined) return undefined;
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) throw new OpenLfrError('BAD_REQUEST', `--${name} must be a whole number (got "${v}")`);
      return n;
    };
    const f = { action: o.action, actor: o.actor, target: o.target, afterSeq: whole(o.after, 'after'), beforeSeq: whole(o.before, 'before'), newestFirst: o.newestFirst === true, limit: whole(o.limit, 'limit') };
    await withServices(async (s) => print(await s.audit.list(await login(s, o.as), f)));
  });
}
