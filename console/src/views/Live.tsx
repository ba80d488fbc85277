import { useEffect, useRef, useState, type ReactNode } from 'react';
import { api, can, CATEGORY_LABEL, fmtTime, imageUrl, OUTCOME_LABEL, STATUS_LABEL, subscribe } from '../api.ts';
import { ActionButton, ErrorBox, useLoad } from '../ui.tsx';
import { StateBadge } from './Deployments.tsx';
import type { Alert, CameraCounters, Deployment, LiveStatus } from './types.ts';

/** Permissions named in the one permission table (src/governance/access.ts). */
const DECIDE = 'alert.decide';
const OUTCOME = 'alert.outcome';

const pct = (x: number) => x.toFixed(3);

export function LiveView({ id }: { id: string }): ReactNode {
  const dep = useLoad(() => api<Deployment>('GET', `/api/v1/deployments/${id}`), [id]);
  const alerts = useLoad(() => api<Alert[]>('GET', `/api/v1/deployments/${id}/alerts`), [id]);
  const [cameras, setCameras] = useState<Record<string, CameraCounters>>({});
  const [running, setRunning] = useState<boolean | null>(null);
  const [connected, setConnected] = useState(false);
  const [selected, setSelected] = useState<string | null>(null);
  const [fresh, setFresh] = useState<Set<string>>(new Set());
  const { reload: reloadAlerts } = alerts;
  /** Alerts already in the queue: an event about one of them is a decision, not a new possible match. */
  const known = useRef(new Set<string>());
  useEffect(() => {
    for (const a of alerts.data ?? []) known.current.add(a.id);
  }, [alerts.data]);
  const { reload: reloadDep } = dep;

  useEffect(() => {
    const status = () =>
      api<LiveStatus>('GET', `/api/v1/deployments/${id}/live`).then((s) => {
        setCameras(s.cameras);
        setRunning(s.running);
      }, () => undefined);
    void status();
    return subscribe(
      id,
      (event, data) => {
        if (event === 'alert') {
          reloadAlerts();
          const aid = data.alertId;
          if (typeof aid === 'string' && !known.current.has(aid)) setFresh((s) => new Set(s).add(aid));
        } else if (event === 'camera' && typeof data.camera === 'string') {
          const { camera, state, reason, since } = data as { camera: string; state?: string; reason?: string; since?: string };
          setCameras((c) => ({ ...c, [camera]: { ...c[camera], state, reason, since } }));
        } else if (event === 'counters' && typeof data.camera === 'string') {
          setCameras((c) => ({ ...c, [data.camera as string]: { ...c[data.camera as string], ...(data as CameraCounters) } }));
          setRunning(true);
          if (data.finished) void status();
        } else if (event === 'deployment') {
          reloadDep();
          void status();
        }
      },
      (on) => {
        setConnected(on);
        if (on) {
          reloadAlerts(); // catch up on anything raised while the stream was down
          void status();
        }
      },
    );
  }, [id, reloadAlerts, reloadDep]);
  const sum = (k: 'framesAnalysed' | 'facesDetected' | 'tracks') => {
    const xs = Object.values(cameras).map((c) => c[k]);
    return xs.length ? xs.reduce<number>((a, b) => a + (b ?? 0), 0) : undefined;
  };

  const d = dep.data;
  const list = [...(alerts.data ?? [])].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  const pending = list.filter((a) => a.status === 'PENDING').length;
  const current = list.find((a) => a.id === selected) ?? null;
  return (
    <>
      <div className="row">
        <h1>
          {d ? d.name : 'Deployment'} {d && <StateBadge state={d.state} />}
        </h1>
        <span className={`conn ${connected ? 'on' : 'off'}`} role="status" data-testid="connection">
          {connected ? 'Live updates on' : 'Live updates reconnecting…'}
        </span>
        <a className="button" href={`#/deployments/${id}`}>
          Deployment details
        </a>
      </div>
      <ErrorBox error={dep.error ?? alerts.error} />
      <section className="counters" aria-label="Counters">
        <Counter label="Frames analysed" value={sum('framesAnalysed')} />
        <Counter label="Faces seen" value={sum('facesDetected')} />
        <Counter label="Tracks (people passing)" value={sum('tracks')} />
        <Counter label="Possible matches" value={list.length} />
        <Counter label="Awaiting decision" value={pending} strong={pending > 0} />
        <div className="counter">
          <span className="value small">
            {d?.state !== 'LIVE' ? 'Off' : running ? 'Running' : running === false ? 'Stopped' : '…'}
            {d?.state === 'LIVE' && running === false && can('live.operate') && (
              <ActionButton label="Start again" className="small" run={() => api('POST', `/api/v1/deployments/${id}/live/start`)} onDone={() => setRunning(true)} />
            )}
          </span>
          <span className="label">Cameras: {Object.keys(cameras).join(', ') || (d?.cameras.map((c) => c.split('=')[0]).join(', ') ?? '')}</span>
        </div>
      </section>
      <CameraHealth cameras={cameras} running={running} />
      <div className="live">
        <section className="queue" aria-labelledby="queue-h">
          <h2 id="queue-h">Possible matches, newest first</h2>
          {list.length === 0 && <p>No possible matches yet. New ones appear here by themselves.</p>}
          <ol data-testid="alert-queue">
            {list.map((a) => (
              <li key={a.id}>
                <button
                  type="button"
                  className={`alert-item status-${a.status.toLowerCase()} ${a.id === selected ? 'selected' : ''}`}
                  aria-pressed={a.id === selected}
                  data-alert-id={a.id}
                  onClick={() => {
                    setSelected(a.id);
                    setFresh((s) => {
                      const n = new Set(s);
                      n.delete(a.id);
                      return n;
                    });
                  }}
                >
                  <span className={`prio prio-${a.priority.toLowerCase()}`}>{a.priority === 'HIGH' ? 'HIGH' : 'Normal'}</span>
                  <span className="cam">{a.camera}</span>
                  <span className="time">{new Date(a.createdAt).toLocaleTimeString('en-GB')}</span>
                  <span className="score">score {pct(a.score)}</span>
                  <span className="st">
                    {STATUS_LABEL[a.status]}
                    {fresh.has(a.id) && <strong className="new"> NEW</strong>}
                  </span>
                </button>
              </li>
            ))}
          </ol>
        </section>
        <section className="detail" aria-live="polite">
          {current ? (
            <AlertDetail key={current.id} alert={current} onChange={reloadAlerts} />
          ) : (
            <p className="hint">Choose a possible match from the queue to compare the faces. Nothing happens to an alert until a person decides.</p>
          )}
        </section>
      </div>
    </>
  );
}

const CAMERA_STATE: Record<string, string> = {
  connecting: 'Connecting…',
  up: 'Receiving',
  down: 'Lost — reconnecting',
  failed: 'Failed — restarting',
  ended: 'Recording ended',
  stopped: 'Stopped',
};

/** Each camera's state, so the control room sees a camera that is dark before anyone asks why nothing comes. */
function CameraHealth({ cameras, running }: { cameras: Record<string, CameraCounters>; running: boolean | null }): ReactNode {
  const names = Object.keys(cameras).sort();
  if (!names.length) return null;
  return (
    <section className="cameras" aria-label="Cameras">
      <ul data-testid="camera-health">
        {names.map((n) => {
          const c = cameras[n]!;
          const state = running ? (c.state ?? 'connecting') : (c.state === 'ended' ? 'ended' : 'stopped');
          const dropped = (c.framesDropped ?? 0) + (c.sourceFramesDropped ?? 0);
          return (
            <li key={n} className={`camera camera-${state}`} data-camera={n} data-state={state}>
              <strong>{n}</strong> <span className="camera-state">{CAMERA_STATE[state] ?? state}</span>
              {c.since && <span className="muted"> since {new Date(c.since).toLocaleTimeString('en-GB')}</span>}
              {(state === 'down' || state === 'failed') && c.reason && <span className="camera-reason"> — {c.reason}</span>}
              {dropped > 0 && <span className="muted"> · {dropped} frames dropped</span>}
            </li>
          );
        })}
      </ul>
    </section>
  );
}

function Counter({ label, value, strong }: { label: string; value: number | undefined; strong?: boolean }): ReactNode {
  return (
    <div className={`counter ${strong ? 'strong' : ''}`}>
      <span className="value">{value ?? '—'}</span>
      <span className="label">{label}</span>
    </div>
  );
}

function FaceImage({ path, alt }: { path: string; alt: string }): ReactNode {
  const [url, setUrl] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const once = useRef(false);
  useEffect(() => {
    if (once.current) return; // each view is audited: fetch once per opening
    once.current = true;
    let u: string | null = null;
    imageUrl(path).then((x) => {
      u = x;
      setUrl(x);
    }, setError);
    return () => {
      if (u) URL.revokeObjectURL(u);
    };
  }, [path]);
  if (error) return <ErrorBox error={error} />;
  return url ? <img src={url} alt={alt} /> : <div className="img-wait">Loading…</div>;
}

function AlertDetail({ alert: summary, onChange }: { alert: Alert; onChange: () => void }): ReactNode {
  const full = useLoad(() => api<Alert>('GET', `/api/v1/alerts/${summary.id}`), [summary.id, summary.status]);
  const a = full.data?.status === summary.status ? full.data : summary;
  const [note, setNote] = useState('');
  const [outcome, setOutcome] = useState('IDENTITY_CONFIRMED');
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  /** After a decision the queue item keeps the keyboard focus (nothing moves on to another alert by itself). */
  const done = () => {
    onChange();
    setTimeout(() => (document.querySelector(`[data-alert-id="${summary.id}"]`) as HTMLElement | null)?.focus(), 0);
  };
  const decide = (decision: 'DISMISS' | 'ENGAGE') => api('POST', `/api/v1/alerts/${a.id}/decision`, { decision, ...(note ? { note } : {}) });
  return (
    <article aria-labelledby="detail-h" data-testid="alert-detail">
      <h2 id="detail-h" tabIndex={-1} ref={heading}>
        Possible match — {STATUS_LABEL[a.status]}
      </h2>
      <p className="caution">This is a possible match for a person to judge, not an identification.</p>
      <div className="detail-body">
      {!can('alert.image') && <p className="muted">Your role does not see the faces.</p>}
      {can('alert.image') && <div className="faces">
        <figure>
          <FaceImage path={`/api/v1/alerts/${a.id}/probe-image`} alt={`Face captured by camera ${a.camera}`} />
          <figcaption>
            Captured: camera <strong>{a.camera}</strong>, {fmtTime(a.createdAt)}
          </figcaption>
        </figure>
        <figure>
          <FaceImage path={`/api/v1/alerts/${a.id}/watchlist-image`} alt="Watchlist image" />
          <figcaption>Watchlist image</figcaption>
        </figure>
      </div>}
      <div className="judge">
      <p className="big-score" data-testid="score">
        Score <strong>{pct(a.score)}</strong> <span>(threshold {pct(a.threshold)})</span>
      </p>
      <dl className="facts">
        <dt>Category</dt>
        <dd>{CATEGORY_LABEL[a.category] ?? a.category}</dd>
        <dt>Reason on watchlist</dt>
        <dd>{a.reason ?? (full.data ? 'destroyed with the watchlist' : '…')}</dd>
        <dt>Priority</dt>
        <dd>{a.priority}</dd>
      </dl>
      {a.status === 'PENDING' && can(DECIDE) && (
        <div className="decide">
          <label>
            Note (optional)
            <textarea name="decisionNote" value={note} onChange={(e) => setNote(e.target.value)} />
          </label>
          <div className="buttons">
            <ActionButton label="Not a match — dismiss" className="dismiss" run={() => decide('DISMISS')} onDone={done} />
            <ActionButton label="Possible match — send for engagement" className="engage" run={() => decide('ENGAGE')} onDone={done} />
          </div>
        </div>
      )}
      {a.status === 'ENGAGED' && can(OUTCOME) && (
        <form
          className="outcome"
          onSubmit={(e) => {
            e.preventDefault();
          }}
        >
          <fieldset>
            <legend>Outcome of the engagement</legend>
            {Object.entries(OUTCOME_LABEL).map(([k, v]) => (
              <label key={k} className="check">
                <input type="radio" name="outcome" value={k} checked={outcome === k} onChange={() => setOutcome(k)} /> {v}
              </label>
            ))}
          </fieldset>
          <label>
            Note (required)
            <textarea name="outcomeNote" required value={note} onChange={(e) => setNote(e.target.value)} />
          </label>
          <ActionButton label="Record outcome" className="primary" run={() => api('POST', `/api/v1/alerts/${a.id}/outcome`, { outcome, note })} onDone={done} />
        </form>
      )}
      <dl className="facts">
        <dt>Subject</dt>
        <dd>
          <code>{a.subjectRef}</code>
        </dd>
        {a.legalBasis && (
          <>
            <dt>Legal basis</dt>
            <dd>{a.legalBasis}</dd>
          </>
        )}
        {a.operatorDecision && (
          <>
            <dt>Operator</dt>
            <dd>
              {a.operatorDecision === 'DISMISS' ? 'Not a match — dismissed' : 'Possible match — sent for engagement'}
              {a.operatorNote ? `: ${a.operatorNote}` : ''}
            </dd>
          </>
        )}
        {a.outcome && (
          <>
            <dt>Outcome</dt>
            <dd data-testid="outcome">
              {OUTCOME_LABEL[a.outcome] ?? a.outcome}: {a.outcomeNote}
            </dd>
          </>
        )}
      </dl>
      </div>
      </div>
    </article>
  );
}
