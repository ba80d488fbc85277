import type { Command } from 'commander';
import { asOption, login, print, withServices } from '../governance-context.ts';

/** `openlfr camera-source list|allow|remove`: the ADMIN's allow-list of camera stream hosts and URL prefixes (issue 14). */
export function registerCameraSource(program: Command): void {
  const cmd = program.command('camera-source').description('the allow-list of camera stream hosts and URL prefixes a deployment may use (ADMIN; audited)');
  asOption(cmd.command('list').description('list the allowed hosts and URL prefixes')).action(async (o: { as?: string }) => {
    await withServices(async (s) => print(await s.cameraSources.list(await login(s, o.as))));
  });
  asOption(
    cmd
      .command('allow <entry>')
      .description('allow a host (any port and path on it) or a URL prefix such as rtsp://10.20.0.15:554/Streaming/')
      .requiredOption('--reason <text>', 'which camera this is and why it may be used'),
  ).action(async (entry: string, o: { as?: string; reason: string }) => {
    await withServices(async (s) => print(await s.cameraSources.add(await login(s, o.as), { entry, reason: o.reason })));
  });
  asOption(
    cmd
      .command('remove <entry>')
      .description('take a host or prefix off the list: deployments using it can no longer be drafted with it or go live')
      .requiredOption('--reason <text>', 'why the source may no longer be used'),
  ).action(async (entry: string, o: { as?: string; reason: string }) => {
    await withServices(async (s) => {
      await s.cameraSources.remove(await login(s, o.as), entry, o.reason);
      print({ removed: entry });
    });
  });
}
