import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { z } from '@hono/zod-openapi';
import { DeploymentInputSchema, DeploymentPatchSchema, parseRequest, toDeploymentInput } from '../../api/schemas.ts';
import { OpenLfrError } from '../../errors.ts';
import type { Principal } from '../../governance/model.ts';
import type { Services } from '../../governance/services.ts';
import { asOption, login, print, withServices } from '../governance-context.ts';

/** Read a deployment body and check it with the API's schema for the same command (strict: unknown keys refused). */
function readInput(file: string, schema: typeof DeploymentInputSchema | typeof DeploymentPatchSchema) {
  let v: unknown;
  try {
    v = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new OpenLfrError('BAD_REQUEST', `Cannot read deployment JSON from ${file}: ${(e as Error).message}`);
  }
  return toDeploymentInput(parseRequest(schema, v) as z.infer<typeof DeploymentPatchSchema>);
}

export function registerDeployment(program: Command): void {
  const dep = program.command('deployment').description('deployments: draft, authorise, go live, close');
  const act = (name: string, description: string, run: (s: Services, p: Principal, id: string, text: string) => Promise<unknown>, textOption?: string) => {
    const c = asOption(dep.command(`${name} <id>`).description(description));
    if (textOption) c.option(`--${textOption} <text>`, textOption === 'note' ? 'the reasons, recorded in the audit trail' : 'why');
    c.action(async (id: string, o: { as?: string; note?: string; reason?: string }) => {
      await withServices(async (s) => print(await run(s, await login(s, o.as), id, o.note ?? o.reason ?? '')));
    });
  };
  asOption(dep.command('create').description('draft a deployment from a JSON file (fields as POST /api/v1/deployments)').requiredOption('--file <json>')).action(
    async (o: { file: string; as?: string }) => {
      await withServices(async (s) => print(await s.deployments.create(await login(s, o.as), readInput(o.file, DeploymentInputSchema) as never)));
    },
  );
  asOption(dep.command('update <id>').description('edit a draft from a JSON file of the fields to change').requiredOption('--file <json>')).action(
    async (id: string, o: { file: string; as?: string }) => {
      await withServices(async (s) => print(await s.deployments.update(await login(s, o.as), id, readInput(o.file, DeploymentPatchSchema))));
    },
  );
  asOption(dep.command('list').description('list deployments')).action(async (o: { as?: string }) => {
    await withServices(async (s) => print(await s.deployments.list(await login(s, o.as))));
  });
  act('show', 'show one deployment', (s, p, id) => s.deployments.get(p, id));
  act('request', 'request authority', (s, p, id, t) => s.deployments.requestAuthorisation(p, id, t), 'note');
  act('authorise', 'authorise (AUTHORISING_OFFICER, Superintendent or above, not the requester)', (s, p, id, t) => s.deployments.authorise(p, id, t), 'note');
  act('public-notice', 'confirm that public notice (signage) is in place', (s, p, id, t) => s.deployments.confirmPublicNotice(p, id, t), 'note');
  act('go-live', 'go live (every safeguard checked; the watchlist freezes)', (s, p, id) => s.deployments.goLive(p, id));
  act('close', 'close a live deployment (watchlist biometrics destroyed)', (s, p, id, t) => s.deployments.close(p, id, t), 'reason');
  act('cancel', 'cancel a deployment that is not live (watchlist biometrics destroyed)', (s, p, id, t) => s.deployments.cancel(p, id, t), 'reason');
  dep
    .command('sweep')
    .description('close deployments whose window ended and destroy finished watchlists (the server does this on a timer)')
    .action(async () => {
      await withServices(async (s) => print(await s.deployments.sweep()));
    });
}
