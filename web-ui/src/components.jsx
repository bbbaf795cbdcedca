// Small pieces every screen uses.
import { formatTime, percent, formatNumber } from './format.js';
import { href } from './router.js';

// An error from the API (or the network) as a sentence; `field` names the input at fault.
export function Problem({ error }) {
  if (!error) return null;
  let text = error.message || String(error);
  if (error.status === 403) text = `Not allowed: ${text}`;
  return (
    <p class="problem" role="alert">
      {text}
      {error.field ? <span class="problem-field"> (field: {error.field})</span> : null}
    </p>
  );
}

export function Empty({ children }) {
  return <p class="empty">{children}</p>;
}

export function Loading() {
  return <p class="loading" aria-live="polite">Loading…</p>;
}

export function Time({ iso }) {
  if (!iso) return <span class="muted">–</span>;
  return <time datetime={iso} title={iso}>{formatTime(iso)}</time>;
}

export function Status({ value }) {
  return <span class={`status status-${value}`}>{String(value).replace(/_/g, ' ')}</span>;
}

export function Button({ kind = 'secondary', busy, children, ...props }) {
  return (
    <button type="button" class={`button button-${kind}`} disabled={busy || props.disabled} {...props}>
      {children}
    </button>
  );
}

// A progress bar with its numbers: the part done of the whole.
export function Progress({ done, total, label }) {
  const value = percent(done, total);
  return (
    <div class="progress">
      <div
        class="progress-bar"
        role="progressbar"
        aria-label={label}
        aria-valuemin="0"
        aria-valuemax={total || 0}
        aria-valuenow={done}
      >
        <div class="progress-fill" style={{ width: `${value}%` }} />
      </div>
      <span class="progress-text">
        {formatNumber(done)} / {formatNumber(total)} ({value}%)
      </span>
    </div>
  );
}

// A labelled form control; `error` is the ApiError whose field may be this one.
export function Field({ label, name, error, hint, children }) {
  const wrong = error && error.field === name;
  return (
    <label class={`field${wrong ? ' field-wrong' : ''}`}>
      <span class="field-label">{label}</span>
      {children}
      {hint ? <span class="field-hint">{hint}</span> : null}
      {wrong ? <span class="field-error" role="alert">{error.message}</span> : null}
    </label>
  );
}

export function PageHeader({ title, children }) {
  return (
    <div class="page-header">
      <h1 tabIndex={-1}>{title}</h1>
      {children ? <div class="page-actions">{children}</div> : null}
    </div>
  );
}

// A cursor-paged list's links: back to the first page (when not on it) and on to the next one
// (when the API gave a next_cursor); `params` are the list's filters, kept in both.
export function Pager({ path, params = {}, cursor, next, first = 'First page', more = 'Next page' }) {
  return (
    <div class="pager">
      {cursor ? <a class="button button-secondary" href={href(path, params)}>{first}</a> : null}
      {next ? <a class="button button-secondary" href={href(path, { ...params, cursor: next })}>{more}</a> : null}
    </div>
  );
}
