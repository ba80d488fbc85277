/**
 * The API test rig shared by the tiers that attack the governance rules over HTTP: services on an in-memory
 * store, an ADMIN bootstrapped, the named people created through the API and logged in (grants of power
 * confirmed by a second ADMIN), and the request bodies of a typical deployment and watchlist entry.
 */
import assert from 'node:assert/strict';
import { createApp } from '../../src/api/app.ts';
import type { Rank, Role } from '../../src/governance/model.ts';
import { client } from './api-client.ts';
import { confirmGrants, makeRig, pngBytes, type TestRig } from './governance.ts';

export type Person = [username: string, roles: Role[], rank: Rank | null];

export interface ApiRig {
  rig: TestRig;
  call: ReturnType<typeof client>;
  /** Bearer tokens by username (`admin` included). */
  tok: Record<string, string>;
  /** A small real PNG, base64, for enrolments. */
  png: string;
}

/** Each person's password is `<username>-password-1`. */
export async function apiRig(people: readonly Person[], rig?: TestRig): Promise<ApiRig> {
  rig ??= await makeRig();
  const call = client(createApp(rig.services));
  const png = Buffer.from(await pngBytes()).toString('base64');
  const tok: Record<string, string> = {};
  await rig.services.users.bootstrap({ username: 'admin', displayName: 'Admin', roles: ['ADMIN'], password: 'admin-password-1' });
  tok.admin = (await call('POST', '/api/v1/sessions', null, { username: 'admin', password: 'admin-password-1' })).body.token as string;
  for (const [username, roles, rank] of people) {
    const r = await call('POST', '/api/v1/users', tok.admin, { username, displayName: username, roles, rank, password: `${username}-password-1` });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    tok[username] = (await call('POST', '/api/v1/sessions', null, { username, password: `${username}-password-1` })).body.token as string;
  }
  // AUTHORISING_OFFICER and a rank need a second ADMIN (issue 14, 3a)
  await confirmGrants(rig.services, await rig.services.users.authenticate(tok.admin));
  return { rig, call, tok, png };
}

/** A deployment as POST /api/v1/deployments takes it. */
export const deploymentBody = (over: Record<string, unknown> = {}) => ({
  name: 'Queen Street, match day',
  purpose: 'Locate people wanted on warrant expected among the crowd',
  useCase: 'Locate wanted persons',
  locations: [{ name: 'Queen Street', reason: 'Intelligence places two wanted subjects here on match days' }],
  cameras: ['van-1'],
  startsAt: '2026-06-01T10:00:00Z',
  endsAt: '2026-06-01T16:00:00Z',
  threshold: 0.6,
  dpiaRef: 'DPIA-2026-014',
  policyRefs: ['LFR-POLICY-v3'],
  ...over,
});

/** A watchlist entry as POST /api/v1/deployments/{id}/watchlist takes it. */
export const entryBody = (png: string, over: Record<string, unknown> = {}) => ({
  sourceRecordId: 'PNC-26/000123A',
  category: 'WANTED_BY_COURT',
  reason: 'Failed to appear: warrant issued by Cardiff Crown Court',
  legalBasis: 'Warrant not backed for bail, Magistrates Courts Act 1980 s.97',
  imageSource: 'custody imaging system',
  captureDate: '2026-03-02',
  under18: false,
  imageBase64: png,
  ...over,
});
