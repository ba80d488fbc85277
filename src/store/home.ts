/**
 * The OpenLFR home folder (`$OPENLFR_HOME`: the embedded database, sealed blobs, the demo key) must be
 * readable by its owner only. A home that already exists with group or world access (for example made by
 * `mkdir` under umask 022, mode 755) would leave the database readable by every user of the machine, so it is
 * refused with the command that fixes it; a home OpenLFR creates is made 0700 (files inside are 0600).
 */
import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { OpenLfrError } from '../errors.ts';

/** Check (and, when `create`, make) the home folder. Throws STORE_PERMISSIONS. */
export function secureHome(home: string, o: { create: boolean }): void {
  let st;
  try {
    st = statSync(home);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    if (!o.create) return;
    mkdirSync(home, { recursive: true, mode: 0o700 });
    chmodSync(home, 0o700);
    return;
  }
  if (!st.isDirectory()) throw new OpenLfrError('STORE_PERMISSIONS', `OPENLFR_HOME ${home} is not a folder`, { home });
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) {
    throw new OpenLfrError('STORE_PERMISSIONS', `OPENLFR_HOME ${home} belongs to another user (uid ${st.uid}); OpenLFR keeps its data only in a folder of its own user (uid ${uid})`, { home, owner: st.uid });
  }
  const mode = st.mode & 0o777;
  if (mode & 0o077) {
    throw new OpenLfrError(
      'STORE_PERMISSIONS',
      `OPENLFR_HOME ${home} has mode ${mode.toString(8).padStart(3, '0')}: other users of this machine could read the database and sealed files. Run \`chmod 700 ${home}\` (and check who may already have copied it), then start again`,
      { home, mode: mode.toString(8).padStart(3, '0') },
    );
  }
}
