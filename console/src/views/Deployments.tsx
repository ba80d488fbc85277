import { useState, type ReactNode } from 'react';
import { api, can, fmtTime } from '../api.ts';
import { ErrorBox, Field, go, useLoad } from '../ui.tsx';
import type { Deployment } from './types.ts';

export function StateBadge({ state }: { state: string }): ReactNode {
  return <span className={`state state-${state.toLowerCase()}`}>{state}</span>;
}

export function DeploymentList(): ReactNode {
  const { data, error } = useLoad(() => api<Deployment[]>('GET', '/api/v1/deployments'), []);
  return (
    <>
      <div className="row">
        <h1>Deployments</h1>
        {can('deployment.draft') && (
          <a className="button primary" href="#/deployments/new">
            New deployment
          </a>
        )}
      </div>
      <ErrorBox error={error} />
      {data && data.length === 0 && <p>No deployments yet.</p>}
      {data && data.length > 0 && (
        <table className="list">
          <thead>
            <tr>
              <th>Name</th>
              <th>State</th>
              <th>Window</th>
              <th>Cameras</th>
            </tr>
          </thead>
          <tbody>
            {[...data]
              .sort((a, b) => b.startsAt.localeCompare(a.startsAt))
              .map((d) => (
                <tr key={d.id}>
                  <td>
                    <a href={`#/deployments/${d.id}`}>{d.name}</a>
                    {d.state === 'LIVE' && can('alert.read') && (
                      <>
                        {' '}
                        <a className="button small" href={`#/deployments/${d.id}/live`}>
                          Live view
                        </a>
                      </>
                    )}
                  </td>
                  <td>
                    <StateBadge state={d.state} />
                  </td>
                  <td>
                    {fmtTime(d.startsAt)} – {fmtTime(d.endsAt)}
                  </td>
                  <td>{d.cameras.length}</td>
                </tr>
              ))}
          </tbody>
        </table>
      )}
    </>
  );
}

const pad = (n: number) => String(n).padStart(2, '0');
/** A Date as the value of a datetime-local input (local time). */
const localInput = (d: Date) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;

export function NewDeployment(): ReactNode {
  const now = new Date();
  const [f, setF] = useState({
    name: '',
    purpose: '',
    useCase: 'Locate wanted persons',
    locationName: '',
    locationReason: '',
    cameras: '',
    startsAt: localInput(new Date(now.getTime() - 5 * 60_000)),
    endsAt: localInput(new Date(now.getTime() + 8 * 3600_000)),
    threshold: '0.6',
    dpiaRef: '',
    policyRefs: '',
  });
  const [error, setError] = useState<unknown>(null);
  const set = (k: keyof typeof f) => (e: { target: { value: string } }) => setF({ ...f, [k]: e.target.value });
  const lines = (s: string) =>
    s
      .split('\n')
      .map((x) => x.trim())
      .filter(Boolean);
  return (
    <>
      <h1>New deployment</h1>
      <p>Record why, where and when. Nothing runs until an authorising officer gives authority and the safeguards are met.</p>
      <form
        className="form"
        onSubmit={(e) => {
          e.preventDefault();
          setError(null);
          api<Deployment>('POST', '/api/v1/deployments', {
            name: f.name,
            purpose: f.purpose,
            useCase: f.useCase,
            locations: [{ name: f.locationName, reason: f.locationReason }],
            cameras: lines(f.cameras),
            startsAt: new Date(f.startsAt).toISOString(),
            endsAt: new Date(f.endsAt).toISOString(),
            threshold: Number(f.threshold),
            dpiaRef: f.dpiaRef,
            policyRefs: lines(f.policyRefs.replace(/,/g, '\n')),
          }).then((d) => go(`/deployments/${d.id}`), setError);
        }}
      >
        <Field label="Name" name="name" value={f.name} onChange={set('name')} />
        <Field label="Purpose (at least 10 characters)" name="purpose" value={f.purpose} onChange={set('purpose')} multiline />
        <Field label="Use case" name="useCase" value={f.useCase} onChange={set('useCase')} />
        <fieldset>
          <legend>Location</legend>
          <Field label="Place" name="locationName" value={f.locationName} onChange={set('locationName')} />
          <Field label="Why watchlist subjects are expected there" name="locationReason" value={f.locationReason} onChange={set('locationReason')} multiline />
        </fieldset>
        <label>
          Cameras, one a line: <code>name=source</code>, where the source is a stream URL (<code>rtsp://…</code>, <code>http://…</code>), a video file or a folder of still images on the server, e.g. <code>van-1-north=rtsp://10.20.0.21:554/stream1</code>
          <textarea name="cameras" required value={f.cameras} onChange={set('cameras')} />
        </label>
        <div className="pair">
          <Field label="Starts" name="startsAt" value={f.startsAt} onChange={set('startsAt')} type="datetime-local" />
          <Field label="Ends" name="endsAt" value={f.endsAt} onChange={set('endsAt')} type="datetime-local" />
        </div>
        <Field label="Match threshold (similarity a possible match must reach)" name="threshold" value={f.threshold} onChange={set('threshold')} type="number" step="0.01" />
        <Field label="DPIA reference" name="dpiaRef" value={f.dpiaRef} onChange={set('dpiaRef')} />
        <Field label="Policy references (comma or line separated)" name="policyRefs" value={f.policyRefs} onChange={set('policyRefs')} />
        <button type="submit" className="primary">
          Create draft
        </button>
        <ErrorBox error={error} />
      </form>
    </>
  );
}
