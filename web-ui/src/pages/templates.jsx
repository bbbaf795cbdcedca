// Templates: the list; one template with its source, a preview the server renders from sample
// JSON while it is edited (admins save it as a new version), and its versions with what changed
// between two of them.
import { useEffect, useState } from 'preact/hooks';
import { get, post, put, query } from '../api.js';
import { Empty, Field, Loading, PageHeader, Problem, Time } from '../components.jsx';
import { diffLines } from '../diff.js';
import { useAction, usePoll } from '../hooks.js';
import { href, navigate } from '../router.js';
import { mayAdminister } from '../roles.js';

const kPageSize = 50;
const kPreviewDelayMs = 300;
const kFields = ['name', 'subject', 'html', 'text', 'sample'];

const pathOf = (name) => `/v1/templates/${encodeURIComponent(name)}`;

export function Templates({ route, user }) {
  const page = Math.max(1, Number(route.params.get('page')) || 1);
  const creating = route.params.has('new') && mayAdminister(user.role);
  const list = usePoll(() => get(`/v1/templates${query({ page, limit: kPageSize })}`), [page]);
  if (creating) {
    return (
      <section>
        <PageHeader title="New template" />
        <TemplateEditor onSaved={(saved) => navigate(`/templates/${saved.name}`)} />
      </section>
    );
  }
  const templates = list.data ? list.data.data : [];
  return (
    <section>
      <PageHeader title="Templates">
        {mayAdminister(user.role) ? (
          <a class="button button-primary" href={href('/templates', { new: '1' })}>New template</a>
        ) : null}
      </PageHeader>
      <Problem error={list.error} />
      {list.loading && !list.data ? <Loading /> : null}
      {list.data && templates.length === 0 ? (
        <Empty>
          {page > 1 ? 'No templates on this page.' : 'No templates yet.'}
          {page === 1 && mayAdminister(user.role) ? ' Write one with “New template”.' : ''}
        </Empty>
      ) : null}
      {templates.length ? (
        <table class="table" aria-label="Templates">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Subject</th>
              <th scope="col">Version</th>
              <th scope="col">Saved</th>
            </tr>
          </thead>
          <tbody>
            {templates.map((t) => (
              <tr key={t.name} data-name={t.name}>
                <td data-label="Name" class="wrap"><a href={href(`/templates/${encodeURIComponent(t.name)}`)}>{t.name}</a></td>
                <td data-label="Subject" class="wrap">{t.subject || <span class="muted">–</span>}</td>
                <td data-label="Version">{t.version}</td>
                <td data-label="Saved"><Time iso={t.updated_at} /></td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <div class="pager">
        {page > 1 ? <a class="button button-secondary" href={href('/templates', { page: page - 1 })}>Previous page</a> : null}
        {list.data && page < list.data.total_pages ? (
          <a class="button button-secondary" href={href('/templates', { page: page + 1 })}>Next page</a>
        ) : null}
      </div>
    </section>
  );
}

export function TemplatePage({ name, user }) {
  // The version last saved here (PUT answers with it whole), else the one loaded.
  const [saved, setSaved] = useState(null);
  const tmpl = usePoll(() => get(pathOf(name)), [name]);
  const versions = usePoll(() => get(`${pathOf(name)}/versions`), [name]);
  const t = saved && saved.name === name ? saved : tmpl.data;
  return (
    <section>
      <PageHeader title={name}>
        <a class="button button-secondary" href="#/templates">All templates</a>
      </PageHeader>
      <Problem error={tmpl.error} />
      {tmpl.loading && !t ? <Loading /> : null}
      {t ? (
        <>
          <section class="card">
            <dl class="facts">
              <dt>Version</dt><dd class="template-version">{t.version}</dd>
              <dt>Saved</dt><dd><Time iso={t.updated_at} /></dd>
              <dt>Created</dt><dd><Time iso={t.created_at} /></dd>
            </dl>
          </section>
          {saved && saved.name === name ? <p class="notice" role="status">Saved as version {saved.version}.</p> : null}
          {mayAdminister(user.role) ? (
            <TemplateEditor
              key={name}
              template={t}
              onSaved={(answer) => {
                setSaved(answer);
                versions.reload();
              }}
            />
          ) : (
            <Source template={t} />
          )}
        </>
      ) : null}
      <Problem error={versions.error} />
      {versions.data && t ? <Versions name={name} versions={versions.data.data} /> : null}
    </section>
  );
}

// What a viewer sees: the source as stored.
function Source({ template }) {
  return (
    <section class="card" aria-label="Source">
      <h2>Source</h2>
      <dl class="facts">
        <dt>Subject</dt><dd class="wrap">{template.subject || <span class="muted">–</span>}</dd>
      </dl>
      <h3>HTML</h3>
      <pre class="raw">{template.html || '–'}</pre>
      <h3>Text</h3>
      <pre class="raw">{template.text || '(derived from the HTML)'}</pre>
    </section>
  );
}

// Sample data with every simple placeholder the template names ({{name}}, {{-NAME-}}), each set
// to its own name, so a first preview renders.
function sampleFor(template) {
  const names = new Set();
  const source = template ? `${template.subject}\n${template.html}\n${template.text}` : '';
  for (const match of source.matchAll(/\{\{\{?-?\s*([A-Za-z_][A-Za-z0-9_.]*)\s*-?\}?\}\}/g)) {
    names.add(match[1]);
  }
  const sample = {};
  for (const name of names) sample[name] = name;
  return JSON.stringify(sample, null, 2);
}

// The field an API error belongs under: a template's syntax error is the HTML's, data errors
// are the sample's.
function placed(error) {
  if (!error) return null;
  let field = error.field || '';
  if (field === 'template') field = 'html';
  if (field === 'data' || field.startsWith('data.')) field = 'sample';
  return { status: error.status, message: error.message, field };
}

// The server renders the draft (not a stored version) with the sample data, a moment after the
// last keystroke; an answer that arrives after a newer request started is dropped.
function usePreview(name, form, sample) {
  const [state, setState] = useState({ rendered: null, error: null });
  useEffect(() => {
    if (!form.html.trim()) {
      setState({ rendered: null, error: null });
      return undefined;
    }
    let data;
    try {
      data = sample.trim() ? JSON.parse(sample) : {};
    } catch (caught) {
      setState((old) => ({ ...old, error: { field: 'sample', message: `Not valid JSON: ${caught.message}` } }));
      return undefined;
    }
    if (data === null || typeof data !== 'object' || Array.isArray(data)) {
      setState((old) => ({ ...old, error: { field: 'sample', message: 'The sample data must be a JSON object.' } }));
      return undefined;
    }
    let current = true;
    const timer = window.setTimeout(async () => {
      try {
        const rendered = await post(`${pathOf(name || 'draft')}/preview`, {
          data,
          subject: form.subject,
          html: form.html,
          text: form.text,
        });
        if (current) setState({ rendered, error: null });
      } catch (error) {
        if (current) setState((old) => ({ ...old, error: placed(error) }));
      }
    }, kPreviewDelayMs);
    return () => {
      current = false;
      window.clearTimeout(timer);
    };
  }, [name, form.subject, form.html, form.text, sample]);
  return state;
}

// The rendered HTML in a sandboxed frame: no scripts, its own opaque origin, a blob: document
// (the page's CSP allows frames of blob: and nothing remote).
function PreviewFrame({ html }) {
  const [url, setUrl] = useState('');
  useEffect(() => {
    const made = URL.createObjectURL(new Blob([html], { type: 'text/html;charset=utf-8' }));
    setUrl(made);
    return () => URL.revokeObjectURL(made);
  }, [html]);
  return url ? <iframe class="preview-frame" sandbox="" src={url} title="HTML preview" /> : null;
}

// Creates a template (no `template`) or edits one: saving stores a new version.
function TemplateEditor({ template, onSaved }) {
  const [form, setForm] = useState(() => ({
    name: '',
    subject: template ? template.subject : '',
    html: template ? template.html : '',
    text: template ? template.text : '',
  }));
  const [sample, setSample] = useState(() => sampleFor(template));
  const save = useAction();
  const name = template ? template.name : form.name.trim();
  const preview = usePreview(name, form, sample);
  const set = (field) => (e) => {
    setForm({ ...form, [field]: e.currentTarget.value });
    save.setError(null);
  };
  // A save's error first; else the preview's (a syntax error shows while typing).
  const error = placed(save.error) || preview.error;
  const changed = !template || form.subject !== template.subject || form.html !== template.html || form.text !== template.text;

  const submit = (e) => {
    e.preventDefault();
    save.act(async () => {
      const body = { subject: form.subject, html: form.html, text: form.text };
      const saved = template ? await put(pathOf(template.name), body) : await post('/v1/templates', { name, ...body });
      onSaved(saved);
    });
  };

  return (
    <form class="editor" onSubmit={submit} aria-label={template ? 'Edit the template' : 'New template'}>
      <section class="card form">
        <h2>{template ? 'Edit' : 'Template'}</h2>
        {template ? null : (
          <Field label="Name" name="name" error={error}>
            <input name="name" required maxLength={255} value={form.name} onInput={set('name')} />
          </Field>
        )}
        <Field label="Subject" name="subject" error={error}>
          <input name="subject" value={form.subject} onInput={set('subject')} />
        </Field>
        <Field label="HTML" name="html" error={error} hint="{{name}} inserts a value (escaped); {{#items}}…{{/items}} repeats.">
          <textarea name="html" rows={12} value={form.html} onInput={set('html')} />
        </Field>
        <Field label="Text" name="text" error={error} hint="Empty: derived from the HTML.">
          <textarea name="text" rows={5} value={form.text} onInput={set('text')} />
        </Field>
        <Problem error={error && !kFields.includes(error.field) ? error : null} />
        <div class="actions">
          <button class="button button-primary" type="submit" disabled={save.busy || !changed}>
            {template ? 'Save as a new version' : 'Create template'}
          </button>
          {template ? null : <a class="button button-secondary" href="#/templates">Back</a>}
        </div>
      </section>
      <section class="card" aria-label="Preview">
        <h2>Preview</h2>
        <Field label="Sample data (JSON)" name="sample" error={error}>
          <textarea name="sample" rows={6} spellcheck={false} value={sample} onInput={(e) => setSample(e.currentTarget.value)} />
        </Field>
        {preview.rendered ? (
          <div class={preview.error ? 'stale' : ''}>
            <p class="preview-subject">
              <span class="muted">Subject: </span>
              <strong>{preview.rendered.subject || '(none)'}</strong>
            </p>
            <PreviewFrame html={preview.rendered.html} />
            <details>
              <summary>Text part</summary>
              <pre class="raw preview-text">{preview.rendered.text}</pre>
            </details>
          </div>
        ) : (
          <p class="muted">
            {preview.error ? 'No preview until the errors are fixed.' : form.html.trim() ? 'Rendering…' : 'Write some HTML to see it here.'}
          </p>
        )}
      </section>
    </form>
  );
}

function DiffView({ label, before, after }) {
  if (before === after) {
    return (
      <p class="muted diff-same">
        {label}: unchanged
      </p>
    );
  }
  return (
    <>
      <h3>{label}</h3>
      <pre class="diff" aria-label={`What changed in the ${label}`}>
        {diffLines(before || '', after || '').map((line, index) => (
          <div key={index} class={`diff-${line.type}`}>
            {line.type === 'added' ? '+ ' : line.type === 'removed' ? '- ' : '  '}
            {line.text}
          </div>
        ))}
      </pre>
    </>
  );
}

// Every version, and what changed between two of them (by default the last two).
function Versions({ name, versions }) {
  const newest = versions.length ? versions[versions.length - 1].version : 0;
  const [pair, setPair] = useState({ from: newest - 1, to: newest });
  useEffect(() => setPair({ from: newest - 1, to: newest }), [newest]);
  const comparing = pair.from >= 1 && pair.to >= 1 && pair.from !== pair.to;
  const both = usePoll(
    () => (comparing
      ? Promise.all([get(`${pathOf(name)}${query({ version: pair.from })}`), get(`${pathOf(name)}${query({ version: pair.to })}`)])
      : null),
    [name, pair.from, pair.to],
  );
  const choose = (which) => (e) => setPair({ ...pair, [which]: Number(e.currentTarget.value) });
  const options = versions.map((v) => <option key={v.version} value={v.version}>version {v.version}</option>);

  return (
    <section class="card" aria-label="Versions">
      <h2>Versions</h2>
      <table class="table">
        <thead>
          <tr>
            <th scope="col">Version</th>
            <th scope="col">Subject</th>
            <th scope="col">Saved</th>
          </tr>
        </thead>
        <tbody>
          {[...versions].reverse().map((v) => (
            <tr key={v.version}>
              <td data-label="Version">{v.version}</td>
              <td data-label="Subject" class="wrap">{v.subject || <span class="muted">–</span>}</td>
              <td data-label="Saved"><Time iso={v.created_at} /></td>
            </tr>
          ))}
        </tbody>
      </table>
      {versions.length > 1 ? (
        <>
          <div class="filters compare">
            <label class="field inline">
              <span class="field-label">Compare</span>
              <select name="from" value={pair.from} onChange={choose('from')}>{options}</select>
            </label>
            <label class="field inline">
              <span class="field-label">with</span>
              <select name="to" value={pair.to} onChange={choose('to')}>{options}</select>
            </label>
          </div>
          <Problem error={both.error} />
          {!comparing ? <p class="muted">Choose two different versions.</p> : null}
          {comparing && both.data ? (
            <div class="diffs">
              <DiffView label="subject" before={both.data[0].subject} after={both.data[1].subject} />
              <DiffView label="HTML" before={both.data[0].html} after={both.data[1].html} />
              <DiffView label="text" before={both.data[0].text} after={both.data[1].text} />
            </div>
          ) : null}
        </>
      ) : (
        <p class="muted">One version so far: saving an edit adds the next.</p>
      )}
    </section>
  );
}
