import { useEffect, useState } from 'preact/hooks';
import { get, query } from '../api.js';
import { Empty, Loading, PageHeader, Problem, Status, Time } from '../components.jsx';
import { usePoll } from '../hooks.js';
import { href, navigate } from '../router.js';

const kPollMs = 5000;
const kPageSize = 50;
export const kEmailStatuses = ['queued', 'sending', 'sent', 'deferred', 'failed', 'cancelled', 'suppressed'];

// Newest first, filtered by status and recipient, a page at a time (the cursor is in the
// address, so the browser's back button goes to the newer page). Polled: new mail appears.
export function Emails({ route }) {
  const status = route.params.get('status') || '';
  const recipient = route.params.get('recipient') || '';
  const cursor = route.params.get('cursor') || '';
  const [typed, setTyped] = useState(recipient);
  useEffect(() => setTyped(recipient), [recipient]);
  const list = usePoll(
    () => get(`/v1/emails${query({ status, recipient, cursor, limit: kPageSize })}`),
    [status, recipient, cursor],
    kPollMs,
  );
  const emails = list.data ? list.data.data : [];
  const filtered = status || recipient;

  return (
    <section>
      <PageHeader title="Emails" />
      <form
        class="filters"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          navigate('/emails', { status, recipient: typed.trim() });
        }}
      >
        <label class="field inline">
          <span class="field-label">Status</span>
          <select name="status" value={status} onChange={(e) => navigate('/emails', { status: e.currentTarget.value, recipient })}>
            <option value="">all</option>
            {kEmailStatuses.map((s) => (
              <option key={s} value={s}>{s}</option>
            ))}
          </select>
        </label>
        <label class="field inline">
          <span class="field-label">Recipient</span>
          <input name="recipient" type="search" placeholder="ana@example.com" value={typed} onInput={(e) => setTyped(e.currentTarget.value)} />
        </label>
        <button class="button button-secondary" type="submit">Search</button>
      </form>
      <Problem error={list.error} />
      {list.loading && !list.data ? <Loading /> : null}
      {list.data && emails.length === 0 ? (
        <Empty>
          {cursor ? 'No older emails.' : filtered ? 'No email matches these filters.' : 'No email has been sent yet. Mail that applications queue through POST /v1/emails shows up here.'}
        </Empty>
      ) : null}
      {emails.length ? (
        <table class="table" aria-label="Emails, newest first">
          <thead>
            <tr>
              <th scope="col">Created</th>
              <th scope="col">To</th>
              <th scope="col">Subject</th>
              <th scope="col">Status</th>
              <th scope="col">Attempts</th>
            </tr>
          </thead>
          <tbody>
            {emails.map((email) => (
              <tr key={email.id} data-id={email.id}>
                <td data-label="Created"><Time iso={email.created_at} /></td>
                <td data-label="To" class="wrap">{email.to.join(', ')}</td>
                <td data-label="Subject" class="wrap">
                  <a href={href(`/emails/${encodeURIComponent(email.id)}`)}>{email.subject || '(no subject)'}</a>
                </td>
                <td data-label="Status"><Status value={email.status} /></td>
                <td data-label="Attempts">{email.attempts} / {email.max_attempts}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <div class="pager">
        {cursor ? <a class="button button-secondary" href={href('/emails', { status, recipient })}>Newest</a> : null}
        {list.data && list.data.next_cursor ? (
          <a class="button button-secondary" href={href('/emails', { status, recipient, cursor: list.data.next_cursor })}>Older</a>
        ) : null}
      </div>
    </section>
  );
}
