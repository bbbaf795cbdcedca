// Expiring tasks (/v1/tasks): newest first, by state; one task with its data. An admin removes
// a pending one (its owner's callback URL is told REMOVE).
import { del, get, query } from '../api.js';
import { Button, Empty, Loading, PageHeader, Problem, Status, Time } from '../components.jsx';
import { useAction, usePoll } from '../hooks.js';
import { mayAdminister } from '../roles.js';
import { href, navigate } from '../router.js';

const kStates = ['pending', 'removed', 'expired'];
const kPageSize = 100; // the API lists the newest tasks, up to 200; it has no cursor

function RemoveButton({ task, onRemoved }) {
  const action = useAction();
  const remove = () => action.act(async () => {
    if (!window.confirm(`Remove the task ${task.id}? Its owner is told (REMOVE).`)) return;
    await del(`/v1/tasks/${encodeURIComponent(task.id)}`);
    onRemoved();
  });
  return (
    <>
      <Button kind="danger" busy={action.busy} onClick={remove}>Remove</Button>
      <Problem error={action.error} />
    </>
  );
}

export function Tasks({ route, user }) {
  const state = route.params.get('state') || '';
  const list = usePoll(() => get(`/v1/tasks${query({ state, limit: kPageSize })}`), [state], 10000);
  const tasks = list.data ? list.data.data : [];
  const admin = mayAdminister(user.role);
  return (
    <section>
      <PageHeader title="Tasks" />
      <nav class="tabs" aria-label="Tasks by state">
        {['', ...kStates].map((s) => (
          <a key={s || 'all'} href={href('/tasks', { state: s })} aria-current={state === s ? 'page' : undefined}>{s || 'all'}</a>
        ))}
      </nav>
      <Problem error={list.error} />
      {list.loading && !list.data ? <Loading /> : null}
      {list.data && tasks.length === 0 ? (
        <Empty>{state ? `No ${state} tasks.` : 'No tasks yet. Applications add them with POST /v1/tasks or /server/queue/add.'}</Empty>
      ) : null}
      {tasks.length ? (
        <table class="table" aria-label="Tasks, newest first">
          <thead>
            <tr>
              <th scope="col">Task</th>
              <th scope="col">State</th>
              <th scope="col">Expires</th>
              <th scope="col">Created</th>
              {admin ? <th scope="col"><span class="visually-hidden">Actions</span></th> : null}
            </tr>
          </thead>
          <tbody>
            {tasks.map((task) => (
              <tr key={task.id} data-id={task.id}>
                <td data-label="Task" class="wrap"><a href={href(`/tasks/${encodeURIComponent(task.id)}`)}>{task.id}</a></td>
                <td data-label="State"><Status value={task.state} /></td>
                <td data-label="Expires"><Time iso={task.expires_at} /></td>
                <td data-label="Created"><Time iso={task.created_at} /></td>
                {admin ? (
                  <td data-label="">{task.state === 'pending' ? <RemoveButton task={task} onRemoved={list.reload} /> : null}</td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {tasks.length === kPageSize ? <p class="muted">The newest {kPageSize} are shown.</p> : null}
    </section>
  );
}

export function TaskPage({ id, user }) {
  const task = usePoll(() => get(`/v1/tasks/${encodeURIComponent(id)}`), [id], 10000);
  const t = task.data;
  return (
    <section>
      <PageHeader title={`Task ${id}`}>
        {t && t.state === 'pending' && mayAdminister(user.role) ? <RemoveButton task={t} onRemoved={() => navigate('/tasks')} /> : null}
      </PageHeader>
      <p><a href="#/tasks">← All tasks</a></p>
      <Problem error={task.error} />
      {task.loading && !t ? <Loading /> : null}
      {t ? (
        <>
          <section class="card">
            <dl class="facts">
              <dt>State</dt><dd><Status value={t.state} /></dd>
              <dt>Expires</dt><dd><Time iso={t.expires_at} /></dd>
              <dt>Created</dt><dd><Time iso={t.created_at} /></dd>
              {t.removed_at ? (<><dt>Removed</dt><dd><Time iso={t.removed_at} /></dd></>) : null}
            </dl>
          </section>
          <section class="card">
            <h2>Data</h2>
            <pre class="raw data">{JSON.stringify(t.data, null, 2)}</pre>
          </section>
        </>
      ) : null}
    </section>
  );
}
