// API keys (/v1/keys): who may call the API. The list never has a secret (only its last
// characters, to tell keys apart). An admin creates one — its secret is shown once, here, and
// never again — and revokes one.
import { useState } from 'preact/hooks';
import { del, get, post } from '../api.js';
import { Button, Empty, Field, Loading, PageHeader, Problem, Time } from '../components.jsx';
import { useAction, usePoll } from '../hooks.js';
import { localInputToIso } from '../format.js';
import { mayAdminister } from '../roles.js';

const kRoles = [
  ['client', 'client: GoMail tasks and mail'],
  ['sender', 'sender: the SES-compatible API'],
  ['viewer', 'viewer: reads only'],
  ['admin', 'admin: everything'],
];

// The secret of a key just created: shown once, with a copy button.
function ShownOnce({ issued, onDone }) {
  const [copied, setCopied] = useState('');
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(issued.key);
      setCopied('Copied.');
    } catch {
      setCopied('Copying is not allowed here: select the key and copy it by hand.');
    }
  };
  return (
    <section class="card once" aria-label="New key" role="status">
      <h2>Key “{issued.name}” created</h2>
      <p><strong>Copy it now: you will not see it again.</strong> outbox keeps only its hash.</p>
      <code class="secret" data-secret>{issued.key}</code>
      <div class="actions">
        <Button kind="primary" onClick={copy}>Copy key</Button>
        <Button onClick={onDone}>I have stored it</Button>
        {copied ? <span class="muted" aria-live="polite">{copied}</span> : null}
      </div>
    </section>
  );
}

function NewKey({ onCreated }) {
  const [form, setForm] = useState({ name: '', role: 'client', expires: '', callback_url: '' });
  const save = useAction();
  const set = (name) => (e) => setForm({ ...form, [name]: e.currentTarget.value });
  const submit = (e) => {
    e.preventDefault();
    save.act(async () => {
      const body = { name: form.name.trim(), role: form.role };
      if (form.expires) body.expires_at = localInputToIso(form.expires);
      if (form.callback_url.trim()) body.callback_url = form.callback_url.trim();
      const issued = await post('/v1/keys', body);
      setForm({ name: '', role: form.role, expires: '', callback_url: '' });
      onCreated(issued);
    });
  };
  const fields = ['name', 'role', 'expires_at', 'callback_url'];
  return (
    <form class="card form" onSubmit={submit} aria-label="New key">
      <h2>New key</h2>
      <div class="row">
        <Field label="Name" name="name" error={save.error}>
          <input name="name" required autocomplete="off" value={form.name} onInput={set('name')} />
        </Field>
        <Field label="Role" name="role" error={save.error}>
          <select name="role" value={form.role} onChange={set('role')}>
            {kRoles.map(([value, label]) => <option key={value} value={value}>{label}</option>)}
          </select>
        </Field>
        <Field label="Expires (optional)" name="expires_at" error={save.error} hint="Your time zone. Empty: never.">
          <input name="expires_at" type="datetime-local" value={form.expires} onInput={set('expires')} />
        </Field>
        <Field label="Callback URL (optional)" name="callback_url" error={save.error} hint="Where status callbacks go.">
          <input name="callback_url" type="url" autocomplete="off" value={form.callback_url} onInput={set('callback_url')} />
        </Field>
      </div>
      <Problem error={save.error && !fields.includes(save.error.field) ? save.error : null} />
      <div class="actions"><button class="button button-primary" type="submit" disabled={save.busy}>Create key</button></div>
    </form>
  );
}

function KeyRow({ entry, admin, onRevoked }) {
  const action = useAction();
  const revoke = () => action.act(async () => {
    if (!window.confirm(`Revoke the key “${entry.name}”? Whatever uses it is refused from now on.`)) return;
    await del(`/v1/keys/${encodeURIComponent(entry.id)}`);
    onRevoked();
  });
  const expired = entry.expires_at && new Date(entry.expires_at).getTime() <= Date.now();
  return (
    <tr data-id={entry.id} class={expired ? 'disabled' : ''}>
      <td data-label="Name" class="wrap">{entry.name}</td>
      <td data-label="Role"><span class={`role role-${entry.role}`}>{entry.role}</span></td>
      <td data-label="Key">{entry.hint ? <code title="the key's last characters">…{entry.hint}</code> : <span class="muted">–</span>}</td>
      <td data-label="Created"><Time iso={entry.created_at} /></td>
      <td data-label="Expires">
        {entry.expires_at ? <Time iso={entry.expires_at} /> : <span class="muted">never</span>}
        {expired ? <span class="status status-expired"> expired</span> : null}
      </td>
      {admin ? (
        <td data-label="">
          <Button kind="danger" busy={action.busy} onClick={revoke}>Revoke</Button>
          <Problem error={action.error} />
        </td>
      ) : null}
    </tr>
  );
}

export function Keys({ user }) {
  const list = usePoll(() => get('/v1/keys'), []);
  const [issued, setIssued] = useState(null);
  const keys = list.data ? list.data.data : [];
  const admin = mayAdminister(user.role);
  return (
    <section>
      <PageHeader title="Keys" />
      {issued ? <ShownOnce issued={issued} onDone={() => setIssued(null)} /> : null}
      {admin ? <NewKey onCreated={(key) => { setIssued(key); list.reload(); }} /> : null}
      <Problem error={list.error} />
      {list.loading && !list.data ? <Loading /> : null}
      {list.data && keys.length === 0 ? <Empty>No API keys.</Empty> : null}
      {keys.length ? (
        <table class="table" aria-label="API keys">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Role</th>
              <th scope="col">Key</th>
              <th scope="col">Created</th>
              <th scope="col">Expires</th>
              {admin ? <th scope="col"><span class="visually-hidden">Actions</span></th> : null}
            </tr>
          </thead>
          <tbody>
            {keys.map((entry) => <KeyRow key={entry.id} entry={entry} admin={admin} onRevoked={list.reload} />)}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}
