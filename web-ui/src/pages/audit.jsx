import { useEffect, useState } from 'preact/hooks';
import { get, query } from '../api.js';
import { Empty, Loading, PageHeader, Pager, Problem, Time } from '../components.jsx';
import { usePoll } from '../hooks.js';
import { href, navigate } from '../router.js';

function Detail({ value }) {
  if (!value || typeof value !== 'object' || Object.keys(value).length === 0) return null;
  return (
    <ul class="detail">
      {Object.entries(value).map(([name, item]) => (
        <li key={name}><span class="muted">{name}</span> {typeof item === 'object' ? JSON.stringify(item) : String(item)}</li>
      ))}
    </ul>
  );
}

// The audit trail, newest first: who did what to what, from where.
// "user:12" with the person's address when the server knows it; a key or "cli" as it is.
function Reference({ id, name }) {
  if (!id) return <span class="muted">anonymous</span>;
  if (!name) return id;
  return <span title={id}>{name}</span>;
}

export function Audit({ route }) {
  const action = route.params.get('action') || '';
  const cursor = route.params.get('cursor') || '';
  const [typed, setTyped] = useState(action);
  useEffect(() => setTyped(action), [action]);
  const list = usePoll(() => get(`/v1/audit${query({ action, cursor })}`), [action, cursor], 10000);
  const entries = list.data ? list.data.data : [];
  return (
    <section>
      <PageHeader title="Audit" />
      <form class="filters" role="search" onSubmit={(e) => { e.preventDefault(); navigate('/audit', { action: typed.trim() }); }}>
        <label class="field inline">
          <span class="field-label">Action</span>
          <input name="action" type="search" placeholder="login_failed" value={typed} onInput={(e) => setTyped(e.currentTarget.value)} />
        </label>
        <button class="button button-secondary" type="submit">Filter</button>
      </form>
      <Problem error={list.error} />
      {list.loading && !list.data ? <Loading /> : null}
      {list.data && entries.length === 0 ? <Empty>{action ? `No “${action}” entries.` : 'The audit trail is empty.'}</Empty> : null}
      {entries.length ? (
        <table class="table" aria-label="Audit trail, newest first">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Who</th>
              <th scope="col">Action</th>
              <th scope="col">Target</th>
              <th scope="col">From</th>
              <th scope="col">Detail</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((entry) => (
              <tr key={entry.id}>
                <td data-label="When"><Time iso={entry.at} /></td>
                <td data-label="Who" class="wrap"><Reference id={entry.actor} name={entry.actor_name} /></td>
                <td data-label="Action"><a href={href('/audit', { action: entry.action })}>{entry.action}</a></td>
                <td data-label="Target" class="wrap"><Reference id={entry.target} name={entry.target_name} /></td>
                <td data-label="From">{entry.address}</td>
                <td data-label="Detail" class="wrap"><Detail value={entry.detail} /></td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <Pager path="/audit" params={{ action }} cursor={cursor} next={list.data && list.data.next_cursor} first="Newest" more="Older" />
    </section>
  );
}
