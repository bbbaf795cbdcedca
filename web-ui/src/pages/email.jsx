import { useState } from 'preact/hooks';
import { del, get, post, query } from '../api.js';
import { Button, Empty, Loading, PageHeader, Problem, Status, Time } from '../components.jsx';
import { formatNumber } from '../format.js';
import { useAction, usePoll } from '../hooks.js';
import { mayAdminister } from '../roles.js';
import { href, navigate } from '../router.js';

const kPollMs = 5000;

function Raw({ id }) {
  const [shown, setShown] = useState(false);
  const raw = usePoll(() => (shown ? get(`/v1/emails/${encodeURIComponent(id)}/raw`, { as: 'text' }) : null), [shown, id]);
  return (
    <section class="card">
      <div class="card-header">
        <h2>Raw source</h2>
        <Button aria-expanded={shown ? 'true' : 'false'} onClick={() => setShown(!shown)}>
          {shown ? 'Hide' : 'Show raw source'}
        </Button>
      </div>
      {shown ? (
        <>
          <Problem error={raw.error} />
          {raw.data !== null ? <pre class="raw" tabIndex={0} aria-label="Raw RFC 5322 message">{raw.data}</pre> : <Loading />}
        </>
      ) : null}
    </section>
  );
}

// The HTML part in a sandboxed frame: it runs no script and has an origin of its own, and its
// document (GET /v1/emails/{id}/preview, with a CSP of its own) loads nothing from elsewhere
// unless the person asks for remote images.
function Preview({ id }) {
  const [width, setWidth] = useState('desktop');
  const [images, setImages] = useState(false);
  const src = `/v1/emails/${encodeURIComponent(id)}/preview${images ? '?images=1' : ''}`;
  return (
    <section class="card">
      <div class="card-header">
        <h2>Preview</h2>
        <div class="actions">
          <div class="segmented" role="group" aria-label="Preview width">
            {[['desktop', 'Desktop'], ['phone', 'Phone']].map(([value, label]) => (
              <Button key={value} aria-pressed={width === value ? 'true' : 'false'} onClick={() => setWidth(value)}>
                {label}
              </Button>
            ))}
          </div>
          {images ? (
            <span class="muted">Remote images shown</span>
          ) : (
            <Button onClick={() => setImages(true)}>Show remote images</Button>
          )}
        </div>
      </div>
      <div class="preview-box">
        <iframe class={`preview preview-${width}`} sandbox="" src={src} title="HTML preview of the email" referrerpolicy="no-referrer" />
      </div>
    </section>
  );
}

function Text({ parts }) {
  return (
    <section class="card">
      <h2>Text</h2>
      {parts.text === null ? (
        <Empty>This email has no plain-text part.</Empty>
      ) : (
        <pre class="text-part" tabIndex={0} aria-label="Plain-text part">{parts.text}</pre>
      )}
    </section>
  );
}

function Headers({ headers }) {
  return (
    <section class="card">
      <h2>Headers</h2>
      <table class="table headers" aria-label="Message headers">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Value</th>
          </tr>
        </thead>
        <tbody>
          {headers.map(([name, value], i) => (
            <tr key={i}>
              <td data-label="Name"><code>{name}</code></td>
              <td data-label="Value" class="wrap">{value}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function Attachments({ id, attachments }) {
  return (
    <section class="card">
      <h2>Attachments</h2>
      {attachments.length === 0 ? (
        <Empty>No attachments.</Empty>
      ) : (
        <ul class="attachments">
          {attachments.map((a) => (
            <li key={a.index}>
              <a href={`/v1/emails/${encodeURIComponent(id)}/attachments/${a.index}`} download={a.filename || `attachment-${a.index}`}>
                {a.filename || `attachment ${a.index + 1}`}
              </a>{' '}
              <span class="muted">
                {a.content_type}, {formatNumber(a.size)} bytes{a.content_id ? ` · inline (cid:${a.content_id})` : ''}
              </span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

// Preview, text, headers and attachments, read from the stored message once.
function Content({ id }) {
  const parts = usePoll(() => get(`/v1/emails/${encodeURIComponent(id)}/parts`), [id]);
  if (parts.error) return <Problem error={parts.error} />;
  if (!parts.data) return <Loading />;
  const p = parts.data;
  return (
    <>
      {p.truncated ? <p class="notice">This message is nested too deeply or has too many parts: some of it is not shown.</p> : null}
      {p.html ? <Preview id={id} /> : null}
      <Text parts={p} />
      <Attachments id={id} attachments={p.attachments} />
      <Headers headers={p.headers} />
    </>
  );
}

const kOutcomes = ['sent', 'deferred', 'failed'];

// Events in order; an attempt ("sending", detail "attempt N") and the outcome that follows it
// ("sent", "deferred" or "failed" with the server's reply) read as one line.
function timelineItems(events) {
  const items = [];
  for (let i = 0; i < events.length; i++) {
    const event = events[i];
    const next = events[i + 1];
    if (event.type === 'sending' && next && kOutcomes.includes(next.type)) {
      items.push({ ...next, attempt: event.detail });
      i++;
    } else {
      items.push(event);
    }
  }
  return items;
}

// A status callback's attempt (GET /v1/webhooks/deliveries?subject=) as a timeline event.
function callbackEvent(attempt) {
  const outcome = attempt.status_code ? `HTTP ${attempt.status_code}` : attempt.error || 'no answer';
  return {
    at: attempt.at,
    type: 'callback',
    detail: `${attempt.event} to ${attempt.url}: ${outcome} in ${attempt.latency_ms} ms`,
  };
}

// The email's events and its callbacks' attempts, in time order (an email event first at the
// same instant: the callback is about it).
function Timeline({ events, callbacks }) {
  const all = [...events, ...callbacks.map(callbackEvent)];
  if (!all.length) return <Empty>No events yet.</Empty>;
  all.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  const linked = { resent: 'resent as', resend_of: 'a resend of' };
  return (
    <ol class="timeline">
      {timelineItems(all).map((event, i) => (
        <li key={i} class={`event event-${event.type}`}>
          <Time iso={event.at} />
          {event.attempt ? <span class="event-attempt"> {event.attempt}:</span> : null}{' '}
          <strong class="event-type">{event.type}</strong>
          {linked[event.type] ? (
            <span class="event-detail">
              {linked[event.type]} <a href={href(`/emails/${encodeURIComponent(event.detail)}`)}>{event.detail}</a>
            </span>
          ) : event.detail ? (
            <span class="event-detail">{event.detail}</span>
          ) : null}
        </li>
      ))}
    </ol>
  );
}

// One email: what it is, where it stands, its preview, text, attachments and headers, each
// event, its raw source; retry / cancel / resend for those who may (admins).
export function EmailPage({ id, user }) {
  const email = usePoll(() => get(`/v1/emails/${encodeURIComponent(id)}`), [id], kPollMs);
  const callbacks = usePoll(() => get(`/v1/webhooks/deliveries${query({ subject: id, limit: 100 })}`), [id], kPollMs);
  const action = useAction();
  const e = email.data;
  const admin = mayAdminister(user.role);
  const run = (call) => action.act(async () => {
    await call();
    await email.reload();
  });

  return (
    <section>
      <PageHeader title={e ? e.subject || '(no subject)' : 'Email'}>
        {e && admin && e.status === 'failed' ? (
          <Button kind="primary" busy={action.busy} onClick={() => run(() => post(`/v1/emails/${encodeURIComponent(id)}/retry`))}>
            Retry
          </Button>
        ) : null}
        {e && admin && (e.status === 'queued' || e.status === 'deferred') ? (
          <Button kind="danger" busy={action.busy} onClick={() => run(() => del(`/v1/emails/${encodeURIComponent(id)}`))}>
            Cancel
          </Button>
        ) : null}
        {e && admin ? (
          <Button
            busy={action.busy}
            onClick={() => action.act(async () => {
              const copy = await post(`/v1/emails/${encodeURIComponent(id)}/resend`);
              navigate(`/emails/${encodeURIComponent(copy.id)}`);
            })}
          >
            Resend
          </Button>
        ) : null}
      </PageHeader>
      <p><a href="#/emails">← All emails</a></p>
      <Problem error={action.error} />
      <Problem error={email.error} />
      {email.loading && !e ? <Loading /> : null}
      {e ? (
        <>
          <section class="card">
            <dl class="facts">
              <dt>Status</dt><dd><Status value={e.status} /></dd>
              <dt>Id</dt><dd><code>{e.id}</code></dd>
              <dt>From</dt><dd class="wrap">{e.from}</dd>
              <dt>To</dt><dd class="wrap">{e.to.join(', ')}</dd>
              {e.cc.length ? (<><dt>Cc</dt><dd class="wrap">{e.cc.join(', ')}</dd></>) : null}
              {e.bcc.length ? (<><dt>Bcc</dt><dd class="wrap">{e.bcc.join(', ')}</dd></>) : null}
              {e.reply_to ? (<><dt>Reply-To</dt><dd class="wrap">{e.reply_to}</dd></>) : null}
              <dt>Attempts</dt><dd>{e.attempts} of {e.max_attempts}</dd>
              {e.last_reply ? (<><dt>Last reply</dt><dd class="wrap"><code>{e.last_reply}</code></dd></>) : null}
              <dt>Created</dt><dd><Time iso={e.created_at} /></dd>
              <dt>Send at</dt><dd><Time iso={e.send_at} /></dd>
              {e.sent_at ? (<><dt>Sent</dt><dd><Time iso={e.sent_at} /></dd></>) : null}
              {e.next_attempt_at ? (<><dt>Next attempt</dt><dd><Time iso={e.next_attempt_at} /></dd></>) : null}
              {e.tags.length ? (<><dt>Tags</dt><dd>{e.tags.join(', ')}</dd></>) : null}
              {e.metadata && Object.keys(e.metadata).length ? (<><dt>Metadata</dt><dd class="wrap"><code>{JSON.stringify(e.metadata)}</code></dd></>) : null}
            </dl>
          </section>
          <section class="card">
            <h2>Timeline</h2>
            <Timeline events={e.events || []} callbacks={callbacks.data ? callbacks.data.data : []} />
            <Problem error={callbacks.error} />
          </section>
          <Content key={id} id={id} />
          <Raw id={id} />
        </>
      ) : null}
    </section>
  );
}
