import { useState } from 'preact/hooks';
import { get, query } from '../api.js';
import { TimelineChart } from '../chart.jsx';
import { Empty, Loading, PageHeader, Problem, Status, Time } from '../components.jsx';
import { formatDuration, formatNumber, timeZone } from '../format.js';
import { usePoll } from '../hooks.js';
import { href } from '../router.js';

const kPollMs = 5000;

function Numbers({ title, rows }) {
  return (
    <section class="card numbers">
      <h2>{title}</h2>
      <dl>
        {rows.map(([name, value, link]) => (
          <div key={name}>
            <dt>{link ? <a href={link}>{name}</a> : name}</dt>
            <dd>{formatNumber(value)}</dd>
          </div>
        ))}
      </dl>
    </section>
  );
}

// How fast mail went out over the last hour, from when each email was due (created, or its
// send_at) to its "sent" event.
function Latency({ latency }) {
  return (
    <section class="card numbers" aria-label="Delivery latency">
      <h2>Delivery latency</h2>
      <dl>
        <div><dt>p50</dt><dd class="latency-p50">{formatDuration(latency.p50_ms)}</dd></div>
        <div><dt>p95</dt><dd class="latency-p95">{formatDuration(latency.p95_ms)}</dd></div>
        <div><dt>sent</dt><dd>{formatNumber(latency.samples)}</dd></div>
      </dl>
      <p class="muted card-note">
        From when each email was due (queued, or its send_at) to sent, over the last{' '}
        {latency.window_seconds >= 3600 ? `${latency.window_seconds / 3600} h` : `${latency.window_seconds} s`}.
      </p>
    </section>
  );
}

const perSecond = (rate) => (rate === null || rate === undefined ? 'unlimited' : `${formatNumber(rate)} / s`);

function Delivery({ transport, limits }) {
  return (
    <section class="card" aria-label="Transport and limits">
      <h2>Transport and limits</h2>
      <dl class="facts">
        <dt>Transport</dt>
        <dd class="transport-kind"><strong>{transport.kind}</strong>{transport.host ? ` to ${transport.host}:${transport.port}` : ''}</dd>
        {transport.kind === 'capture' ? (
          <>
            <dt>Delivery</dt>
            <dd>Nothing leaves this server: mail is kept for the Emails screen.</dd>
          </>
        ) : null}
        {transport.host ? (
          <>
            <dt>Last connection error</dt>
            <dd class="transport-error wrap">
              {transport.last_error ? (
                <>
                  <code>{transport.last_error}</code> <Time iso={transport.last_error_at} />
                </>
              ) : (
                <span class="muted">none since the server started</span>
              )}
            </dd>
          </>
        ) : null}
        <dt>Send rate</dt>
        <dd>
          {perSecond(limits.send_rate)}
          {limits.tokens !== null && limits.tokens !== undefined
            ? ` · ${formatNumber(Math.floor(limits.tokens))} of ${formatNumber(limits.burst)} ready now`
            : ''}
        </dd>
        <dt>Per recipient domain</dt>
        <dd>{perSecond(limits.domain_rate)}</dd>
      </dl>
    </section>
  );
}

function Failures({ failures }) {
  return (
    <section class="card" aria-label="Recent failures">
      <h2>Recent failures</h2>
      {failures.length === 0 ? (
        <Empty>No delivery failed or was deferred in the last 24 hours.</Empty>
      ) : (
        <table class="table failures">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Outcome</th>
              <th scope="col">Email</th>
              <th scope="col">SMTP reply</th>
            </tr>
          </thead>
          <tbody>
            {failures.map((f) => (
              <tr key={`${f.email_id}-${f.at}-${f.type}`} data-id={f.email_id}>
                <td data-label="When"><Time iso={f.at} /></td>
                <td data-label="Outcome"><Status value={f.type} /></td>
                <td data-label="Email" class="wrap">
                  <div>
                    <a href={href(`/emails/${f.email_id}`)}>{f.subject || '(no subject)'}</a>
                    <span class="muted"> to {f.to.join(', ')}</span>
                  </div>
                </td>
                <td data-label="SMTP reply" class="wrap"><code class="reply">{f.reply}</code></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function sum(points, key) {
  return points.reduce((total, point) => total + (point[key] || 0), 0);
}

export function Overview() {
  const [range, setRange] = useState('1h');
  // The answer with the viewer's time of it, for "updated …" when the server gives none.
  const stats = usePoll(async () => ({ at: new Date().toISOString(), ...(await get('/v1/stats')) }), [], kPollMs);
  const timeline = usePoll(() => get(`/v1/stats/timeline${query({ window: range })}`), [range], kPollMs);
  const queue = stats.data ? stats.data.queue || {} : {};
  const totals = stats.data ? stats.data.totals || {} : {};
  const points = timeline.data ? timeline.data.points || [] : [];
  const span = range === '1h' ? 'the last hour' : 'the last 24 hours';

  return (
    <section>
      <PageHeader title="Overview">
        {stats.data ? (
          <span class="muted">
            updated <Time iso={stats.data.time || stats.data.at} />
          </span>
        ) : null}
      </PageHeader>
      <Problem error={stats.error} />
      {stats.loading && !stats.data ? <Loading /> : null}
      {stats.data ? (
        <div class="grid">
          <Numbers
            title="Queue"
            rows={[
              ['queued', queue.queued, href('/emails', { status: 'queued' })],
              ['scheduled', queue.scheduled],
              ['sending (leased)', queue.leased, href('/emails', { status: 'sending' })],
              ['done', queue.done],
              ['dead (failed)', queue.dead, href('/emails', { status: 'failed' })],
              ['cancelled', queue.cancelled, href('/emails', { status: 'cancelled' })],
            ]}
          />
          <Numbers
            title="All time"
            rows={[
              ['enqueued', totals.enqueued],
              ['sent', totals.sent],
              ['failed', totals.failed],
              ['retried', totals.retried],
            ]}
          />
          <Latency latency={stats.data.latency} />
        </div>
      ) : null}
      <section class="card">
        <div class="card-header">
          <h2>Delivery over {span}</h2>
          <div class="segmented" role="group" aria-label="Time window">
            {['1h', '24h'].map((w) => (
              <button
                key={w}
                type="button"
                class="button button-secondary"
                aria-pressed={range === w ? 'true' : 'false'}
                onClick={() => setRange(w)}
              >
                {w === '1h' ? 'Hour' : 'Day'}
              </button>
            ))}
          </div>
        </div>
        <Problem error={timeline.error} />
        {timeline.data ? (
          <>
            <TimelineChart
              points={points}
              label={`Emails sent, failed and deferred per ${timeline.data.step_seconds} seconds over ${span}`}
            />
            <p class="muted chart-summary">
              {formatNumber(sum(points, 'sent'))} sent, {formatNumber(sum(points, 'failed'))} failed,{' '}
              {formatNumber(sum(points, 'deferred'))} deferred over {span}, per{' '}
              {timeline.data.step_seconds >= 60 ? `${timeline.data.step_seconds / 60} min` : `${timeline.data.step_seconds} s`}.
              Times in {timeZone}.
            </p>
          </>
        ) : timeline.loading ? (
          <Loading />
        ) : null}
      </section>
      {stats.data ? (
        <>
          <Delivery transport={stats.data.transport} limits={stats.data.rate_limit} />
          <Failures failures={stats.data.recent_failures} />
        </>
      ) : null}
    </section>
  );
}
