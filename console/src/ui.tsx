/** Small shared pieces: loading data, showing errors, the hash route. */
import { useCallback, useEffect, useState, type ReactNode } from 'react';
import { ApiError } from './api.ts';
import { retentionNotice } from './messages.ts';

export function useRoute(): string[] {
  const read = () => window.location.hash.replace(/^#\/?/, '').split('/').filter(Boolean);
  const [parts, setParts] = useState(read);
  useEffect(() => {
    const on = () => setParts(read());
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return parts;
}

export const go = (path: string) => {
  window.location.hash = `#${path}`;
};

/** Load something; `reload()` fetches again. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): { data: T | undefined; error: unknown; reload: () => void } {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<unknown>(null);
  const [n, setN] = useState(0);
  useEffect(() => {
    let live = true;
    load().then(
      (d) => {
        if (!live) return;
        setData(d);
        setError(null);
      },
      (e: unknown) => live && setError(e),
    );
    return () => {
      live = false;
    };
  }, [...deps, n]);
  const reload = useCallback(() => setN((x) => x + 1), []);
  return { data, error, reload };
}

export function ErrorBox({ error }: { error: unknown }): ReactNode {
  if (!error) return null;
  const e = error instanceof ApiError ? error : null;
  // deleted under the retention rules: the system doing its job, told neutrally, not as a red refusal
  const deleted = retentionNotice(e);
  if (deleted) {
    return (
      <p className="notice" role="status" data-testid="deleted-by-retention">
        {deleted}
      </p>
    );
  }
  const failures = (e?.details?.failures as Array<{ check?: string; message?: string } | string> | undefined) ?? [];
  return (
    <div className="error" role="alert">
      <strong>{e ? `Refused (${e.code})` : 'Error'}: </strong>
      {error instanceof Error ? error.message : String(error)}
      {failures.length > 0 && (
        <ul>
          {failures.map((f, i) => (
            <li key={i}>{typeof f === 'string' ? f : (f.message ?? JSON.stringify(f))}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** A button that runs an async action, disables itself meanwhile and shows the result. */
export function ActionButton({ label, run, className, onDone }: { label: string; run: () => Promise<unknown>; className?: string; onDone?: () => void }): ReactNode {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  return (
    <span className="action">
      <button
        type="button"
        className={className}
        disabled={busy}
        onClick={() => {
          setBusy(true);
          setError(null);
          run().then(
            () => {
              setBusy(false);
              onDone?.();
            },
            (e: unknown) => {
              setBusy(false);
              setError(e);
            },
          );
        }}
      >
        {busy ? `${label}…` : label}
      </button>
      <ErrorBox error={error} />
    </span>
  );
}

/** A labelled text field (input or textarea) bound to one value of a form's state. */
export function Field({
  label,
  name,
  value,
  onChange,
  multiline = false,
  required = true,
  type,
  placeholder,
  step,
}: {
  label: ReactNode;
  name: string;
  value: string;
  onChange: (e: { target: { value: string } }) => void;
  multiline?: boolean;
  required?: boolean;
  type?: string;
  placeholder?: string;
  step?: string;
}): ReactNode {
  return (
    <label>
      {label}
      {multiline ? (
        <textarea name={name} required={required} autoComplete="off" value={value} onChange={onChange} />
      ) : (
        <input name={name} required={required} autoComplete={type === 'password' ? 'new-password' : 'off'} value={value} onChange={onChange} {...(type ? { type } : {})} {...(placeholder ? { placeholder } : {})} {...(step ? { step } : {})} />
      )}
    </label>
  );
}

/** A text box and a button: the text (a note, a reason) goes with the action. */
export function NoteAction({ label, field, placeholder, run, onDone, className }: { label: string; field: string; placeholder: string; run: (text: string) => Promise<unknown>; onDone: () => void; className?: string }): ReactNode {
  const [text, setText] = useState('');
  return (
    <div className="note-action">
      <label>
        {placeholder}
        <textarea name={field} autoComplete="off" value={text} onChange={(e) => setText(e.target.value)} />
      </label>
      {/* the text goes with this one action: emptied once it is recorded, so it is never carried into another */}
      <ActionButton
        label={label}
        className={className ?? 'primary'}
        run={() => run(text)}
        onDone={() => {
          setText('');
          onDone();
        }}
      />
    </div>
  );
}

/** A form's end: its submit button (disabled while busy), the line saying what was done, and the refusal. */
export function FormEnd({ label, busyLabel, busy = false, done, error }: { label: string; busyLabel?: string; busy?: boolean; done: ReactNode; error: unknown }): ReactNode {
  return (
    <>
      <button type="submit" className="primary" disabled={busy}>
        {busy ? (busyLabel ?? `${label}…`) : label}
      </button>
      {done && (
        <p className="ok" role="status">
          {done}
        </p>
      )}
      <ErrorBox error={error} />
    </>
  );
}
