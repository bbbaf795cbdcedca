// The suppression list (/v1/suppressions): addresses mail is never sent to, by address, a page
// at a time; searched by the start of the address. An admin adds one (with its reason) or
// removes one.
import { useEffect, useState } from 'preact/hooks';
import { del, get, post, query } from '../api.js';
import { Button, Empty, Field, Loading, PageHeader, Pager, Problem, Status, Time } from '../components.jsx';
import { useAction, usePoll } from '../hooks.js';
import { mayAdminister } from '../roles.js';
import { navigate } from '../router.js';

const kReasons = ['manual', 'bounce', 'complaint'];
const kPageSize = 50;

function AddSuppression({ onAdded }) {
  const [address, setAddress] = useState('');
  const [reason, setReason] = useState('manual');
  const [added, setAdded] = useState('');
  const save = useAction();
  const submit = (e) => {
    e.preventDefault();
    setAdded('');
    save.act(async () => {
      const answer = await post('/v1/suppressions', { address: address.trim(), reason });
      setAdded(answer.address);
      setAddress('');
      onAdded();
    });
  };
  return (
    <form class="card form" onSubmit={submit} aria-label="Add a suppression">
      <h2>Add an address</h2>
      <div class="row">
        <Field label="Address" name="address" error={save.error}>
          <input name="address" type="email" required autocomplete="off" value={address} onInput={(e) => setAddress(e.currentTarget.value)} />
        </Field>
        <Field label="Reason" name="reason" error={save.error}>
          <select name="reason" value={reason} onChange={(e) => setReason(e.currentTarget.value)}>
            {kReasons.map((r) => <option key={r} value={r}>{r}</option>)}
          </select>
        </Field>
      </div>
      <Problem error={save.error && !['address', 'reason'].includes(save.error.field) ? save.error : null} />
      {added ? <p class="notice" role="status">Suppressed {added}: no mail goes to it any more.</p> : null}
      <div class="actions"><button class="button button-primary" type="submit" disabled={save.busy}>Add</button></div>
    </form>
  );
}

function SuppressionRow({ entry, admin, onRemoved }) {
  const action = useAction();
  const remove = () => action.act(async () => {
    if (!window.confirm(`Remove ${entry.address} from the suppression list? Mail to it will be sent again.`)) return;
    await del(`/v1/suppressions/${encodeURIComponent(entry.address)}`);
    onRemoved();
  });
  return (
    <tr data-address={entry.address}>
      <td data-label="Address" class="wrap">{entry.address}</td>
      <td data-label="Reason"><Status value={entry.reason} /></td>
      <td data-label="Detail" class="wrap">{entry.detail || <span class="muted">–</span>}</td>
      <td data-label="Since"><Time iso={entry.created_at} /></td>
      {admin ? (
        <td data-label="">
          <Button kind="danger" busy={action.busy} onClick={remove}>Remove</Button>
          <Problem error={action.error} />
        </td>
      ) : null}
    </tr>
  );
}

export function Suppressions({ route, user }) {
  const prefix = route.params.get('prefix') || '';
  const cursor = route.params.get('cursor') || '';
  const [typed, setTyped] = useState(prefix);
  useEffect(() => setTyped(prefix), [prefix]);
  const list = usePoll(() => get(`/v1/suppressions${query({ prefix, cursor, limit: kPageSize })}`), [prefix, cursor]);
  const entries = list.data ? list.data.data : [];
  const admin = mayAdminister(user.role);
  return (
    <section>
      <PageHeader title="Suppressions" />
      {admin ? <AddSuppression onAdded={list.reload} /> : null}
      <form class="filters" role="search" onSubmit={(e) => { e.preventDefault(); navigate('/suppressions', { prefix: typed.trim() }); }}>
        <Field label="Address starts with" name="prefix" error={list.error}>
          <input name="prefix" type="search" placeholder="ana@" value={typed} onInput={(e) => setTyped(e.currentTarget.value)} />
        </Field>
        <button class="button button-secondary" type="submit">Search</button>
      </form>
      <Problem error={list.error && list.error.field !== 'prefix' ? list.error : null} />
      {list.loading && !list.data ? <Loading /> : null}
      {list.data && entries.length === 0 ? (
        <Empty>{cursor ? 'No more addresses.' : prefix ? `No suppressed address starts with “${prefix}”.` : 'No address is suppressed. Hard bounces and complaints (from SES) land here, and addresses added by hand.'}</Empty>
      ) : null}
      {entries.length ? (
        <table class="table" aria-label="Suppressed addresses">
          <thead>
            <tr>
              <th scope="col">Address</th>
              <th scope="col">Reason</th>
              <th scope="col">Detail</th>
              <th scope="col">Since</th>
              {admin ? <th scope="col"><span class="visually-hidden">Actions</span></th> : null}
            </tr>
          </thead>
          <tbody>
            {entries.map((entry) => <SuppressionRow key={entry.address} entry={entry} admin={admin} onRemoved={list.reload} />)}
          </tbody>
        </table>
      ) : null}
      <Pager path="/suppressions" params={{ prefix }} cursor={cursor} next={list.data && list.data.next_cursor} />
    </section>
  );
}
