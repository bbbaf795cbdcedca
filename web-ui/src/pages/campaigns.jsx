import { get, query } from '../api.js';
import { Empty, Loading, PageHeader, Pager, Problem, Progress, Status, Time } from '../components.jsx';
import { usePoll } from '../hooks.js';
import { href } from '../router.js';
import { mayWriteCampaigns } from '../roles.js';

const kPollMs = 5000;
export const kCampaignStatuses = ['draft', 'pending_approval', 'scheduled', 'sending', 'paused', 'sent', 'cancelled'];

// What is done of a campaign's audience so far: everyone but those still queued.
export function doneOf(progress) {
  return progress.total - progress.queued;
}

export function Campaigns({ route, user }) {
  const status = route.params.get('status') || '';
  const cursor = route.params.get('cursor') || '';
  const list = usePoll(() => get(`/v1/campaigns${query({ status, cursor })}`), [status, cursor], kPollMs);
  const campaigns = list.data ? list.data.data : [];

  return (
    <section>
      <PageHeader title="Campaigns">
        {mayWriteCampaigns(user.role) ? (
          <a class="button button-primary" href="#/campaigns/new">New campaign</a>
        ) : null}
      </PageHeader>
      <nav class="tabs" aria-label="Campaigns by status">
        {['', ...kCampaignStatuses].map((s) => (
          <a key={s || 'all'} href={href('/campaigns', { status: s })} aria-current={status === s ? 'page' : undefined}>
            {s ? s.replace(/_/g, ' ') : 'all'}
          </a>
        ))}
      </nav>
      <Problem error={list.error} />
      {list.loading && !list.data ? <Loading /> : null}
      {list.data && campaigns.length === 0 ? (
        <Empty>
          {status ? `No campaign is ${status.replace(/_/g, ' ')}.` : 'No campaigns yet.'}
          {!status && mayWriteCampaigns(user.role) ? ' Start one with “New campaign”.' : ''}
        </Empty>
      ) : null}
      {campaigns.length ? (
        <table class="table" aria-label="Campaigns">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Status</th>
              <th scope="col">Progress</th>
              <th scope="col">Updated</th>
            </tr>
          </thead>
          <tbody>
            {campaigns.map((c) => (
              <tr key={c.id} data-id={c.id}>
                <td data-label="Name" class="wrap"><a href={href(`/campaigns/${c.id}`)}>{c.name || `Campaign ${c.id}`}</a></td>
                <td data-label="Status"><Status value={c.status} /></td>
                <td data-label="Progress">
                  {c.progress.total ? <Progress done={doneOf(c.progress)} total={c.progress.total} label={`Progress of ${c.name}`} /> : <span class="muted">–</span>}
                </td>
                <td data-label="Updated"><Time iso={c.updated_at} /></td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <Pager path="/campaigns" params={{ status }} cursor={cursor} next={list.data && list.data.next_cursor} />
    </section>
  );
}
