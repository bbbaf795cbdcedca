import { useState } from 'preact/hooks';
import { get, patch, post, query } from '../api.js';
import { Button, Empty, Field, Loading, PageHeader, Pager, Problem, Time } from '../components.jsx';
import { useAction, usePoll } from '../hooks.js';
import { href } from '../router.js';

const kRoles = ['admin', 'manager', 'viewer', 'customer'];

function NewUser({ onCreated }) {
  const [form, setForm] = useState({ email: '', name: '', role: 'viewer', password: '' });
  const [created, setCreated] = useState(null);
  const save = useAction();
  const set = (name) => (e) => setForm({ ...form, [name]: e.currentTarget.value });
  const submit = (e) => {
    e.preventDefault();
    save.act(async () => {
      const body = { email: form.email.trim(), name: form.name.trim(), role: form.role };
      if (form.password) body.password = form.password;
      const answer = await post('/v1/users', body);
      setCreated(answer);
      setForm({ email: '', name: '', role: form.role, password: '' });
      onCreated();
    });
  };
  return (
    <form class="card form" onSubmit={submit} aria-label="New user">
      <h2>New user</h2>
      <div class="row">
        <Field label="Email" name="email" error={save.error}>
          <input name="email" type="email" required autocomplete="off" value={form.email} onInput={set('email')} />
        </Field>
        <Field label="Name" name="name" error={save.error}>
          <input name="name" autocomplete="off" value={form.name} onInput={set('name')} />
        </Field>
        <Field label="Role" name="role" error={save.error}>
          <select name="role" value={form.role} onChange={set('role')}>
            {kRoles.map((r) => <option key={r} value={r}>{r}</option>)}
          </select>
        </Field>
        <Field label="Password" name="password" error={save.error} hint="Empty: one is generated and shown once.">
          <input name="password" type="password" autocomplete="new-password" minLength={8} value={form.password} onInput={set('password')} />
        </Field>
      </div>
      <Problem error={save.error && !['email', 'name', 'role', 'password'].includes(save.error.field) ? save.error : null} />
      {created ? (
        <p class="notice" role="status">
          Created {created.user.email} ({created.user.role}).
          {created.password ? <> Their password, shown only now: <code class="secret">{created.password}</code></> : null}
        </p>
      ) : null}
      <div class="actions"><button class="button button-primary" type="submit" disabled={save.busy}>Create user</button></div>
    </form>
  );
}

function UserRow({ person, me, onChanged }) {
  const change = useAction();
  const update = (body) => change.act(async () => {
    await patch(`/v1/users/${person.id}`, body);
    onChanged();
  });
  const disabled = Boolean(person.disabled_at);
  return (
    <tr data-id={person.id} class={disabled ? 'disabled' : ''}>
      <td data-label="Email" class="wrap">
        {person.email}
        {person.id === me.id ? <span class="muted"> (you)</span> : null}
        {person.name ? <div class="muted">{person.name}</div> : null}
      </td>
      <td data-label="Role">
        <select aria-label={`Role of ${person.email}`} value={person.role} disabled={change.busy} onChange={(e) => update({ role: e.currentTarget.value })}>
          {kRoles.map((r) => <option key={r} value={r}>{r}</option>)}
        </select>
      </td>
      <td data-label="State">
        {disabled ? <span class="status status-cancelled">disabled</span> : person.confirmed_at ? <span class="status status-sent">active</span> : <span class="status status-queued">unconfirmed</span>}
      </td>
      <td data-label="Created"><Time iso={person.created_at} /></td>
      <td data-label="">
        <Button busy={change.busy} kind={disabled ? 'secondary' : 'danger'} onClick={() => update({ disabled: !disabled })}>
          {disabled ? 'Enable' : 'Disable'}
        </Button>
        <Problem error={change.error} />
      </td>
    </tr>
  );
}

export function Users({ route, user }) {
  const role = route.params.get('role') || '';
  const cursor = route.params.get('cursor') || '';
  const list = usePoll(() => get(`/v1/users${query({ role, cursor })}`), [role, cursor]);
  const people = list.data ? list.data.data : [];
  return (
    <section>
      <PageHeader title="Users" />
      <NewUser onCreated={list.reload} />
      <nav class="tabs" aria-label="Users by role">
        {['', ...kRoles].map((r) => (
          <a key={r || 'all'} href={href('/users', { role: r })} aria-current={role === r ? 'page' : undefined}>{r || 'all'}</a>
        ))}
      </nav>
      <Problem error={list.error} />
      {list.loading && !list.data ? <Loading /> : null}
      {list.data && people.length === 0 ? <Empty>No {role || ''} users.</Empty> : null}
      {people.length ? (
        <table class="table" aria-label="Users">
          <thead>
            <tr>
              <th scope="col">Email</th>
              <th scope="col">Role</th>
              <th scope="col">State</th>
              <th scope="col">Created</th>
              <th scope="col"><span class="visually-hidden">Actions</span></th>
            </tr>
          </thead>
          <tbody>
            {people.map((person) => <UserRow key={person.id} person={person} me={user} onChanged={list.reload} />)}
          </tbody>
        </table>
      ) : null}
      <Pager path="/users" params={{ role }} cursor={cursor} next={list.data && list.data.next_cursor} />
    </section>
  );
}
