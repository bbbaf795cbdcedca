// The /v1 API as the dashboard calls it: same-origin fetches carrying the session cookie, with
// the CSRF token on every request that may change something. Errors arrive as
// application/problem+json ({detail, field, code, status}) and are thrown as ApiError.

let csrfToken = '';
let sessionUserId = null;
let onSignedOut = () => {};

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.code = problem.code || '';
    this.field = problem.field || '';
  }
}

// Called when a request answers 401: the session ended (expired, revoked, user disabled).
export function whenSignedOut(callback) {
  onSignedOut = callback;
}

async function problemOf(response) {
  const type = response.headers.get('Content-Type') || '';
  if (type.includes('json')) {
    try {
      return await response.json();
    } catch {
      // fall through: a body that is not the JSON it says it is
    }
  }
  return { detail: `${response.status} ${response.statusText || 'error'}`.trim() };
}

// method, path (with query), optional JSON body; `as` is 'json' (default) or 'text'.
// Resolves to the decoded body (null for 204); rejects with ApiError or a network TypeError.
export async function request(method, path, body, { as = 'json', quiet401 = false, retried = false } = {}) {
  const headers = { Accept: as === 'json' ? 'application/json' : '*/*' };
  if (method !== 'GET' && method !== 'HEAD') headers['X-CSRF-Token'] = csrfToken;
  let payload;
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  } else if (method !== 'GET' && method !== 'HEAD') {
    payload = ''; // a POST without a body still needs Content-Length: 0
  }
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: payload,
      credentials: 'same-origin',
      cache: 'no-store',
    });
  } catch {
    throw new ApiError(0, { detail: 'The server cannot be reached. Is outbox running?' });
  }
  if (!response.ok) {
    const problem = await problemOf(response);
    // Signing in again in another tab replaces the cookie, and with it the session whose token
    // this page holds: fetch the new token and try once more, unless the cookie is now someone
    // else's (then the page starts again as them).
    if (response.status === 403 && problem.field === 'X-CSRF-Token' && !retried) {
      const holder = sessionUserId;
      const session = await currentSession();
      if (session.user.id !== holder) {
        window.location.reload();
        throw new ApiError(403, problem);
      }
      return request(method, path, body, { as, quiet401, retried: true });
    }
    if (response.status === 401 && !quiet401) onSignedOut();
    throw new ApiError(response.status, problem);
  }
  if (response.status === 204) return null;
  return as === 'text' ? response.text() : response.json();
}

export const get = (path, options) => request('GET', path, undefined, options);
export const post = (path, body) => request('POST', path, body);
export const put = (path, body) => request('PUT', path, body);
export const patch = (path, body) => request('PATCH', path, body);
export const del = (path) => request('DELETE', path);

// A query string from an object, leaving out empty values.
export function query(params) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(name, value);
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

// The cookie session (POST/GET/DELETE /v1/auth/session). Each resolves to {user, csrf_token}.
export async function signIn(email, password) {
  const session = await request('POST', '/v1/auth/session', { email, password }, { quiet401: true });
  csrfToken = session.csrf_token;
  sessionUserId = session.user.id;
  return session;
}

export async function currentSession() {
  const session = await request('GET', '/v1/auth/session', undefined, { quiet401: true });
  csrfToken = session.csrf_token;
  sessionUserId = session.user.id;
  return session;
}

// Forgets the session's token; the page is signed out from here on.
export function forgetSession() {
  csrfToken = '';
  sessionUserId = null;
}

export async function signOut() {
  try {
    await request('DELETE', '/v1/auth/session', undefined, { quiet401: true });
  } finally {
    forgetSession();
  }
}
