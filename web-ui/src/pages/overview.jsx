import { useState } from 'preact/hooks';
import { get, query } from '../api.js';
import { TimelineChart } from '../chart.jsx';
import { Loading, PageHeader, Problem, Time } from '../components.jsx';
import { formatNumber, timeZone } from '../format.js';
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
            {stats.data.transport ? <>Transport <strong>{stats.data.transport}</strong> · </> : null}
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
    </section>
  );
}
