// Newsletter lists: each with its subscriber count and its schedules' next fire time; one list
// with its subscribers (a page at a time), adding and removing one, and "Send now" (admins).
import { useState } from 'preact/hooks';
import { del, get, post, query } from '../api.js';
import { Button, Empty, Field, Loading, PageHeader, Pager, Problem, Time } from '../components.jsx';
import { formatNumber } from '../format.js';
import { useAction, usePoll } from '../hooks.js';
import { href } from '../router.js';
import { mayAdminister } from '../roles.js';

const kPollMs = 10000;
const kPageSize = 50;

const pathOf = (name) => `/v1/lists/${encodeURIComponent(name)}`;

function Schedule({ group }) {
  return (
    <span>
      <code>{group.frequency}</code>
      <span class="muted"> in {group.timezone || 'the server’s zone'}</span>
    </span>
  );
}

export function Lists() {
  const lists = usePoll(() => get('/v1/lists'), [], kPollMs);
  const data = lists.data ? lists.data.data : [];
  return (
    <section>
      <PageHeader title="Lists" />
      <Problem error={lists.error} />
      {lists.loading && !lists.data ? <Loading /> : null}
      {lists.data && data.length === 0 ? (
        <Empty>No lists yet. A list is made with POST /v1/lists, or by a first subscription to it.</Empty>
      ) : null}
      {data.length ? (
        <table class="table" aria-label="Lists">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Subscribers</th>
              <th scope="col">Schedules</th>
              <th scope="col">Next send</th>
            </tr>
          </thead>
          <tbody>
            {data.map((list) => (
              <tr key={list.name} data-name={list.name}>
                <td data-label="Name" class="wrap">
                  <div>
                    <a href={href(`/lists/${encodeURIComponent(list.name)}`)}>{list.name}</a>
                    <div class="muted">{list.subject}</div>
                  </div>
                </td>
                <td data-label="Subscribers">{formatNumber(list.subscribers)}</td>
                <td data-label="Schedules">
                  {list.schedules.length ? (
                    <ul class="plain">
                      {list.schedules.map((group) => (
                        <li key={`${group.frequency}|${group.timezone}`}><Schedule group={group} /></li>
                      ))}
                    </ul>
                  ) : <span class="muted">none</span>}
                </td>
                <td data-label="Next send" class="next-run"><Time iso={list.next_run_at} /></td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}

function AddSubscriber({ name, onAdded }) {
  const [form, setForm] = useState({ email: '', frequency: '@daily', timezone: '' });
  const [added, setAdded] = useState('');
  const save = useAction();
  const set = (field) => (e) => setForm({ ...form, [field]: e.currentTarget.value });
  const submit = (e) => {
    e.preventDefault();
    save.act(async () => {
      const body = { email: form.email.trim(), frequency: form.frequency.trim() };
      if (form.timezone.trim()) body.timezone = form.timezone.trim();
      const answer = await post(`${pathOf(name)}/subscribers`, body);
      setAdded(answer.email);
      setForm({ ...form, email: '' });
      onAdded();
    });
  };
  return (
    <form class="card form" onSubmit={submit} aria-label="Add a subscriber">
      <h2>Add a subscriber</h2>
      <div class="row">
        <Field label="Email" name="email" error={save.error}>
          <input name="email" type="email" required autocomplete="off" value={form.email} onInput={set('email')} />
        </Field>
        <Field label="Schedule" name="frequency" error={save.error} hint="@daily, @weekly or a cron line such as 0 9 * * MON.">
          <input name="frequency" required value={form.frequency} onInput={set('frequency')} />
        </Field>
        <Field label="Time zone" name="timezone" error={save.error} hint="Empty: the server’s. E.g. Europe/Berlin.">
          <input name="timezone" value={form.timezone} onInput={set('timezone')} />
        </Field>
      </div>
      <Problem error={save.error && !['email', 'frequency', 'timezone'].includes(save.error.field) ? save.error : null} />
      {added ? <p class="notice" role="status">Subscribed {added}.</p> : null}
      <div class="actions"><button class="button button-primary" type="submit" disabled={save.busy}>Add subscriber</button></div>
    </form>
  );
}

function SubscriberRow({ list, subscriber, admin, onRemoved }) {
  const remove = useAction();
  return (
    <tr data-email={subscriber.email}>
      <td data-label="Email" class="wrap">{subscriber.email}</td>
      <td data-label="Schedule"><Schedule group={subscriber} /></td>
      <td data-label="Since"><Time iso={subscriber.created_at} /></td>
      {admin ? (
        <td data-label="">
          <Button
            kind="danger"
            busy={remove.busy}
            onClick={() => {
              if (!window.confirm(`Unsubscribe ${subscriber.email} from ${list}?`)) return;
              remove.act(async () => {
                await del(`${pathOf(list)}/subscribers/${encodeURIComponent(subscriber.email)}`);
                onRemoved();
              });
            }}
          >
            Remove
          </Button>
          <Problem error={remove.error} />
        </td>
      ) : null}
    </tr>
  );
}

export function ListPage({ name, route, user }) {
  const admin = mayAdminister(user.role);
  const cursor = route.params.get('cursor') || '';
  const detail = usePoll(() => get(pathOf(name)), [name], kPollMs);
  const page = usePoll(() => get(`${pathOf(name)}/subscribers${query({ cursor, limit: kPageSize })}`), [name, cursor]);
  // Reloads keep what is shown until the answer comes.
  const changed = () => {
    detail.reload();
    page.reload();
  };
  const run = useAction();
  const [fired, setFired] = useState(null);
  const list = detail.data;
  const subscribers = page.data ? page.data.data : [];

  const sendNow = () => {
    if (!window.confirm(`Send “${list.subject}” to all ${formatNumber(list.subscribers)} subscribers of ${name} now, whatever their schedule?`)) return;
    run.act(async () => setFired(await post(`/v1/subscriptions/${encodeURIComponent(name)}/run`)));
  };

  return (
    <section>
      <PageHeader title={name}>
        {admin && list ? <Button kind="primary" busy={run.busy} onClick={sendNow}>Send now</Button> : null}
        <a class="button button-secondary" href="#/lists">All lists</a>
      </PageHeader>
      <Problem error={detail.error || run.error} />
      {fired ? (
        <p class="notice" role="status">
          Queued {formatNumber(fired.enqueued)} emails. <a href="#/emails">See them in Emails</a>.
        </p>
      ) : null}
      {detail.loading && !list ? <Loading /> : null}
      {list ? (
        <section class="card">
          <dl class="facts">
            <dt>Subject</dt><dd class="wrap">{list.subject}</dd>
            <dt>Subscribers</dt><dd class="subscriber-count">{formatNumber(list.subscribers)}</dd>
            <dt>Next send</dt><dd class="next-run"><Time iso={list.next_run_at} /></dd>
          </dl>
          {list.schedules.length ? (
            <table class="table schedules" aria-label="Schedules">
              <thead>
                <tr>
                  <th scope="col">Schedule</th>
                  <th scope="col">Last sent</th>
                  <th scope="col">Next</th>
                </tr>
              </thead>
              <tbody>
                {list.schedules.map((group) => (
                  <tr key={`${group.frequency}|${group.timezone}`}>
                    <td data-label="Schedule"><Schedule group={group} /></td>
                    <td data-label="Last sent"><Time iso={group.last_fire_at} /></td>
                    <td data-label="Next"><Time iso={group.next_fire_at} /></td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : <p class="muted">No schedules: nobody is subscribed.</p>}
        </section>
      ) : null}
      {admin && list ? <AddSubscriber name={name} onAdded={changed} /> : null}
      <section class="card" aria-label="Subscribers">
        <h2>Subscribers</h2>
        <Problem error={page.error} />
        {page.data && subscribers.length === 0 ? <Empty>{cursor ? 'No more subscribers.' : 'Nobody is subscribed yet.'}</Empty> : null}
        {subscribers.length ? (
          <table class="table subscribers">
            <thead>
              <tr>
                <th scope="col">Email</th>
                <th scope="col">Schedule</th>
                <th scope="col">Since</th>
                {admin ? <th scope="col"><span class="visually-hidden">Actions</span></th> : null}
              </tr>
            </thead>
            <tbody>
              {subscribers.map((s) => (
                <SubscriberRow key={s.email} list={name} subscriber={s} admin={admin} onRemoved={changed} />
              ))}
            </tbody>
          </table>
        ) : null}
        <Pager path={`/lists/${encodeURIComponent(name)}`} cursor={cursor} next={page.data && page.data.next_cursor} />
      </section>
    </section>
  );
}
