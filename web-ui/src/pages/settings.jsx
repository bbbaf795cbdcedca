// What the server runs with (GET /v1/settings, admins only): its version, what /health/ready
// checks, and every setting with where it came from. The server never sends a secret's value,
// only whether one is set.
import { get } from '../api.js';
import { Loading, PageHeader, Problem, Status } from '../components.jsx';
import { usePoll } from '../hooks.js';

export function Settings() {
  const about = usePoll(() => get('/v1/settings'), [], 15000);
  const a = about.data;
  return (
    <section>
      <PageHeader title="Settings" />
      <Problem error={about.error} />
      {about.loading && !a ? <Loading /> : null}
      {a ? (
        <>
          <section class="card">
            <dl class="facts">
              <dt>Version</dt><dd>{a.version}</dd>
              <dt>Health</dt>
              <dd>
                <Status value={a.health.status} />
                {a.health.detail ? <span class="muted"> {a.health.detail}</span> : null}
              </dd>
            </dl>
          </section>
          <p class="muted">
            Set by command-line flags, then the environment, then <code>.env</code>, then the defaults. Changing one needs a restart.
          </p>
          <table class="table" aria-label="Settings">
            <thead>
              <tr>
                <th scope="col">Setting</th>
                <th scope="col">Value</th>
                <th scope="col">From</th>
                <th scope="col">What</th>
              </tr>
            </thead>
            <tbody>
              {a.settings.map((s) => (
                <tr key={s.name} data-name={s.name}>
                  <td data-label="Setting"><code>{s.name}</code></td>
                  <td data-label="Value" class="wrap">
                    {s.secret ? (
                      <Status value={s.set ? 'set' : 'not_set'} />
                    ) : s.value ? (
                      <code>{s.value}</code>
                    ) : (
                      <span class="muted">(empty)</span>
                    )}
                  </td>
                  <td data-label="From">{s.source}</td>
                  <td data-label="What" class="wrap muted">{s.doc}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}
    </section>
  );
}
