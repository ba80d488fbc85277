import { useEffect, useState, type ReactNode } from 'react';
import { api, ApiError, can, CATEGORY_LABEL, fileBase64, fmtTime, getSession, imageUrl } from '../api.ts';
import { ActionButton, ErrorBox, Field, FormEnd, NoteAction, useLoad } from '../ui.tsx';
import { StateBadge } from './Deployments.tsx';
import type { Deployment, Entry } from './types.ts';

/** A text box and a button: actions that need a recorded note or reason. */
export function DeploymentPage({ id }: { id: string }): ReactNode {
  const dep = useLoad(() => api<Deployment>('GET', `/api/v1/deployments/${id}`), [id]);
  const d = dep.data;
  if (dep.error) return <ErrorBox error={dep.error} />;
  if (!d) return <p>Loading…</p>;
  const post = (path: string, body?: unknown) => api<Deployment>('POST', `/api/v1/deployments/${id}/${path}`, body);
  const reload = dep.reload;
  return (
    <>
      <div className="row">
        <h1>
          {d.name} <StateBadge state={d.state} />
        </h1>
        {d.state === 'LIVE' && can('alert.read') && (
          <a className="button primary" href={`#/deployments/${id}/live`}>
            Open live view
          </a>
        )}
        {d.state === 'CLOSED' && can('alert.read') && (
          <a className="button" href={`#/deployments/${id}/live`}>
            Alerts of this deployment
          </a>
        )}
      </div>
      <dl className="facts">
        <dt>Purpose</dt>
        <dd>{d.purpose}</dd>
        <dt>Use case</dt>
        <dd>{d.useCase}</dd>
        <dt>Locations</dt>
        <dd>
          {d.locations.map((l) => (
            <div key={l.name}>
              <strong>{l.name}</strong>: {l.reason}
            </div>
          ))}
        </dd>
        <dt>Window</dt>
        <dd>
          {fmtTime(d.startsAt)} – {fmtTime(d.endsAt)}
        </dd>
        <dt>Cameras</dt>
        <dd>{d.cameras.map((c) => c.split('=')[0]).join(', ')}</dd>
        <dt>Threshold</dt>
        <dd>
          {d.threshold.toFixed(2)}
          {d.floor !== null && ` (floor ${d.floor.toFixed(2)}, ${d.floorSource ?? ''})`}
        </dd>
        <dt>DPIA and policy</dt>
        <dd>
          {d.dpiaRef}; {d.policyRefs.join(', ')}
        </dd>
        <dt>Authority</dt>
        <dd>{d.authorisedBy ? `Authorised: ${d.authorityNote ?? ''}` : d.requestedBy ? 'Requested, awaiting an authorising officer' : 'Not requested'}</dd>
        <dt>Public notice</dt>
        <dd>{d.publicNoticeAt ? `Signage confirmed ${fmtTime(d.publicNoticeAt)}` : 'Not confirmed'}</dd>
        {d.liveAt && (
          <>
            <dt>Live since</dt>
            <dd>{fmtTime(d.liveAt)}</dd>
          </>
        )}
        {d.closedAt && (
          <>
            <dt>Closed</dt>
            <dd>
              {fmtTime(d.closedAt)}: {d.closeReason}
            </dd>
          </>
        )}
      </dl>

      <section className="actions" aria-label="Actions">
        <h2>Next steps</h2>
        {d.state === 'DRAFT' && !d.requestedBy && can('deployment.draft') && (
          <NoteAction label="Request authorisation" field="requestNote" placeholder="Why this deployment is needed now" run={(note) => post('request', { note })} onDone={reload} />
        )}
        {d.state === 'DRAFT' && d.requestedBy && can('deployment.authorise') && (
          <NoteAction label="Authorise" field="authorityNote" placeholder="Why it is necessary and proportionate (recorded with your authority)" run={(note) => post('authorise', { note })} onDone={reload} />
        )}
        {d.state === 'DRAFT' && d.requestedBy && !can('deployment.authorise') && <p>Waiting for an authorising officer (Superintendent or above, who did not request it).</p>}
        {d.state === 'AUTHORISED' && !d.publicNoticeAt && can('deployment.operate') && (
          <NoteAction label="Confirm signage is in place" field="noticeNote" placeholder="Where the public notices are" run={(note) => post('public-notice', { note })} onDone={reload} />
        )}
        {d.state === 'AUTHORISED' && can('deployment.operate') && (
          <ActionButton
            label="Go live"
            className="primary"
            run={() => post('go-live')}
            onDone={() => {
              window.location.hash = can('alert.read') ? `#/deployments/${id}/live` : `#/deployments/${id}`;
              reload();
            }}
          />
        )}
        {d.state === 'LIVE' && can('deployment.operate') && (
          <NoteAction label="Close deployment" className="danger" field="closeReason" placeholder="Reason for closing (the watchlist's images and templates are destroyed)" run={(reason) => post('close', { reason })} onDone={reload} />
        )}
        {(d.state === 'DRAFT' || d.state === 'AUTHORISED') && can('deployment.cancel') && (
          <details>
            <summary>Cancel this deployment</summary>
            <NoteAction label="Cancel deployment" className="danger" field="cancelReason" placeholder="Reason for cancelling" run={(reason) => post('cancel', { reason })} onDone={reload} />
          </details>
        )}
        {d.state === 'AUTHORISED' && !can('deployment.operate') && <p>Authorised. An operator confirms the signage and goes live inside the window.</p>}
        {d.state === 'LIVE' && !can('deployment.operate') && <p>Live. Possible matches wait for an operator's decision.</p>}
        {(d.state === 'CLOSED' || d.state === 'CANCELLED') && <p>This deployment is over; nothing more can be done with it.</p>}
      </section>

      {can('watchlist.read') && <Watchlist deployment={d} onChange={reload} />}
    </>
  );
}

function quality(q: Entry['quality']): string {
  if (!q) return '—';
  const n = (k: keyof NonNullable<Entry['quality']>, digits = 0) => (typeof q[k] === 'number' ? q[k].toFixed(digits) : '?');
  return `Passed: ${n('faces')} face, ${n('interEyePx')} px between the eyes, yaw ${n('yawDeg')}°, pitch ${n('pitchDeg')}°, sharpness ${n('sharpness')}`;
}

/** The reference check at enrolment, for the reviewer: a further photo against the subject's others, and the closest other subject. */
function ReferenceCheckNote({ rc }: { rc: Entry['referenceCheck'] }): ReactNode {
  if (!rc) return null;
  const same = rc.sameSubject;
  const other = rc.otherSubjects;
  return (
    <div data-testid="reference-check">
      {same.references > 0 && (
        <div className={same.passed ? 'muted' : undefined}>
          {same.passed ? 'Matches' : <span className="tag">does not match</span>} this subject&apos;s {same.references} other photo(s): {same.bestScore?.toFixed(2)} (bar {same.bar.toFixed(2)})
        </div>
      )}
      {rc.override && <div>Enrolled anyway: {rc.override}</div>}
      {rc.strength && <StrengthNote s={rc.strength} />}
      {other.resemblesAnother && other.best && (
        <div>
          <span className="tag">resembles another subject</span> <code>{other.best.subjectRef}</code> scores {other.best.score.toFixed(2)}, at or above the alert threshold {other.alertThreshold.toFixed(2)}
        </div>
      )}
    </div>
  );
}

const pct = (x: number | null | undefined) => (typeof x === 'number' ? `${Math.round(x * 100)}%` : '?');

/** The photo's strength against the engine's calibration: advice to find a clearer photo, never a refusal. */
function StrengthNote({ s }: { s: NonNullable<NonNullable<Entry['referenceCheck']>['strength']> }): ReactNode {
  if (!s.weak)
    return (
      <div className="muted" data-testid="reference-strength">
        Photo strength: fifth {s.bin} of {s.bins} (calibration {s.calibrationId})
      </div>
    );
  return (
    <div data-testid="reference-strength">
      <span className="tag">weak photo</span> In the weakest fifth of the calibration&apos;s reference photos: such photos were found {pct(s.foundInBin)} of the time at the floor threshold, the strongest fifth {pct(s.foundStrongest)}. A clearer, more frontal photo of this person would be found more often.
    </div>
  );
}

function Watchlist({ deployment: d, onChange }: { deployment: Deployment; onChange: () => void }): ReactNode {
  const list = useLoad(() => api<Entry[]>('GET', `/api/v1/deployments/${d.id}/watchlist`), [d.id, d.state]);
  const me = getSession()?.user.id;
  const editable = d.state === 'DRAFT' || d.state === 'AUTHORISED';
  const refresh = () => {
    list.reload();
    onChange();
  };
  return (
    <section aria-labelledby="wl">
      <h2 id="wl">Watchlist</h2>
      {d.watchlistDestroyedAt && (
        <p className="notice" data-testid="watchlist-destroyed">
          Watchlist destroyed {fmtTime(d.watchlistDestroyedAt)}: images and templates deleted; only subject references and categories remain.
        </p>
      )}
      {d.watchlistFrozenAt && !d.watchlistDestroyedAt && <p className="notice">Frozen at go-live {fmtTime(d.watchlistFrozenAt)}: no changes.</p>}
      <ErrorBox error={list.error} />
      {list.data && list.data.length === 0 && <p>No one is enrolled.</p>}
      {list.data && list.data.length > 0 && (
        <table className="list" data-testid="watchlist">
          <thead>
            <tr>
              <th>Subject</th>
              <th>Category</th>
              <th>Reason and legal basis</th>
              <th>Quality verdict</th>
              <th>Review</th>
            </tr>
          </thead>
          <tbody>
            {list.data.map((e) => (
              <tr key={e.id}>
                <td>
                  <code>{e.subjectRef}</code>
                  {e.under18 && <div className="tag">under 18</div>}
                </td>
                <td>{CATEGORY_LABEL[e.category] ?? e.category}</td>
                <td>
                  {e.destroyedAt ? (
                    <em>destroyed {fmtTime(e.destroyedAt)}</em>
                  ) : (
                    <>
                      {e.reason}
                      {e.grounds && <div>Grounds: {e.grounds}</div>}
                      <div className="muted">{e.legalBasis}</div>
                      <div className="muted">
                        Image: {e.imageSource}, {e.captureDate}
                      </div>
                    </>
                  )}
                </td>
                <td>
                  {e.destroyedAt ? (
                    '—'
                  ) : (
                    <>
                      {quality(e.quality)}
                      <ReferenceCheckNote rc={e.referenceCheck} />
                    </>
                  )}
                </td>
                <td>
                  {e.reviewedBy ? (
                    'Reviewed'
                  ) : editable && can('watchlist.review') && e.enrolledBy !== me ? (
                    <>
                      {/* the reviewer sees the photo they are asked to approve (issue 14, item 13) */}
                      {can('watchlist.image') && <ReviewPhoto entryId={e.id} />}
                      <NoteAction label="Mark reviewed" field={`review-${e.id}`} placeholder="What you checked" run={(note) => api('POST', `/api/v1/watchlist/${e.id}/review`, { note })} onDone={refresh} />
                    </>
                  ) : (
                    'Awaiting review by someone else'
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {editable && can('watchlist.enrol') && <EnrolForm deploymentId={d.id} onDone={refresh} />}
    </section>
  );
}

function EnrolForm({ deploymentId, onDone }: { deploymentId: string; onDone: () => void }): ReactNode {
  const blank = { sourceRecordId: '', category: 'WANTED_BY_COURT', reason: '', grounds: '', legalBasis: '', imageSource: '', captureDate: '', under18: false, riskRationale: '', checkOverride: '' };
  const [f, setF] = useState(blank);
  const [file, setFile] = useState<File | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState('');
  const set = (k: keyof typeof f) => (e: { target: { value: string } }) => setF({ ...f, [k]: e.target.value });
  return (
    <form
      className="form"
      aria-label="Enrol a subject"
      onSubmit={(ev) => {
        ev.preventDefault();
        if (!file) return;
        setBusy(true);
        setError(null);
        setDone('');
        void (async () => {
          try {
            const e = await api<Entry>('POST', `/api/v1/deployments/${deploymentId}/watchlist`, {
              sourceRecordId: f.sourceRecordId,
              category: f.category,
              reason: f.reason,
              grounds: f.grounds || null,
              legalBasis: f.legalBasis,
              imageSource: f.imageSource,
              captureDate: f.captureDate,
              under18: f.under18,
              riskRationale: f.riskRationale || null,
              checkOverride: f.checkOverride || null,
              imageBase64: await fileBase64(file),
            });
            const resembles = e.referenceCheck?.otherSubjects.resemblesAnother ? ` Resembles ${e.referenceCheck.otherSubjects.best?.subjectRef} (${e.referenceCheck.otherSubjects.best?.score.toFixed(2)}): the reviewer will see it.` : '';
            const weak = e.referenceCheck?.strength?.weak ? ` Weak photo: such photos were found ${pct(e.referenceCheck.strength.foundInBin)} of the time, the strongest ${pct(e.referenceCheck.strength.foundStrongest)}; a clearer photo would be found more often.` : '';
            setDone(`Enrolled ${e.subjectRef}. ${quality(e.quality)}${resembles}${weak}`);
            setF(blank);
            setFile(null);
            (ev.target as HTMLFormElement).reset();
            onDone();
          } catch (e) {
            setError(e);
          } finally {
            setBusy(false);
          }
        })();
      }}
    >
      <h3>Enrol a subject</h3>
      <Field label="Source record id (only a keyed pseudonym is stored)" name="sourceRecordId" value={f.sourceRecordId} onChange={set('sourceRecordId')} />
      <label>
        Category
        <select name="category" value={f.category} onChange={set('category')}>
          {Object.entries(CATEGORY_LABEL).map(([k, v]) => (
            <option key={k} value={k}>
              {v}
            </option>
          ))}
        </select>
      </label>
      <Field label="Reason" name="reason" value={f.reason} onChange={set('reason')} multiline />
      {f.category === 'WANTED_BY_POLICE_SUSPECT' && (
        <Field label="Grounds for suspicion" name="grounds" value={f.grounds} onChange={set('grounds')} multiline />
      )}
      <Field label="Legal basis" name="legalBasis" value={f.legalBasis} onChange={set('legalBasis')} />
      <div className="pair">
        <Field label="Image source system" name="imageSource" value={f.imageSource} onChange={set('imageSource')} />
        <Field label="Capture date" name="captureDate" value={f.captureDate} onChange={set('captureDate')} type="date" />
      </div>
      <label className="check">
        <input name="under18" type="checkbox" checked={f.under18} onChange={(e) => setF({ ...f, under18: e.target.checked })} /> Subject is under 18
      </label>
      {f.under18 && (
        <Field label="Risk rationale (required for under-18s)" name="riskRationale" value={f.riskRationale} onChange={set('riskRationale')} multiline />
      )}
      {error instanceof ApiError && error.code === 'REFERENCE_MISMATCH' && (
        <Field
          label="This photo does not match the subject's other photos. If you have checked it shows this person, say why it stands (recorded and audited)"
          name="checkOverride"
          value={f.checkOverride}
          onChange={set('checkOverride')}
          multiline
        />
      )}
      <label>
        Image (one face, near-frontal, sharp)
        <input name="image" type="file" accept="image/jpeg,image/png,image/webp" required onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
      </label>
      <FormEnd label="Enrol" busyLabel="Checking quality…" busy={busy} done={done} error={error} />
    </form>
  );
}

/** The enrolment photo for its reviewer: fetched when asked for (each view is an audited read), shown until the page closes. */
function ReviewPhoto({ entryId }: { entryId: string }): ReactNode {
  const [url, setUrl] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => () => {
    if (url) URL.revokeObjectURL(url);
  }, [url]);
  if (url) return <img className="review-photo" src={url} alt="The enrolment photo under review" data-testid="review-photo" />;
  return (
    <div>
      <button
        type="button"
        onClick={() => {
          setError(null);
          imageUrl(`/api/v1/watchlist/${entryId}/image?reason=${encodeURIComponent('second-person review of the watchlist entry')}`).then(setUrl, setError);
        }}
      >
        Show the photo (the view is audited)
      </button>
      <ErrorBox error={error} />
    </div>
  );
}
