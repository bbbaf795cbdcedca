// The signed-in person's own sessions (/v1/auth/sessions), whatever their role: where each was
// opened, when it was last used, this browser's marked. Ending this browser's session signs the
// page out (the server clears its cookie).
import { del, get } from '../api.js';
import { Button, Empty, Loading, PageHeader, Problem, Time } from '../components.jsx';
import { useAction, usePoll } from '../hooks.js';

// "Chrome on Linux" from a user agent; the whole string is the title.
function deviceOf(agent) {
  if (!agent) return 'unknown device';
  const browsers = [['Edg/', 'Edge'], ['Firefox/', 'Firefox'], ['Chrome/', 'Chrome'], ['Safari/', 'Safari'], ['curl/', 'curl'], ['python', 'Python']];
  const systems = [['Android', 'Android'], ['iPhone', 'iPhone'], ['iPad', 'iPad'], ['Windows', 'Windows'], ['Mac OS X', 'macOS'], ['CrOS', 'ChromeOS'], ['Linux', 'Linux']];
  const browser = browsers.find(([mark]) => agent.includes(mark));
  const system = systems.find(([mark]) => agent.includes(mark));
  if (!browser) return agent.split(/[\s/]/)[0];
  return system ? `${browser[1]} on ${system[1]}` : browser[1];
}

const kKinds = { cookie: 'dashboard', refreshable: 'API sign-in' };

function SessionRow({ session, onEnded }) {
  const action = useAction();
  const end = () => action.act(async () => {
    const question = session.current
      ? 'End this session? This browser will be signed out.'
      : `End the session of ${deviceOf(session.user_agent)}? It will be signed out.`;
    if (!window.confirm(question)) return;
    await del(`/v1/auth/sessions/${encodeURIComponent(session.id)}`);
    onEnded(session);
  });
  return (
    <tr data-id={session.id} class={session.current ? 'current' : ''}>
      <td data-label="Device" class="wrap">
        <span title={session.user_agent}>{deviceOf(session.user_agent)}</span>
        {session.current ? <> <span class="tag tag-this">this browser</span></> : null}
        <div class="muted">{kKinds[session.kind] || session.kind}{session.address ? `, from ${session.address}` : ''}</div>
      </td>
      <td data-label="Signed in"><Time iso={session.created_at} /></td>
      <td data-label="Last seen"><Time iso={session.last_used_at} /></td>
      <td data-label="Ends"><Time iso={session.expires_at} /></td>
      <td data-label="">
        <Button kind="danger" busy={action.busy} onClick={end}>{session.current ? 'Sign out here' : 'End session'}</Button>
        <Problem error={action.error} />
      </td>
    </tr>
  );
}

export function Sessions({ user, onSessionEnded }) {
  const list = usePoll(() => get('/v1/auth/sessions'), [], 15000);
  const sessions = list.data ? list.data.data : [];
  const ended = (session) => (session.current ? onSessionEnded() : list.reload());
  return (
    <section>
      <PageHeader title="Your sessions" />
      <p class="muted">Where {user.email} is signed in. End a session you do not recognise.</p>
      <Problem error={list.error} />
      {list.loading && !list.data ? <Loading /> : null}
      {list.data && sessions.length === 0 ? <Empty>No open sessions.</Empty> : null}
      {sessions.length ? (
        <table class="table" aria-label="Your sessions">
          <thead>
            <tr>
              <th scope="col">Device</th>
              <th scope="col">Signed in</th>
              <th scope="col">Last seen</th>
              <th scope="col">Ends</th>
              <th scope="col"><span class="visually-hidden">Actions</span></th>
            </tr>
          </thead>
          <tbody>
            {sessions.map((session) => <SessionRow key={session.id} session={session} onEnded={ended} />)}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}
