/**
 * The transparency records as files a force can publish unchanged: CSV (one row per deployment, the
 * columns in the order below) and a self-contained HTML page (inline style, no script, no external
 * resource). Pure functions: no I/O.
 */
import { CATEGORIES } from './model.ts';
import type { DeploymentRecord, SummaryRecord } from './transparency.ts';
import type { AuditAnchor } from './audit-trail.ts';

type Cell = string | number | null;
const iso = (d: Date | null) => (d ? d.toISOString() : null);
const rate = (x: number | null | undefined) => (x == null ? null : Number(x.toPrecision(6)));

/** The published columns, in order: header, then the value. */
export const COLUMNS: readonly [string, (r: DeploymentRecord) => Cell][] = [
  ['deployment_id', (r) => r.deploymentId],
  ['date', (r) => r.date],
  ['name', (r) => r.name],
  ['state', (r) => r.state],
  ['locations', (r) => r.locations.join('; ')],
  ['purpose', (r) => r.purpose],
  ['use_case', (r) => r.useCase],
  ['live_from', (r) => iso(r.liveFrom)],
  ['live_to', (r) => iso(r.liveTo)],
  ['duration_minutes', (r) => r.durationMinutes],
  ['cameras', (r) => r.cameras],
  ['watchlist_size', (r) => r.watchlistSize],
  ...CATEGORIES.map((c): [string, (r: DeploymentRecord) => Cell] => [`watchlist_${c.toLowerCase()}`, (r) => r.watchlistByCategory[c]]),
  ['threshold', (r) => r.threshold],
  ['threshold_floor', (r) => r.floor],
  ['floor_source', (r) => r.floorSource],
  ['calibration_id', (r) => r.calibration?.id ?? null],
  ['calibration_dataset', (r) => r.calibration?.datasetFingerprint ?? null],
  ['engine_id', (r) => r.engineId],
  ['faces_seen', (r) => r.facesSeen],
  ['face_detections', (r) => r.faceDetections],
  ['alerts', (r) => r.alerts],
  ['true_alerts', (r) => r.trueAlerts],
  ['false_alerts', (r) => r.falseAlerts],
  ['confirmed_alerts', (r) => r.confirmedAlerts],
  ['unconfirmed_alerts', (r) => r.unconfirmedAlerts],
  ['unjudged_alerts', (r) => r.unjudgedAlerts],
  ['true_confirmed', (r) => r.trueConfirmed],
  ['false_confirmed', (r) => r.falseConfirmed],
  ['false_unconfirmed', (r) => r.falseUnconfirmed],
  ['engaged_unconfirmed', (r) => r.engagedUnconfirmed],
  ['false_alert_rate_per_face_seen', (r) => rate(r.falseAlertRatePerFaceSeen)],
  ['false_alert_rate_per_alert', (r) => rate(r.falseAlertRatePerAlert)],
  ['engagements', (r) => r.engagements],
  ['arrests', (r) => r.arrests],
  ['crops_held', (r) => r.cropsHeld],
  ['crops_deleted', (r) => r.cropsDeleted],
  ['exported_to_case', (r) => r.exportedToCase],
  ['watchlist_destroyed_at', (r) => iso(r.watchlistDestroyedAt)],
  ['dpia_ref', (r) => r.dpiaRef],
  ['policy_refs', (r) => r.policyRefs.join('; ')],
  ['audit_anchor', (r) => `${r.auditAnchor.seq}:${r.auditAnchor.hash}`],
];

function csvCell(v: Cell): string {
  if (v === null) return '';
  const s = String(v);
  // quote when needed; a leading = + - @ is neutralised so a spreadsheet does not run it as a formula
  const safe = /^[=+\-@\t\r]/.test(s) && typeof v === 'string' ? `'${s}` : s;
  return /[",\r\n]/.test(safe) || safe !== s ? `"${safe.replaceAll('"', '""')}"` : safe;
}

export function toCsv(records: readonly DeploymentRecord[]): string {
  const lines = [COLUMNS.map(([h]) => h).join(','), ...records.map((r) => COLUMNS.map(([, f]) => csvCell(f(r))).join(','))];
  return `${lines.join('\r\n')}\r\n`;
}

const esc = (v: Cell): string =>
  v === null ? '—' : String(v).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const STYLE = `body{font:15px/1.45 system-ui,sans-serif;margin:2rem;color:#111;max-width:70rem}
h1{font-size:1.4rem}table{border-collapse:collapse;margin:1rem 0}th,td{border:1px solid #bbb;padding:.3rem .6rem;text-align:left;vertical-align:top}
th{background:#f1f1f1;font-weight:600}td.n{text-align:right;font-variant-numeric:tabular-nums}p.note{color:#444;font-size:.9rem}`;

const DEFINITIONS = `<p class="note">True alert: the engagement confirmed the identity or led to an arrest. False alert: the engagement
found it was not the person (confirmed), or the operator dismissed it without an engagement (unconfirmed). Unconfirmed also
counts engagements with no outcome recorded or closed with no further action. Unjudged: nobody decided. Faces seen: tracks
(one per face passing a camera and analysed). False alert rate per face seen = false alerts / faces seen. Faces that matched
no one were never stored.</p>`;

/** The audit head at publication, so a reader can later check the trail was not rewritten. */
const anchorNote = (a: AuditAnchor): string =>
  `Audit trail anchor: <code>${a.seq}:${esc(a.hash)}</code> (check with <code>openlfr audit verify --anchor ${a.seq}:${esc(a.hash)}</code>: it fails if any of the first ${a.seq} audit entries was later changed).`;

function page(title: string, body: string): string {
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)}</title><style>${STYLE}</style></head><body>\n${body}\n</body></html>\n`;
}

export function deploymentHtml(r: DeploymentRecord): string {
  const rows = COLUMNS.map(([h, f]) => {
    const v = f(r);
    return `<tr><th scope="row">${esc(h.replaceAll('_', ' '))}</th><td${typeof v === 'number' ? ' class="n"' : ''}>${esc(v)}</td></tr>`;
  }).join('\n');
  return page(`LFR deployment ${r.date}: ${r.name}`, `<h1>Live facial recognition deployment, ${esc(r.date)}: ${esc(r.name)}</h1>
<table>\n${rows}\n</table>\n${DEFINITIONS}\n<p class="note">Generated ${esc(r.generatedAt.toISOString())} by OpenLFR. ${anchorNote(r.auditAnchor)}</p>`);
}

const SUMMARY_COLUMNS = ['date', 'name', 'locations', 'duration_minutes', 'watchlist_size', 'threshold', 'faces_seen', 'alerts', 'true_alerts', 'false_alerts', 'unconfirmed_alerts', 'unjudged_alerts', 'false_alert_rate_per_face_seen', 'engagements', 'arrests'];

export function summaryHtml(s: SummaryRecord): string {
  const cols = COLUMNS.filter(([h]) => SUMMARY_COLUMNS.includes(h));
  const head = `<tr>${cols.map(([h]) => `<th>${esc(h.replaceAll('_', ' '))}</th>`).join('')}</tr>`;
  const body = s.deployments.map((r) => `<tr>${cols.map(([, f]) => { const v = f(r); return `<td${typeof v === 'number' ? ' class="n"' : ''}>${esc(v)}</td>`; }).join('')}</tr>`).join('\n');
  const t = s.totals;
  const totals = `<p>${t.deployments} deployments (${t.wentLive} went live), ${t.durationMinutes} minutes live, ${t.facesSeen} faces seen,
${t.alerts} alerts: ${t.trueAlerts} true, ${t.falseAlerts} false, ${t.unconfirmedAlerts} unconfirmed, ${t.unjudgedAlerts} unjudged;
${t.engagements} engagements, ${t.arrests} arrests. False alert rate per face seen: ${esc(rate(t.falseAlertRatePerFaceSeen))}.</p>`;
  const range = `${s.from.toISOString().slice(0, 10)} to ${s.to.toISOString().slice(0, 10)}`;
  return page(`LFR deployments ${range}`, `<h1>Live facial recognition deployments, ${esc(range)}</h1>\n${totals}\n<table>\n${head}\n${body}\n</table>\n${DEFINITIONS}
<h2>Retrospective searches</h2>
<table>
<tr><th>gallery</th><th>access class</th><th>searches</th><th>released</th><th>withheld</th><th>refused</th></tr>
${s.retrospectiveSearches.perGallery.map((g) => `<tr><td>${esc(g.gallery)}</td><td>${esc(g.accessClass ?? '')}</td><td class="n">${g.searches}</td><td class="n">${g.released}</td><td class="n">${g.withheld}</td><td class="n">${g.refused}</td></tr>`).join('\n')}
</table>
<p class="note">Searches counted by calendar month of the period. Generated ${esc(s.generatedAt.toISOString())} by OpenLFR. ${anchorNote(s.auditAnchor)}</p>`);
}
