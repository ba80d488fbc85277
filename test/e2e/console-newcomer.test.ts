/**
 * Issue 14, item 13, in a real browser (Debian's Chromium through playwright-core): what a newcomer found in
 * the console, each step performed as they did it. The API runs in this process on the test rig (embedded
 * store, fake engine), serving the built console (`console/dist`, made by `npm ci`).
 *
 * - the People page must not carry the reason typed for one action into another (it recorded the wrong reason);
 * - a refused form shows a sentence, not the schema library's text;
 * - an investigator lands on a page of their own, not a FORBIDDEN one;
 * - the reviewer of a watchlist entry sees the photo they review;
 * - the audit alarm reaches the console of every role.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import type { Page } from 'playwright-core';
import { createApp, CONSOLE_DIST } from '../../src/api/app.ts';
import type { Principal, Rank, Role } from '../../src/governance/model.ts';
import { openBrowser, type TestBrowser } from '../helpers/browser.ts';
import { confirmGrants, makeRig, pngBytes, type TestRig } from '../helpers/governance.ts';

// Browser globals used inside page.evaluate callbacks (this file is type-checked with Node's lib only).
declare const document: { querySelector(s: string): { naturalWidth?: number; textContent: string | null } | null; body: { innerText: string } };

const pw = (u: string) => `${u}-newcomer-password`;
const PEOPLE: Array<[string, Role[], Rank | null]> = [
  ['supt', ['AUTHORISING_OFFICER'], 'SUPERINTENDENT'],
  ['wm1', ['WATCHLIST_MANAGER'], null],
  ['wm2', ['WATCHLIST_MANAGER'], null],
  ['op', ['OPERATOR'], null],
  ['inv', ['INVESTIGATOR'], null],
  ['aud', ['AUDITOR'], null],
];

let rig: TestRig;
let server: ReturnType<typeof serve>;
let url: string;
let browser: TestBrowser;
let page: Page;
let depId: string;
const as: Record<string, Principal> = {};

before(async () => {
  assert.ok(existsSync(join(CONSOLE_DIST, 'index.html')), 'the console is built (npm ci / npm run build:console)');
  rig = await makeRig();
  const u = rig.services.users;
  await u.bootstrap({ username: 'admin', displayName: 'Admin', roles: ['ADMIN'], password: pw('admin') });
  as.admin = await u.checkPassword('admin', pw('admin'), 'test');
  for (const [username, roles, rank] of PEOPLE) await u.create(as.admin, { username, displayName: username, roles, rank, password: pw(username) });
  await confirmGrants(rig.services, as.admin);
  for (const [username] of PEOPLE) as[username] = await u.checkPassword(username, pw(username), 'test');
  // a draft with one entry enrolled by wm1, waiting for wm2's review
  rig.clock.set('2026-06-01T08:00:00Z');
  const d = await rig.services.deployments.create(as.op!, {
    name: 'Queen Street, match day', purpose: 'Locate people wanted on warrant expected in the crowd', useCase: 'Locate wanted persons',
    locations: [{ name: 'Queen Street', reason: 'Intelligence places the wanted subjects here' }], cameras: ['van-1'],
    startsAt: new Date('2026-06-01T10:00:00Z'), endsAt: new Date('2026-06-01T16:00:00Z'), threshold: 0.6, dpiaRef: 'DPIA-2026-014', policyRefs: ['LFR-POLICY-v3'],
  });
  depId = d.id;
  await rig.services.watchlists.enrol(as.wm1!, d.id, {
    sourceRecordId: 'PNC-11/123456A', category: 'WANTED_BY_COURT', reason: 'Failed to appear: warrant issued by the Crown Court',
    legalBasis: 'Warrant not backed for bail, Magistrates Courts Act 1980 s.97', imageSource: 'custody imaging system', captureDate: '2026-03-02',
    under18: false, image: await pngBytes(7),
  });
  const app = createApp(rig.services, { consoleDir: CONSOLE_DIST });
  server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
  });
  const addr = server.address();
  url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  browser = await openBrowser();
  page = await browser.context.newPage();
});

after(async () => {
  await browser?.close();
  if (server) await new Promise<void>((r) => server.close(() => r()));
  await rig?.close();
});

async function login(username: string): Promise<void> {
  await page.goto(`${url}/#/`);
  await page.locator('input[name=username]').fill(username);
  await page.locator('input[name=password]').fill(pw(username));
  await page.keyboard.press('Enter');
  await page.getByTestId('who').waitFor();
}
async function logout(): Promise<void> {
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.locator('input[name=username]').waitFor();
}
const audit = async (action: string) => (await rig.db.query<{ target: string; reason: string }>(`select target, reason from audit_log where action = $1 order by seq`, [action])).map((r) => [r.target, r.reason]);

test('console newcomer: People keeps each action\'s reason to itself; a refused form reads as a sentence', { timeout: 120_000 }, async () => {
  await login('admin');
  await page.getByRole('link', { name: 'People' }).click();
  const row = page.locator('tr[data-username=aud]');
  await row.waitFor();
  await row.locator('textarea[name=disable-aud]').fill('Suspended pending a misconduct inquiry');
  await row.getByRole('button', { name: 'Disable' }).click();
  await row.getByText('disabled', { exact: true }).waitFor();
  // the Enable box is empty: the disable reason is not offered again
  const enable = row.locator('textarea[name=enable-aud]');
  await enable.waitFor();
  assert.equal(await enable.inputValue(), '');
  await enable.fill('Inquiry closed with no case to answer');
  await row.getByRole('button', { name: 'Enable' }).click();
  await row.getByText('active', { exact: true }).waitFor();
  assert.deepEqual(await audit('user.disable'), [['user:aud', 'Suspended pending a misconduct inquiry']]);
  assert.deepEqual(await audit('user.enable'), [['user:aud', 'Inquiry closed with no case to answer']]);
  // a reason too short: the refusal is a sentence, not "Too small: expected string to have >=5 characters"
  await row.getByRole('button', { name: 'Change roles' }).click();
  const roles = page.getByRole('form', { name: 'Roles of aud' });
  assert.equal(await roles.locator('input[name=roles-reason-aud]').inputValue(), '', 'the roles form starts with no reason either');
  await roles.locator('input[name=roles-reason-aud]').fill('move');
  await roles.getByRole('button', { name: 'Save roles' }).click();
  const refusal = roles.getByRole('alert');
  await refusal.waitFor();
  const text = (await refusal.textContent()) ?? '';
  assert.match(text, /Reason needs at least 5 characters/);
  assert.doesNotMatch(text, /Too small|expected string|>=/);
  await logout();
});

test('console newcomer: an investigator lands on the search page, not a FORBIDDEN one', { timeout: 60_000 }, async () => {
  await login('inv');
  await page.getByRole('heading', { name: 'Retrospective search' }).waitFor();
  const body = await page.evaluate(() => document.body.innerText);
  assert.doesNotMatch(body, /FORBIDDEN|may not/);
  assert.equal(await page.getByRole('link', { name: 'Deployments' }).count(), 0, 'no link to a page the role is refused');
  await logout();
});

test('console newcomer: the reviewer sees the photo of the entry they review (an audited view)', { timeout: 60_000 }, async () => {
  await login('wm2');
  await page.goto(`${url}/#/deployments/${depId}`);
  await page.getByRole('button', { name: /Show the photo/ }).click();
  await page.getByTestId('review-photo').waitFor();
  await page.waitForFunction(() => (document.querySelector('[data-testid=review-photo]')?.naturalWidth ?? 0) > 0);
  const reads = await rig.db.query<{ actor: string; reason: string }>(`select actor, reason from audit_log where action = 'biometric.image.read' order by seq desc limit 1`);
  assert.deepEqual(reads.map((r) => r.actor), ['user:wm2']);
  await logout();
});

test('console newcomer: the audit alarm is shown to every role while the chain is broken', { timeout: 120_000 }, async () => {
  await login('op');
  assert.equal(await page.getByTestId('audit-alarm').count(), 0, 'no alarm while the chain is intact');
  await logout();
  await rig.db.exec(`alter table audit_log disable trigger audit_log_no_update;
    update audit_log set reason = 'rewritten' where seq = 3;
    alter table audit_log enable trigger audit_log_no_update;`);
  await rig.services.retention.verifyNow();
  for (const who of ['admin', ...PEOPLE.map(([u]) => u)]) {
    await login(who);
    const alarm = page.getByTestId('audit-alarm');
    await alarm.waitFor();
    assert.match((await alarm.textContent()) ?? '', /Audit trail BROKEN at entry 3/, who);
    await logout();
  }
});
