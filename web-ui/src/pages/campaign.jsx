// One campaign: its draft form (managers and admins), the workflow buttons the person's role
// and the campaign's state allow, live progress, the submitted version and test sends.
import { useState } from 'preact/hooks';
import { del, get, patch, post } from '../api.js';
import { Button, Field, Loading, PageHeader, Problem, Progress, Status, Time } from '../components.jsx';
import { formatNumber, isoToLocalInput, localInputToIso, timeZone } from '../format.js';
import { useAction, usePoll } from '../hooks.js';
import { navigate } from '../router.js';
import { mayAdminister, mayWriteCampaigns } from '../roles.js';
import { doneOf } from './campaigns.jsx';

const kLivePollMs = 2000;
const kPollMs = 5000;
const kFormFields = ['name', 'subject', 'from', 'html', 'text', 'send_at', 'rate_per_minute'];

function formOf(campaign) {
  const audience = campaign ? campaign.audience : 'customers';
  return {
    name: campaign ? campaign.name : '',
    subject: campaign ? campaign.subject : '',
    from: campaign && campaign.from ? campaign.from : '',
    html: campaign ? campaign.html : '',
    text: campaign ? campaign.text : '',
    audience: typeof audience === 'object' ? 'list' : 'customers',
    list: typeof audience === 'object' ? audience.list : '',
    send_at: campaign ? isoToLocalInput(campaign.send_at) : '',
    rate_per_minute: campaign && campaign.rate_per_minute ? String(campaign.rate_per_minute) : '',
  };
}

function bodyOf(form) {
  return {
    name: form.name.trim(),
    subject: form.subject,
    from: form.from.trim() || null,
    html: form.html,
    text: form.text,
    audience: form.audience === 'list' ? { list: form.list } : 'customers',
    send_at: localInputToIso(form.send_at),
    rate_per_minute: form.rate_per_minute ? Number(form.rate_per_minute) : null,
  };
}

function Lists({ value, onChange, error }) {
  const lists = usePoll(() => get('/v1/lists'), []);
  const names = lists.data ? lists.data.data.map((l) => l.name) : [];
  return (
    <Field label="List" name="list" error={error}>
      {lists.data && names.length === 0 ? (
        <span class="muted">There are no lists yet (POST /v1/lists).</span>
      ) : (
        <select name="list" required value={value} onChange={(e) => onChange(e.currentTarget.value)}>
          <option value="">choose a list</option>
          {names.map((name) => <option key={name} value={name}>{name}</option>)}
        </select>
      )}
    </Field>
  );
}

// Creates a draft (no campaign yet) or saves one.
function CampaignForm({ campaign, onSaved }) {
  const [form, setForm] = useState(() => formOf(campaign));
  const save = useAction();
  const set = (name) => (e) => setForm({ ...form, [name]: e.currentTarget.value });
  const error = save.error;

  const submit = (e) => {
    e.preventDefault();
    save.act(async () => {
      const saved = campaign
        ? await patch(`/v1/campaigns/${campaign.id}`, bodyOf(form))
        : await post('/v1/campaigns', bodyOf(form));
      onSaved(saved);
    });
  };

  return (
    <form class="card form" onSubmit={submit} aria-label={campaign ? 'Edit the draft' : 'New campaign'}>
      <Field label="Name" name="name" error={error}>
        <input name="name" required maxLength={200} value={form.name} onInput={set('name')} />
      </Field>
      <Field label="Subject" name="subject" error={error}>
        <input name="subject" value={form.subject} onInput={set('subject')} />
      </Field>
      <Field label="From" name="from" error={error} hint="Empty: the server's --default-from.">
        <input name="from" placeholder="News <news@example.com>" value={form.from} onInput={set('from')} />
      </Field>
      <fieldset class="field">
        <legend class="field-label">Audience</legend>
        <label class="choice">
          <input type="radio" name="audience" value="customers" checked={form.audience === 'customers'} onChange={set('audience')} />
          Every confirmed customer
        </label>
        <label class="choice">
          <input type="radio" name="audience" value="list" checked={form.audience === 'list'} onChange={set('audience')} />
          The subscribers of a list
        </label>
      </fieldset>
      {form.audience === 'list' ? (
        <Lists value={form.list} onChange={(list) => setForm({ ...form, list })} error={error} />
      ) : null}
      <Field label="HTML" name="html" error={error}>
        <textarea name="html" rows={8} value={form.html} onInput={set('html')} />
      </Field>
      <Field label="Text" name="text" error={error} hint="Empty: derived from the HTML when submitted.">
        <textarea name="text" rows={4} value={form.text} onInput={set('text')} />
      </Field>
      <div class="row">
        <Field label={`Send at (${timeZone})`} name="send_at" error={error} hint="Empty: as soon as approved.">
          <input name="send_at" type="datetime-local" value={form.send_at} onInput={set('send_at')} />
        </Field>
        <Field label="Emails per minute" name="rate_per_minute" error={error} hint="Empty: as fast as the server sends.">
          <input name="rate_per_minute" type="number" min="1" inputMode="numeric" value={form.rate_per_minute} onInput={set('rate_per_minute')} />
        </Field>
      </div>
      {/* An error naming one of the fields above is shown under that field. */}
      <Problem error={error && !kFormFields.includes(error.field) ? error : null} />
      <div class="actions">
        <button class="button button-primary" type="submit" disabled={save.busy}>
          {campaign ? 'Save draft' : 'Create draft'}
        </button>
        {campaign ? null : <a class="button button-secondary" href="#/campaigns">Back</a>}
      </div>
    </form>
  );
}

export function NewCampaign({ user }) {
  if (!mayWriteCampaigns(user.role)) return null;
  return (
    <section>
      <PageHeader title="New campaign" />
      <CampaignForm onSaved={(campaign) => navigate(`/campaigns/${campaign.id}`)} />
    </section>
  );
}

function Breakdown({ progress }) {
  const rows = [
    ['sent', progress.sent],
    ['queued', progress.queued],
    ['failed', progress.failed],
    ['cancelled', progress.cancelled],
    ['skipped: suppressed', progress.suppressed],
    ['skipped: unsubscribed', progress.unsubscribed],
    ['opened', progress.opened],
    ['unsubscribed through it', progress.unsubscribes],
  ];
  return (
    <dl class="breakdown">
      {rows.map(([name, value]) => (
        <div key={name}><dt>{name}</dt><dd>{formatNumber(value)}</dd></div>
      ))}
    </dl>
  );
}

function Version({ campaign }) {
  const [open, setOpen] = useState(false);
  const version = usePoll(
    () => (open ? get(`/v1/campaigns/${campaign.id}/versions/${campaign.version}`) : null),
    [open, campaign.id, campaign.version],
  );
  const v = version.data;
  return (
    <section class="card">
      <div class="card-header">
        <h2>Submitted version {campaign.version}</h2>
        <Button aria-expanded={open ? 'true' : 'false'} onClick={() => setOpen(!open)}>{open ? 'Hide' : 'Show what is sent'}</Button>
      </div>
      {open ? (
        <>
          <Problem error={version.error} />
          {v ? (
            <dl class="facts">
              <dt>From</dt><dd class="wrap">{v.from}</dd>
              <dt>Subject</dt><dd class="wrap">{v.subject}</dd>
              <dt>Text</dt><dd><pre class="raw">{v.text}</pre></dd>
              <dt>HTML</dt><dd><pre class="raw">{v.html}</pre></dd>
            </dl>
          ) : <Loading />}
        </>
      ) : null}
    </section>
  );
}

function TestSend({ campaign }) {
  const [to, setTo] = useState('');
  const [sent, setSent] = useState(null);
  const send = useAction();
  const submit = (e) => {
    e.preventDefault();
    const addresses = to.split(/[,\s]+/).filter(Boolean);
    send.act(async () => {
      const answer = await post(`/v1/campaigns/${campaign.id}/test`, { to: addresses });
      setSent(answer.emails.length);
    });
  };
  return (
    <form class="card form" onSubmit={submit} aria-label="Test send">
      <h2>Test send</h2>
      <Field label="To (up to 10 addresses)" name="to" error={send.error}>
        <input name="to" required placeholder="me@example.com" value={to} onInput={(e) => setTo(e.currentTarget.value)} />
      </Field>
      <Problem error={send.error} />
      {sent !== null ? <p class="notice" role="status">A test went to {sent} address{sent === 1 ? '' : 'es'}.</p> : null}
      <div class="actions"><button class="button button-secondary" type="submit" disabled={send.busy}>Send test</button></div>
    </form>
  );
}

export function CampaignPage({ id, user }) {
  const [live, setLive] = useState(false);
  const [editing, setEditing] = useState(false);
  const [note, setNote] = useState('');
  const [rejecting, setRejecting] = useState(false);
  const campaign = usePoll(async () => {
    const c = await get(`/v1/campaigns/${encodeURIComponent(id)}`);
    setLive(c.status === 'sending' || c.status === 'scheduled');
    return c;
  }, [id], live ? kLivePollMs : kPollMs);
  const action = useAction();
  const c = campaign.data;
  const writer = mayWriteCampaigns(user.role);
  const admin = mayAdminister(user.role);

  const move = (verb, body) => action.act(async () => {
    await post(`/v1/campaigns/${c.id}/${verb}`, body);
    setRejecting(false);
    setNote('');
    await campaign.reload();
  });
  const remove = () => action.act(async () => {
    if (!window.confirm(`Delete the campaign “${c.name}”?`)) return;
    await del(`/v1/campaigns/${c.id}`);
    navigate('/campaigns');
  });
  const cancel = () => {
    if (window.confirm(`Cancel the campaign “${c.name}”? What is still queued will not be sent.`)) move('cancel');
  };

  if (!c) {
    return (
      <section>
        <PageHeader title="Campaign" />
        <Problem error={campaign.error} />
        {campaign.loading ? <Loading /> : null}
      </section>
    );
  }
  const s = c.status;
  return (
    <section>
      <PageHeader title={c.name || `Campaign ${c.id}`}>
        {writer && s === 'draft' ? <Button kind="primary" busy={action.busy} onClick={() => move('submit')}>Submit for approval</Button> : null}
        {admin && s === 'pending_approval' ? <Button kind="primary" busy={action.busy} onClick={() => move('approve')}>Approve</Button> : null}
        {admin && s === 'pending_approval' ? <Button busy={action.busy} aria-expanded={rejecting ? 'true' : 'false'} onClick={() => setRejecting(!rejecting)}>Reject…</Button> : null}
        {writer && (s === 'scheduled' || s === 'sending') ? <Button busy={action.busy} onClick={() => move('pause')}>Pause</Button> : null}
        {writer && s === 'paused' ? <Button kind="primary" busy={action.busy} onClick={() => move('resume')}>Resume</Button> : null}
        {writer && ['draft', 'pending_approval', 'scheduled', 'sending', 'paused'].includes(s) ? <Button kind="danger" busy={action.busy} onClick={cancel}>Cancel campaign</Button> : null}
        {writer && ['draft', 'pending_approval', 'sent', 'cancelled'].includes(s) ? <Button kind="danger" busy={action.busy} onClick={remove}>Delete</Button> : null}
      </PageHeader>
      <p><a href="#/campaigns">← All campaigns</a></p>
      <Problem error={action.error} />
      <Problem error={campaign.error} />
      {rejecting ? (
        <form class="card form" aria-label="Reject" onSubmit={(e) => { e.preventDefault(); move('reject', { note }); }}>
          <Field label="Why (the note goes back to the author)" name="note" error={action.error}>
            <textarea name="note" rows={3} required value={note} onInput={(e) => setNote(e.currentTarget.value)} />
          </Field>
          <div class="actions"><button class="button button-danger" type="submit" disabled={action.busy}>Reject to draft</button></div>
        </form>
      ) : null}
      {c.rejection_note && s === 'draft' ? (
        <p class="notice" role="status"><strong>Rejected:</strong> {c.rejection_note}</p>
      ) : null}
      {s === 'pending_approval' && !admin ? <p class="notice">Waiting for an admin to approve it.</p> : null}
      <section class="card">
        <dl class="facts">
          <dt>Status</dt><dd><Status value={s} /></dd>
          <dt>Subject</dt><dd class="wrap">{c.subject || <span class="muted">(none)</span>}</dd>
          <dt>Audience</dt><dd>{typeof c.audience === 'object' ? `subscribers of the list ${c.audience.list}` : 'every confirmed customer'}</dd>
          <dt>Send at</dt><dd>{c.send_at ? <Time iso={c.send_at} /> : 'when approved'}</dd>
          <dt>Pace</dt><dd>{c.rate_per_minute ? `${formatNumber(c.rate_per_minute)} a minute` : 'as fast as the server sends'}</dd>
          <dt>Created</dt><dd><Time iso={c.created_at} /> by {c.created_by}</dd>
          {c.submitted_at ? (<><dt>Submitted</dt><dd><Time iso={c.submitted_at} /> by {c.submitted_by}</dd></>) : null}
          {c.approved_at ? (<><dt>Approved</dt><dd><Time iso={c.approved_at} /> by {c.approved_by}</dd></>) : null}
          {c.started_at ? (<><dt>Started</dt><dd><Time iso={c.started_at} /></dd></>) : null}
          {c.finished_at ? (<><dt>Finished</dt><dd><Time iso={c.finished_at} /></dd></>) : null}
        </dl>
      </section>
      {c.progress.total || ['sending', 'paused', 'sent'].includes(s) ? (
        <section class="card">
          <h2>Progress</h2>
          <Progress done={doneOf(c.progress)} total={c.progress.total} label="Campaign progress" />
          <Breakdown progress={c.progress} />
        </section>
      ) : null}
      {c.version ? <Version campaign={c} /> : null}
      {writer && s === 'draft' ? (
        editing ? (
          <CampaignForm campaign={c} onSaved={() => { setEditing(false); campaign.reload(); }} />
        ) : (
          <div class="actions"><Button onClick={() => setEditing(true)}>Edit draft</Button></div>
        )
      ) : null}
      {writer && s !== 'cancelled' && s !== 'sent' ? <TestSend campaign={c} /> : null}
    </section>
  );
}
