import { useEffect, useRef, useState, type ReactNode } from 'react';
import { api, ApiError, can, fileBase64, fmtTime } from '../api.ts';
import { ErrorBox, Field, FormEnd, NoteAction, useLoad } from '../ui.tsx';
import type { Gallery, ProbeFace, SearchAuthority, SearchOutcome, SearchSummary } from './types.ts';

interface SearchWorklist {
  mine: SearchSummary[];
  toReview: SearchSummary[];
}
interface AuthorityWorklist {
  mine: SearchAuthority[];
  toAuthorise: SearchAuthority[];
}

const NUMBER_WORD: Record<number, string> = { 1: 'one', 2: 'two', 3: 'three', 4: 'four' };
const people = (n: number) => `${NUMBER_WORD[n] ?? n} other ${n === 1 ? 'person' : 'people'}`;

/**
 * Retrospective search: an investigator searches a still image against a gallery behind the gate (case,
 * serious offence; for a RESTRICTED gallery a second person's authority, and release after two reviews).
 * The candidates are leads for a person to review: the page never calls one an identification.
 */
export function SearchView(): ReactNode {
  const runner = can('search.run');
  const reviewer = can('search.review');
  const authoriser = can('search.authorise');
  const galleries = useLoad(() => api<Gallery[]>('GET', '/api/v1/galleries'), []);
  const offences = useLoad(() => (runner || authoriser ? api<{ offences: string[] }>('GET', '/api/v1/search-offences') : Promise.resolve({ offences: [] })), []);
  const searches = useLoad(() => (runner || reviewer ? api<SearchWorklist>('GET', '/api/v1/searches') : Promise.resolve({ mine: [], toReview: [] })), []);
  const auths = useLoad(() => (runner || authoriser ? api<AuthorityWorklist>('GET', '/api/v1/search-authorities') : Promise.resolve({ mine: [], toAuthorise: [] })), []);
  const [shown, setShown] = useState<SearchOutcome | null>(null);
  const [openError, setOpenError] = useState<unknown>(null);
  const show = (r: SearchOutcome) => {
    setShown(r);
    searches.reload();
    auths.reload();
  };
  const open = (id: string) => {
    setOpenError(null);
    api<SearchOutcome>('GET', `/api/v1/searches/${encodeURIComponent(id)}`).then(setShown, setOpenError);
  };
  const galleryName = (id: string) => galleries.data?.find((g) => g.id === id)?.name ?? id;
  // a retired gallery holds no template and refuses searches: not offered
  const inUse = galleries.data?.filter((g) => !g.retiredAt);
  return (
    <>
      <h1>Retrospective search</h1>
      <ErrorBox error={galleries.error ?? offences.error ?? searches.error ?? auths.error} />
      {runner && inUse && offences.data && (
        <SearchForm galleries={inUse} offences={offences.data.offences} authorities={auths.data?.mine ?? []} onResult={show} />
      )}
      <ErrorBox error={openError} />
      {shown && <SearchResult key={shown.id} r={shown} />}
      {reviewer && searches.data && <ReviewQueue items={searches.data.toReview} onReviewed={show} />}
      {authoriser && auths.data && <AuthorityQueue items={auths.data.toAuthorise} galleryName={galleryName} onDone={auths.reload} />}
      {runner && inUse && offences.data && auths.data && (
        <AuthorityRequests galleries={inUse} offences={offences.data.offences} mine={auths.data.mine} galleryName={galleryName} onDone={auths.reload} />
      )}
      {runner && searches.data && <RecentSearches items={searches.data.mine} onOpen={open} />}
    </>
  );
}

function OffenceSelect({ offences, value, onChange }: { offences: string[]; value: string; onChange: (v: string) => void }): ReactNode {
  return (
    <label>
      Offence (one of the serious offences a search may be for)
      <select name="offence" value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">choose…</option>
        {offences.map((o) => (
          <option key={o} value={o}>
            {o.replace(/_/g, ' ').toLowerCase()}
          </option>
        ))}
      </select>
    </label>
  );
}

function SearchForm({ galleries, offences, authorities, onResult }: { galleries: Gallery[]; offences: string[]; authorities: SearchAuthority[]; onResult: (r: SearchOutcome) => void }): ReactNode {
  const [f, setF] = useState({ gallery: galleries[0]?.name ?? '', caseRef: '', offence: '', top: '20', authorityId: '' });
  const [file, setFile] = useState<File | null>(null);
  const [probeUrl, setProbeUrl] = useState<string | null>(null);
  const [faces, setFaces] = useState<ProbeFace[] | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const set = (k: keyof typeof f) => (e: { target: { value: string } }) => setF({ ...f, [k]: e.target.value });
  // the probe is shown from the browser's own copy: it does not go to the server again to be displayed
  useEffect(() => {
    if (!file) return;
    const u = URL.createObjectURL(file);
    setProbeUrl(u);
    return () => URL.revokeObjectURL(u);
  }, [file]);
  const gallery = galleries.find((g) => g.name === f.gallery);
  const restricted = gallery?.accessClass === 'RESTRICTED';
  const usable = authorities.filter((a) => gallery && a.galleryId === gallery.id && a.authorisedBy && !a.usedBySearch);
  const run = async (face?: number) => {
    if (!file) return;
    setBusy(true);
    setError(null);
    try {
      const r = await api<SearchOutcome>('POST', '/api/v1/searches', {
        gallery: f.gallery,
        probeBase64: await fileBase64(file),
        ...(f.caseRef.trim() ? { caseRef: f.caseRef } : {}),
        ...(f.offence ? { offence: f.offence } : {}),
        top: Number(f.top),
        ...(face ? { face } : {}),
        ...(restricted && f.authorityId ? { authorityId: f.authorityId } : {}),
      });
      setFaces(null);
      onResult(r);
    } catch (e) {
      if (e instanceof ApiError && e.code === 'PROBE_MANY_FACES' && Array.isArray(e.details?.faces)) setFaces(e.details.faces as ProbeFace[]);
      else setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form
      className="form"
      aria-label="Search a gallery"
      onSubmit={(e) => {
        e.preventDefault();
        void run();
      }}
    >
      <h2>Search a gallery</h2>
      <label>
        Gallery
        <select name="gallery" value={f.gallery} onChange={set('gallery')}>
          {galleries.map((g) => (
            <option key={g.id} value={g.name}>
              {g.name} ({g.accessClass}, {g.counts?.ENROLLED ?? 0} images)
            </option>
          ))}
        </select>
      </label>
      {/* not `required`: a search without them goes to the gate, which refuses it (and counts the refusal) with its reason */}
      <div className="pair">
        <Field label="Case reference" name="caseRef" value={f.caseRef} onChange={set('caseRef')} required={false} />
        <OffenceSelect offences={offences} value={f.offence} onChange={(offence) => setF({ ...f, offence })} />
      </div>
      <Field label="Number of candidates" name="top" type="number" value={f.top} onChange={set('top')} />
      {restricted && (
        <label>
          Authority for this RESTRICTED gallery (granted to you, not yet used)
          <select name="authorityId" value={f.authorityId} onChange={set('authorityId')}>
            <option value="">{usable.length ? 'choose…' : 'none granted: ask for one below'}</option>
            {usable.map((a) => (
              <option key={a.id} value={a.id}>
                case {a.caseRef}, {a.offence}, granted {fmtTime(a.authorisedAt)}
              </option>
            ))}
          </select>
        </label>
      )}
      <label>
        Probe image (a still, for example from CCTV)
        <input
          name="probe"
          type="file"
          accept="image/jpeg,image/png,image/webp"
          required
          onChange={(e) => {
            setFaces(null);
            setFile(e.target.files?.[0] ?? null);
          }}
        />
      </label>
      <button type="submit" className="primary" disabled={busy}>
        {busy ? 'Searching…' : 'Search'}
      </button>
      {faces && probeUrl && <FaceChooser url={probeUrl} faces={faces} busy={busy} onChoose={(n) => void run(n)} />}
      <ErrorBox error={error} />
    </form>
  );
}

/** The probe shows several faces: each outlined and numbered over the investigator's own image, one button per face. */
function FaceChooser({ url, faces, busy, onChoose }: { url: string; faces: ProbeFace[]; busy: boolean; onChoose: (face: number) => void }): ReactNode {
  const [size, setSize] = useState<{ w: number; h: number } | null>(null);
  const pct = (v: number, of: number) => `${(v / of) * 100}%`;
  return (
    <section className="face-chooser" aria-labelledby="faces-h" data-testid="face-chooser">
      <h3 id="faces-h">The probe shows {faces.length} faces: choose the one to search with</h3>
      <p className="muted">Numbered largest first. Only the face you choose is searched.</p>
      <div className="row">
        {faces.map((f) => (
          <button key={f.face} type="button" data-testid={`choose-face-${f.face}`} disabled={busy} onClick={() => onChoose(f.face)}>
            Search with face {f.face}
          </button>
        ))}
      </div>
      <div className="probe-frame">
        <img src={url} alt="Your probe image with each face outlined and numbered" onLoad={(e) => setSize({ w: e.currentTarget.naturalWidth, h: e.currentTarget.naturalHeight })} />
        {size &&
          faces.map((f) => (
            <div
              key={f.face}
              className="face-box"
              data-testid={`face-box-${f.face}`}
              style={{ left: pct(f.box.x, size.w), top: pct(f.box.y, size.h), width: pct(f.box.width, size.w), height: pct(f.box.height, size.h) }}
            >
              <span>{f.face}</span>
            </div>
          ))}
      </div>
    </section>
  );
}

function SearchResult({ r }: { r: SearchOutcome }): ReactNode {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  const withheld = r.status === 'WITHHELD';
  return (
    <section className="search-result" aria-labelledby="result-h" data-testid="search-result">
      <h2 id="result-h" tabIndex={-1} ref={heading}>
        Search for case {r.caseRef}
      </h2>
      <p className="notice leads" data-testid="leads-notice">
        <strong>{r.notice}</strong>
      </p>
      <dl className="facts">
        <dt>Gallery</dt>
        <dd>
          {r.gallery.name} ({r.gallery.accessClass}, {r.gallery.size} templates searched)
        </dd>
        <dt>Offence</dt>
        <dd>{r.offence}</dd>
        <dt>Probe</dt>
        <dd>{r.probe.faces > 1 ? `face ${r.probe.chosen} of ${r.probe.faces}` : 'one face'}</dd>
        <dt>Searched</dt>
        <dd>{fmtTime(r.createdAt)}</dd>
        <dt>Kept with the case until</dt>
        <dd>{fmtTime(r.retainUntil)}</dd>
        {r.reviews && (
          <>
            <dt>Reviews</dt>
            <dd>
              {r.reviews.done} of {r.reviews.required}
            </dd>
          </>
        )}
      </dl>
      {r.purgedAt && <p className="notice">The probe and the candidate list were deleted at the end of the retention period ({fmtTime(r.purgedAt)}).</p>}
      {withheld && r.reviews && (
        <p className="notice" data-testid="withheld">
          {r.candidates
            ? `You see this RESTRICTED result as a reviewer. It stays withheld from the searcher until ${people(r.reviews.required)} have reviewed it (${r.reviews.done} so far).`
            : `Withheld: a RESTRICTED result is released to you only after ${people(r.reviews.required)} have reviewed it (${r.reviews.done} so far).`}
        </p>
      )}
      {r.candidates && r.candidates.length === 0 && <p>The gallery holds no template to compare with.</p>}
      {r.candidates && r.candidates.length > 0 && <CandidateTable candidates={r.candidates} />}
    </section>
  );
}

function CandidateTable({ candidates }: { candidates: NonNullable<SearchOutcome['candidates']> }): ReactNode {
  return (
    <table className="list" data-testid="candidates">
      <caption>Candidates, most similar first: leads to check, not identifications</caption>
      <thead>
        <tr>
          <th>Rank</th>
          <th>Score</th>
          <th>Subject key</th>
          <th>Source reference</th>
        </tr>
      </thead>
      <tbody>
        {candidates.map((c) => (
          <tr key={c.itemId} data-rank={c.rank}>
            <td>{c.rank}</td>
            <td className="num">{c.score.toFixed(3)}</td>
            <td>
              <code>{c.subjectKey}</code>
            </td>
            <td>
              <code>{c.sourceRef}</code>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** A worklist: a heading, then a line saying it is empty or a table of its items (one row each). */
function Worklist<T>({
  id,
  title,
  testId,
  empty,
  headers,
  items,
  row,
  intro,
  children,
}: {
  id: string;
  title: string;
  testId: string;
  empty: string;
  headers: string[];
  items: T[];
  row: (item: T) => ReactNode;
  intro?: ReactNode;
  children?: ReactNode;
}): ReactNode {
  return (
    <section aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {intro}
      {items.length === 0 ? (
        <p>{empty}</p>
      ) : (
        <table className="list" data-testid={testId}>
          <thead>
            <tr>
              {headers.map((h, i) => (
                <th key={i}>{h}</th>
              ))}
            </tr>
          </thead>
          <tbody>{items.map(row)}</tbody>
        </table>
      )}
      {children}
    </section>
  );
}

/** Case and offence, then the gallery: the first cells of a search's or an authority's row. */
function CaseCells({ caseRef, offence, gallery }: { caseRef: string; offence: string; gallery: ReactNode }): ReactNode {
  return (
    <>
      <td>
        <code>{caseRef}</code>
        <div className="muted">{offence}</div>
      </td>
      <td>{gallery}</td>
    </>
  );
}

const searchGallery = (s: SearchSummary) => (
  <>
    {s.gallery} <span className="muted">({s.accessClass})</span>
  </>
);

function ReviewQueue({ items, onReviewed }: { items: SearchSummary[]; onReviewed: (r: SearchOutcome) => void }): ReactNode {
  return (
    <Worklist
      id="review-h"
      title="Results awaiting your review"
      testId="review-queue"
      empty="No withheld result is waiting for you."
      headers={['Case', 'Gallery', 'Searched', 'Searched by', 'Reviews', 'Your review']}
      items={items}
      row={(s) => (
        <tr key={s.id} data-search-id={s.id}>
          <CaseCells caseRef={s.caseRef} offence={s.offence} gallery={searchGallery(s)} />
          <td>{fmtTime(s.createdAt)}</td>
          <td>
            <code>{s.searchedByUsername ?? s.searchedBy}</code>
          </td>
          <td>
            {s.reviews?.done ?? 0} of {s.reviews?.required ?? '?'}
          </td>
          <td>
            <NoteAction
              label="Record my review and open the result"
              field={`review-${s.id}`}
              placeholder="Your note (recorded): what you looked at and concluded"
              run={(note) => api<SearchOutcome>('POST', `/api/v1/searches/${encodeURIComponent(s.id)}/reviews`, { note }).then(onReviewed)}
              onDone={() => undefined}
            />
          </td>
        </tr>
      )}
    />
  );
}

function AuthorityState({ a }: { a: SearchAuthority }): ReactNode {
  if (a.usedBySearch) return <>Used by search {a.usedBySearch}</>;
  if (a.authorisedBy)
    return (
      <>
        <span className="tag">granted</span> {fmtTime(a.authorisedAt)}: {a.authorityNote}
      </>
    );
  return <>Awaiting an authorising officer</>;
}

function AuthorityQueue({ items, galleryName, onDone }: { items: SearchAuthority[]; galleryName: (id: string) => string; onDone: () => void }): ReactNode {
  return (
    <Worklist
      id="authorise-h"
      title="Requests awaiting your authority"
      testId="authority-queue"
      empty="No request is waiting for an authority."
      headers={['Case', 'Gallery', 'Public-interest justification', 'Requested', 'Your authority']}
      items={items}
      row={(a) => (
        <tr key={a.id} data-authority-id={a.id}>
          <CaseCells caseRef={a.caseRef} offence={a.offence} gallery={galleryName(a.galleryId)} />
          <td>{a.justification}</td>
          <td>
            {fmtTime(a.requestedAt)}
            <div className="muted">
              by <code>{a.requestedByUsername ?? a.requestedBy}</code>
            </div>
          </td>
          <td>
            <NoteAction
              label="Authorise"
              field={`authorise-${a.id}`}
              placeholder="Why this search is necessary and proportionate (recorded with your authority)"
              run={(note) => api('POST', `/api/v1/search-authorities/${encodeURIComponent(a.id)}/authorise`, { note })}
              onDone={onDone}
            />
          </td>
        </tr>
      )}
    />
  );
}

function AuthorityRequests({
  galleries,
  offences,
  mine,
  galleryName,
  onDone,
}: {
  galleries: Gallery[];
  offences: string[];
  mine: SearchAuthority[];
  galleryName: (id: string) => string;
  onDone: () => void;
}): ReactNode {
  const restricted = galleries.filter((g) => g.accessClass === 'RESTRICTED');
  const blank = { gallery: restricted[0]?.name ?? '', caseRef: '', offence: '', justification: '' };
  const [f, setF] = useState(blank);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState('');
  const set = (k: keyof typeof f) => (e: { target: { value: string } }) => setF({ ...f, [k]: e.target.value });
  return (
    <Worklist
      id="authority-h"
      title="Authority for a restricted gallery"
      testId="my-authorities"
      empty="You have not asked for any authority."
      headers={['Case', 'Gallery', 'Requested', 'State']}
      items={mine}
      intro={
        <p className="muted">
          A RESTRICTED gallery is searched only after every LOCAL gallery was searched for the case, with a second person&apos;s authority (an authorising officer of Superintendent rank or above) for this case and offence.
          Each authority is used once.
        </p>
      }
      row={(a) => (
        <tr key={a.id}>
          <CaseCells caseRef={a.caseRef} offence={a.offence} gallery={galleryName(a.galleryId)} />
          <td>{fmtTime(a.requestedAt)}</td>
          <td>
            <AuthorityState a={a} />
          </td>
        </tr>
      )}
    >
      {restricted.length === 0 ? (
        <p>There is no RESTRICTED gallery.</p>
      ) : (
        <form
          className="form"
          aria-label="Ask for authority"
          onSubmit={(e) => {
            e.preventDefault();
            setError(null);
            setDone('');
            api<SearchAuthority>('POST', '/api/v1/search-authorities', f).then((a) => {
              setDone(`Requested authority to search ${f.gallery} for case ${a.caseRef}.`);
              setF(blank);
              onDone();
            }, setError);
          }}
        >
          <h3>Ask for authority</h3>
          <label>
            Gallery
            <select name="authGallery" value={f.gallery} onChange={set('gallery')}>
              {restricted.map((g) => (
                <option key={g.id} value={g.name}>
                  {g.name}
                </option>
              ))}
            </select>
          </label>
          <div className="pair">
            <Field label="Case reference" name="authCaseRef" value={f.caseRef} onChange={set('caseRef')} required={false} />
            <OffenceSelect offences={offences} value={f.offence} onChange={(offence) => setF({ ...f, offence })} />
          </div>
          <Field label="Written public-interest justification" name="justification" value={f.justification} onChange={set('justification')} multiline required={false} />
          <FormEnd label="Ask for authority" done={done} error={error} />
        </form>
      )}
    </Worklist>
  );
}

function SearchStatus({ s }: { s: SearchSummary }): ReactNode {
  if (s.purgedAt) return <>Deleted at the end of retention</>;
  if (s.status === 'WITHHELD') return <>Withheld: {s.reviews?.done ?? 0} of {s.reviews?.required ?? '?'} reviews</>;
  return <>Released</>;
}

function RecentSearches({ items, onOpen }: { items: SearchSummary[]; onOpen: (id: string) => void }): ReactNode {
  return (
    <Worklist
      id="recent-h"
      title="My recent searches"
      testId="recent-searches"
      empty="You have not searched yet."
      headers={['Case', 'Gallery', 'Searched', 'State', '']}
      items={items}
      row={(s) => (
        <tr key={s.id} data-search-id={s.id}>
          <CaseCells caseRef={s.caseRef} offence={s.offence} gallery={searchGallery(s)} />
          <td>{fmtTime(s.createdAt)}</td>
          <td>
            <SearchStatus s={s} />
          </td>
          <td>
            <button type="button" onClick={() => onOpen(s.id)}>
              Open
            </button>
          </td>
        </tr>
      )}
    />
  );
}
