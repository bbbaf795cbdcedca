import { useState } from 'preact/hooks';
import { del, get, post } from '../api.js';
import { Button, Empty, Loading, PageHeader, Problem, Status, Time } from '../components.jsx';
import { useAction, usePoll } from '../hooks.js';
import { mayAdminister } from '../roles.js';

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

function Timeline({ events }) {
  if (!events.length) return <Empty>No events yet.</Empty>;
  return (
    <ol class="timeline">
      {events.map((event, i) => (
        <li key={i} class={`event event-${event.type}`}>
          <Time iso={event.at} /> <strong class="event-type">{event.type}</strong>
          {event.detail ? <span class="event-detail">{event.detail}</span> : null}
        </li>
      ))}
    </ol>
  );
}

// One email: what it is, where it stands, each event, its raw source; retry / cancel for
// those who may (admins today).
export function EmailPage({ id, user }) {
  const email = usePoll(() => get(`/v1/emails/${encodeURIComponent(id)}`), [id], kPollMs);
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
            <Timeline events={e.events || []} />
          </section>
          <Raw id={id} />
        </>
      ) : null}
    </section>
  );
}
