import { useEffect, useState } from 'preact/hooks';
import { get, post, query } from '../api.js';
import { Button, Empty, Loading, PageHeader, Pager, Problem, Status, Time } from '../components.jsx';
import { isoToLocalInput, localInputToIso } from '../format.js';
import { useAction, usePoll } from '../hooks.js';
import { mayAdminister } from '../roles.js';
import { href, navigate } from '../router.js';

const kPollMs = 5000;
const kPageSize = 50;
export const kEmailStatuses = ['queued', 'sending', 'sent', 'deferred', 'failed', 'cancelled', 'suppressed'];
// The filters GET /v1/emails takes, all kept in the address.
const kFilters = ['status', 'recipient', 'sender', 'subject', 'tag', 'since', 'until'];

function filtersOf(route) {
  const filters = {};
  for (const name of kFilters) filters[name] = route.params.get(name) || '';
  return filters;
}

// The search form: typed text is applied on submit, the status at once.
function Filters({ filters }) {
  const [typed, setTyped] = useState(filters);
  useEffect(() => setTyped(filters), [JSON.stringify(filters)]);
  const set = (name) => (e) => setTyped({ ...typed, [name]: e.currentTarget.value });
  const apply = (changes = {}) => {
    const next = { ...typed, ...changes };
    for (const name of ['recipient', 'sender', 'subject', 'tag']) next[name] = next[name].trim();
    navigate('/emails', next);
  };
  const failedOnly = filters.status === 'failed';
  return (
    <form
      class="filters"
      role="search"
      onSubmit={(e) => {
        e.preventDefault();
        apply();
      }}
    >
      <label class="field inline">
        <span class="field-label">Status</span>
        <select name="status" value={filters.status} onChange={(e) => apply({ status: e.currentTarget.value })}>
          <option value="">all</option>
          {kEmailStatuses.map((s) => (
            <option key={s} value={s}>{s}</option>
          ))}
        </select>
      </label>
      <label class="field inline">
        <span class="field-label">Recipient</span>
        <input name="recipient" type="search" placeholder="ana@example.com" value={typed.recipient} onInput={set('recipient')} />
      </label>
      <label class="field inline">
        <span class="field-label">Sender contains</span>
        <input name="sender" type="search" placeholder="news@" value={typed.sender} onInput={set('sender')} />
      </label>
      <label class="field inline">
        <span class="field-label">Subject contains</span>
        <input name="subject" type="search" value={typed.subject} onInput={set('subject')} />
      </label>
      <label class="field inline">
        <span class="field-label">Tag</span>
        <input name="tag" type="search" value={typed.tag} onInput={set('tag')} />
      </label>
      <label class="field inline">
        <span class="field-label">Since</span>
        <input
          name="since"
          type="datetime-local"
          value={isoToLocalInput(typed.since)}
          onInput={(e) => setTyped({ ...typed, since: localInputToIso(e.currentTarget.value) || '' })}
        />
      </label>
      <label class="field inline">
        <span class="field-label">Until</span>
        <input
          name="until"
          type="datetime-local"
          value={isoToLocalInput(typed.until)}
          onInput={(e) => setTyped({ ...typed, until: localInputToIso(e.currentTarget.value) || '' })}
        />
      </label>
      <div class="actions">
        <button class="button button-secondary" type="submit">Search</button>
        <Button aria-pressed={failedOnly ? 'true' : 'false'} onClick={() => apply({ status: failedOnly ? '' : 'failed' })}>
          Failed only
        </Button>
        {kFilters.some((name) => filters[name]) ? <a class="button button-secondary" href={href('/emails')}>Clear</a> : null}
      </div>
    </form>
  );
}

// What POST /v1/emails/retry or /cancel did, one line per email.
function Results({ outcome }) {
  if (!outcome) return null;
  const done = outcome.results.filter((r) => !r.error).length;
  return (
    <section class="notice" role="status" aria-label={`${outcome.verb} results`}>
      <p>
        {outcome.verb}: {done} of {outcome.results.length} done.
      </p>
      <ul class="detail results">
        {outcome.results.map((r) => (
          <li key={r.id} data-id={r.id}>
            <code>{r.id}</code> {r.error ? <span class="problem-inline">{r.error.detail}</span> : <Status value={r.status} />}
          </li>
        ))}
      </ul>
    </section>
  );
}

// Newest first, filtered as the address says, a page at a time (the cursor is in the address,
// so the browser's back button goes to the newer page). Polled: new mail appears. Admins select
// emails and retry or cancel them together. With the capture transport this is the inbox of
// what would have been sent.
export function Emails({ route, user }) {
  const filters = filtersOf(route);
  const cursor = route.params.get('cursor') || '';
  const list = usePoll(
    () => get(`/v1/emails${query({ ...filters, cursor, limit: kPageSize })}`),
    [route.hash],
    kPollMs,
  );
  const stats = usePoll(() => get('/v1/stats'), []);
  const capture = stats.data && stats.data.transport.kind === 'capture';
  const emails = list.data ? list.data.data : [];
  const filtered = kFilters.some((name) => filters[name]);
  const admin = mayAdminister(user.role);
  const [selected, setSelected] = useState(new Set());
  const [outcome, setOutcome] = useState(null);
  const action = useAction();
  useEffect(() => setSelected(new Set()), [route.hash]);

  const toggle = (id) => {
    const next = new Set(selected);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setSelected(next);
  };
  const allSelected = emails.length > 0 && emails.every((e) => selected.has(e.id));
  const bulk = (verb, path) => action.act(async () => {
    const answer = await post(path, { ids: [...selected] });
    setOutcome({ verb, results: answer.results });
    setSelected(new Set());
    await list.reload();
  });

  return (
    <section>
      <PageHeader title={capture ? 'Capture inbox' : 'Emails'}>
        {admin && selected.size ? (
          <>
            <span class="muted">{selected.size} selected</span>
            <Button kind="primary" busy={action.busy} onClick={() => bulk('Retry', '/v1/emails/retry')}>
              Retry selected
            </Button>
            <Button kind="danger" busy={action.busy} onClick={() => bulk('Cancel', '/v1/emails/cancel')}>
              Cancel selected
            </Button>
          </>
        ) : null}
      </PageHeader>
      {capture ? (
        <p class="notice">
          The transport is <strong>capture</strong>: mail is kept here, as it would have been sent, and delivered to no one.
        </p>
      ) : null}
      <Filters filters={filters} />
      <Problem error={action.error} />
      <Results outcome={outcome} />
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
              {admin ? (
                <th scope="col" class="select">
                  <input
                    type="checkbox"
                    aria-label="Select all on this page"
                    checked={allSelected}
                    onChange={() => setSelected(allSelected ? new Set() : new Set(emails.map((e) => e.id)))}
                  />
                </th>
              ) : null}
              <th scope="col">Created</th>
              <th scope="col">From</th>
              <th scope="col">To</th>
              <th scope="col">Subject</th>
              <th scope="col">Status</th>
              <th scope="col">Attempts</th>
            </tr>
          </thead>
          <tbody>
            {emails.map((email) => (
              <tr key={email.id} data-id={email.id}>
                {admin ? (
                  <td data-label="Select" class="select">
                    <input
                      type="checkbox"
                      aria-label={`Select ${email.subject || email.id}`}
                      checked={selected.has(email.id)}
                      onChange={() => toggle(email.id)}
                    />
                  </td>
                ) : null}
                <td data-label="Created"><Time iso={email.created_at} /></td>
                <td data-label="From" class="wrap">{email.from}</td>
                <td data-label="To" class="wrap">{email.to.join(', ')}</td>
                <td data-label="Subject" class="wrap">
                  <span>
                    <a href={href(`/emails/${encodeURIComponent(email.id)}`)}>{email.subject || '(no subject)'}</a>
                    {email.tags.length ? <span class="tags"> {email.tags.map((t) => <span key={t} class="tag">{t}</span>)}</span> : null}
                  </span>
                </td>
                <td data-label="Status"><Status value={email.status} /></td>
                <td data-label="Attempts">{email.attempts} / {email.max_attempts}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <Pager path="/emails" params={filters} cursor={cursor} next={list.data && list.data.next_cursor} first="Newest" more="Older" />
    </section>
  );
}
