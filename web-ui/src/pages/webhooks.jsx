// Status callbacks (/v1/webhooks/...): each endpoint's state (one disabled after too many
// failures in a row is marked, and an admin re-enables it) and every delivery attempt, newest
// first, with its HTTP status and latency; an admin replays a callback (queued again, signed
// afresh when sent).
import { get, post, query } from '../api.js';
import { Button, Empty, Loading, PageHeader, Pager, Problem, Status, Time } from '../components.jsx';
import { useAction, usePoll } from '../hooks.js';
import { formatNumber } from '../format.js';
import { mayAdminister } from '../roles.js';
import { href } from '../router.js';

const kPollMs = 5000;
const kPageSize = 50;

function EndpointRow({ endpoint, admin, selected, onEnabled }) {
  const action = useAction();
  const enable = () => action.act(async () => {
    await post('/v1/webhooks/endpoints/enable', { url: endpoint.url });
    onEnabled();
  });
  return (
    <tr data-url={endpoint.url}>
      <td data-label="Endpoint" class="wrap">
        <a href={href('/webhooks', { url: endpoint.url })} aria-current={selected ? 'true' : undefined}>{endpoint.url}</a>
      </td>
      <td data-label="State"><Status value={endpoint.disabled ? 'disabled' : 'active'} /></td>
      <td data-label="Failures in a row">{formatNumber(endpoint.consecutive_failures)}</td>
      <td data-label="Last failure"><Time iso={endpoint.last_failure_at} /></td>
      <td data-label="Last success"><Time iso={endpoint.last_success_at} /></td>
      {admin ? (
        <td data-label="">
          {endpoint.disabled ? <Button kind="primary" busy={action.busy} onClick={enable}>Re-enable</Button> : null}
          <Problem error={action.error} />
        </td>
      ) : null}
    </tr>
  );
}

function DeliveryRow({ delivery, admin, onReplayed }) {
  const action = useAction();
  const replay = () => action.act(async () => {
    const answer = await post(`/v1/webhooks/deliveries/${encodeURIComponent(delivery.callback_id)}/replay`);
    onReplayed(answer.callback_id);
  });
  return (
    <tr data-callback={delivery.callback_id}>
      <td data-label="When"><Time iso={delivery.at} /></td>
      <td data-label="Endpoint" class="wrap">{delivery.url}</td>
      <td data-label="Event">{delivery.event} <span class="muted">#{delivery.attempt}</span></td>
      <td data-label="Status"><Status value={delivery.error ? 'failed' : 'delivered'} /></td>
      <td data-label="HTTP" class="http-code">{delivery.status_code ?? <span class="muted">none</span>}</td>
      <td data-label="Latency" class="latency">{formatNumber(delivery.latency_ms)} ms</td>
      <td data-label="Error" class="wrap">{delivery.error || <span class="muted">–</span>}</td>
      {admin ? (
        <td data-label="">
          <Button busy={action.busy} onClick={replay}>Replay</Button>
          <Problem error={action.error} />
        </td>
      ) : null}
    </tr>
  );
}

export function Webhooks({ route, user }) {
  const url = route.params.get('url') || '';
  const cursor = route.params.get('cursor') || '';
  const admin = mayAdminister(user.role);
  const endpoints = usePoll(() => get('/v1/webhooks/endpoints'), [], kPollMs);
  const deliveries = usePoll(
    () => get(`/v1/webhooks/deliveries${query({ url, cursor, limit: kPageSize })}`),
    [url, cursor],
    kPollMs,
  );
  const reload = () => {
    endpoints.reload();
    deliveries.reload();
  };
  const ends = endpoints.data ? endpoints.data.data : [];
  const attempts = deliveries.data ? deliveries.data.data : [];
  return (
    <section>
      <PageHeader title="Webhooks" />
      <section class="card">
        <h2>Endpoints</h2>
        <Problem error={endpoints.error} />
        {endpoints.loading && !endpoints.data ? <Loading /> : null}
        {endpoints.data && ends.length === 0 ? (
          <Empty>No callback has been sent yet. Keys with a callback URL get one for each status change of their mail and tasks.</Empty>
        ) : null}
        {ends.length ? (
          <table class="table" aria-label="Endpoints">
            <thead>
              <tr>
                <th scope="col">Endpoint</th>
                <th scope="col">State</th>
                <th scope="col">Failures in a row</th>
                <th scope="col">Last failure</th>
                <th scope="col">Last success</th>
                {admin ? <th scope="col"><span class="visually-hidden">Actions</span></th> : null}
              </tr>
            </thead>
            <tbody>
              {ends.map((endpoint) => (
                <EndpointRow key={endpoint.url} endpoint={endpoint} admin={admin} selected={endpoint.url === url} onEnabled={reload} />
              ))}
            </tbody>
          </table>
        ) : null}
      </section>
      <div class="card-header">
        <h2>{url ? `Deliveries to ${url}` : 'Deliveries'}</h2>
        {url ? <a class="button button-secondary" href={href('/webhooks')}>All endpoints</a> : null}
      </div>
      <Problem error={deliveries.error} />
      {deliveries.loading && !deliveries.data ? <Loading /> : null}
      {deliveries.data && attempts.length === 0 ? <Empty>{cursor ? 'No older deliveries.' : 'No delivery attempts yet.'}</Empty> : null}
      {attempts.length ? (
        <table class="table" aria-label="Deliveries, newest first">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Endpoint</th>
              <th scope="col">Event</th>
              <th scope="col">Status</th>
              <th scope="col">HTTP</th>
              <th scope="col">Latency</th>
              <th scope="col">Error</th>
              {admin ? <th scope="col"><span class="visually-hidden">Actions</span></th> : null}
            </tr>
          </thead>
          <tbody>
            {attempts.map((delivery) => (
              <DeliveryRow key={`${delivery.callback_id}-${delivery.attempt}`} delivery={delivery} admin={admin} onReplayed={reload} />
            ))}
          </tbody>
        </table>
      ) : null}
      <Pager path="/webhooks" params={{ url }} cursor={cursor} next={deliveries.data && deliveries.data.next_cursor} first="Newest" more="Older" />
    </section>
  );
}
