import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { OpenLfrError } from '../../errors.ts';
import type { Rank, Role } from '../../governance/model.ts';
import { asOption, login, print, withServices } from '../governance-context.ts';

export function registerUser(program: Command): void {
  const user = program.command('user').description('people and roles');
  asOption(
    user
      .command('add')
      .description('add a user (the first user of an empty store is an ADMIN only and needs no --as); AUTHORISING_OFFICER, ADMIN and a rank wait for a second ADMIN: user confirm-grant')
      .requiredOption('--username <name>')
      .option('--display-name <text>')
      .requiredOption('--role <role...>', 'ADMIN, AUTHORISING_OFFICER, WATCHLIST_MANAGER, OPERATOR, ENGAGEMENT_OFFICER, AUDITOR')
      .option('--rank <rank>', 'police rank (required for AUTHORISING_OFFICER), e.g. SUPERINTENDENT')
      .option('--password-env <var>', 'read the new password from this environment variable (else one is generated and printed once)'),
  ).action(async (o: { username: string; displayName?: string; role: string[]; rank?: string; passwordEnv?: string; as?: string }) => {
    let password = randomBytes(15).toString('base64url');
    let generated = true;
    if (o.passwordEnv) {
      const v = process.env[o.passwordEnv];
      if (!v) throw new OpenLfrError('BAD_REQUEST', `Environment variable ${o.passwordEnv} is empty`);
      password = v;
      generated = false;
    }
    await withServices(async (s) => {
      const input = { username: o.username, displayName: o.displayName ?? o.username, roles: o.role as Role[], rank: (o.rank ?? null) as Rank | null, password };
      const created = (await s.users.count()) === 0 && !o.as ? await s.users.bootstrap(input) : await s.users.create(await login(s, o.as), input);
      print(generated ? { user: created, password, note: 'shown once: give it to the user' } : { user: created });
    });
  });
  asOption(user.command('list').description('list users')).action(async (o: { as?: string }) => {
    await withServices(async (s) => print(await s.users.list(await login(s, o.as))));
  });
  for (const [name, disabled, what] of [
    ['disable', true, 'disable an account (ADMIN; not your own, not the last ADMIN): it can no longer log in and its sessions end'],
    ['enable', false, 'enable a disabled account again (ADMIN; not your own)'],
  ] as const) {
    asOption(user.command(`${name} <username>`).description(what).requiredOption('--reason <text>', 'why (recorded in the audit trail)')).action(
      async (username: string, o: { reason: string; as?: string }) => {
        await withServices(async (s) => print(await s.users.setDisabled(await login(s, o.as), username, disabled, o.reason)));
      },
    );
  }
  asOption(
    user
      .command('roles <username>')
      .description("change someone's roles and rank (ADMIN; never your own; the last ADMIN keeps the role); granting AUTHORISING_OFFICER, ADMIN or a rank waits for a second ADMIN: user confirm-grant")
      .requiredOption('--role <role...>')
      .option('--rank <rank>')
      .requiredOption('--reason <text>', 'why (recorded in the audit trail)'),
  ).action(async (username: string, o: { role: string[]; rank?: string; reason: string; as?: string }) => {
    await withServices(async (s) => print(await s.users.setRoles(await login(s, o.as), username, { roles: o.role as Role[], rank: (o.rank ?? null) as Rank | null }, o.reason)));
  });
  asOption(user.command('grants').description('grants of AUTHORISING_OFFICER, ADMIN or a rank waiting for a second ADMIN (--all: recent decided ones too)').option('--all')).action(
    async (o: { all?: boolean; as?: string }) => {
      await withServices(async (s) => print(await s.users.grants(await login(s, o.as), o.all ? 'ALL' : 'PENDING')));
    },
  );
  for (const [name, decision, what] of [
    ['confirm-grant', 'confirm', "confirm the grant waiting on this account (a second ADMIN: not who asked for it, not the grantee); it takes effect now"],
    ['decline-grant', 'decline', 'decline the grant waiting on this account (a second ADMIN)'],
  ] as const) {
    asOption(user.command(`${name} <username>`).description(what).requiredOption('--note <text>', 'why (recorded in the audit trail)')).action(
      async (username: string, o: { note: string; as?: string }) => {
        await withServices(async (s) => print(await s.users.decideGrant(await login(s, o.as), username, decision, o.note)));
      },
    );
  }
  asOption(
    user
      .command('password <username>')
      .description("set a password: your own (--as yourself; the current one in OPENLFR_PASSWORD), or reset someone's as an ADMIN with --reason; every session of the account ends")
      .requiredOption('--password-env <var>', 'read the new password from this environment variable (never from the command line)')
      .option('--reason <text>', "why (required to reset someone else's password)"),
  ).action(async (username: string, o: { passwordEnv: string; reason?: string; as?: string }) => {
    const newPassword = process.env[o.passwordEnv];
    if (!newPassword) throw new OpenLfrError('BAD_REQUEST', `Environment variable ${o.passwordEnv} is empty`);
    await withServices(async (s) => {
      const p = await login(s, o.as);
      await s.users.setPassword(p, username, { newPassword, currentPassword: process.env.OPENLFR_PASSWORD, reason: o.reason });
      print({ ok: true, user: username });
    });
  });
}
