// The signed-in frame: navigation for the person's role, their name, their sessions (every
// role, a customer's too), sign out, and the screen the address names.
import { useEffect } from 'preact/hooks';
import { Button, Problem } from '../components.jsx';
import { useAction } from '../hooks.js';
import { href, useRoute } from '../router.js';
import { mayView, screens } from '../roles.js';
import { Audit } from './audit.jsx';
import { CampaignPage, NewCampaign } from './campaign.jsx';
import { Campaigns } from './campaigns.jsx';
import { EmailPage } from './email.jsx';
import { Emails } from './emails.jsx';
import { Keys } from './keys.jsx';
import { ListPage, Lists } from './lists.jsx';
import { Overview } from './overview.jsx';
import { Sessions } from './sessions.jsx';
import { Settings } from './settings.jsx';
import { Suppressions } from './suppressions.jsx';
import { TaskPage, Tasks } from './tasks.jsx';
import { TemplatePage, Templates } from './templates.jsx';
import { Users } from './users.jsx';
import { Webhooks } from './webhooks.jsx';

function Screen({ route, user }) {
  const [first, second] = route.parts;
  const screen = screens.find((s) => s.path === (first || 'overview'));
  if (!screen) return <NotFound />;
  if (!screen.allowed(user.role)) return <NotFound />;
  const props = { route, user };
  switch (screen.path) {
    case 'emails':
      return second ? <EmailPage id={second} {...props} /> : <Emails {...props} />;
    case 'campaigns':
      if (second === 'new') return <NewCampaign {...props} />;
      return second ? <CampaignPage id={second} {...props} /> : <Campaigns {...props} />;
    case 'templates':
      return second ? <TemplatePage name={second} {...props} /> : <Templates {...props} />;
    case 'lists':
      return second ? <ListPage name={second} {...props} /> : <Lists {...props} />;
    case 'tasks':
      return second ? <TaskPage id={second} {...props} /> : <Tasks {...props} />;
    case 'suppressions':
      return <Suppressions {...props} />;
    case 'keys':
      return <Keys {...props} />;
    case 'webhooks':
      return <Webhooks {...props} />;
    case 'users':
      return <Users {...props} />;
    case 'audit':
      return <Audit {...props} />;
    case 'settings':
      return <Settings {...props} />;
    default:
      return <Overview {...props} />;
  }
}

function NotFound() {
  return (
    <section>
      <h1 tabIndex={-1}>Nothing here</h1>
      <p>
        This page does not exist or is not open to your role. <a href="#/overview">Go to the overview</a>.
      </p>
    </section>
  );
}

// A customer has an account for receiving campaigns; the dashboard has nothing for them.
function NothingForYou({ user }) {
  return (
    <section class="card nothing">
      <h1 tabIndex={-1}>Nothing for you here</h1>
      <p>
        You are signed in as {user.email}, a <strong>{user.role}</strong>. The dashboard is for the
        people who run this server (admins, managers and viewers).
      </p>
    </section>
  );
}

export function Shell({ user, onSignOut, onSessionEnded }) {
  const route = useRoute();
  const logout = useAction();
  const current = route.parts[0] || 'overview';
  const staff = mayView(user.role);

  // A new screen (not a new filter on the same one): move the focus to its heading, so keyboard
  // and screen-reader users start there.
  const screenKey = route.parts.join('/');
  useEffect(() => {
    const heading = document.querySelector('main h1');
    if (heading) heading.focus({ preventScroll: true });
  }, [screenKey]);

  return (
    <div class="shell">
      <a class="skip" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById('main').focus(); }}>
        Skip to content
      </a>
      <header class="topbar">
        <a class="brand" href="#/overview">outbox</a>
        {staff ? (
          <nav aria-label="Main">
            <ul>
              {screens
                .filter((s) => s.allowed(user.role))
                .map((s) => (
                  <li key={s.path}>
                    <a href={href(`/${s.path}`)} aria-current={current === s.path ? 'page' : undefined}>
                      {s.title}
                    </a>
                  </li>
                ))}
            </ul>
          </nav>
        ) : null}
        <div class="who">
          <span class="who-name" title={user.email}>{user.email}</span>
          <span class={`role role-${user.role}`}>{user.role}</span>
          <a class="who-sessions" href="#/sessions" aria-current={current === 'sessions' ? 'page' : undefined}>Sessions</a>
          <Button busy={logout.busy} onClick={() => logout.act(onSignOut)}>
            Sign out
          </Button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <Problem error={logout.error} />
        {current === 'sessions' ? (
          <Sessions user={user} onSessionEnded={onSessionEnded} />
        ) : staff ? (
          <Screen route={route} user={user} />
        ) : (
          <NothingForYou user={user} />
        )}
      </main>
    </div>
  );
}
