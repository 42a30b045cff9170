// The console talks only to the public HTTP API (the same endpoints scripts use), with the session cookie. State-changing
// requests carry the session's CSRF token; problem details come back as ApiError.

let csrf = null;

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem ?? {};
  }

  /** Field errors of a validation problem: { "settings.children": ["must be ..."] }. */
  get errors() { return this.problem.errors ?? {}; }
}

export async function request(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && csrf) headers['X-Csrf-Token'] = csrf;
  const response = await fetch(path, { method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) });
  if (response.status === 401 && path !== '/session') window.dispatchEvent(new CustomEvent('signed-out'));
  const type = response.headers.get('Content-Type') ?? '';
  const data = type.includes('json') ? await response.json() : null;
  if (!response.ok) throw new ApiError(response.status, data ?? { title: `HTTP ${response.status}` });
  return data;
}

export const api = {
  get: path => request('GET', path),
  post: (path, body) => request('POST', path, body ?? {}),
  put: (path, body) => request('PUT', path, body),
  del: path => request('DELETE', path),
};

export async function loadSession() {
  try {
    const session = await request('GET', '/session');
    csrf = session.csrf;
    return session;
  } catch (e) {
    if (e instanceof ApiError && (e.status === 401 || e.status === 403)) return null;
    throw e;
  }
}

export async function signIn(key) {
  const session = await request('POST', '/session', { key });
  csrf = session.csrf;
  return session;
}

export async function signOut() {
  await request('DELETE', '/session');
  csrf = null;
}

/** Listens to a server-sent event stream; returns the function that closes it. */
export function stream(path, event, onData, onState) {
  const source = new EventSource(path, { withCredentials: true });
  source.addEventListener(event, e => onData(JSON.parse(e.data)));
  source.addEventListener('open', () => onState?.('live'));
  source.addEventListener('error', () => onState?.(source.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting'));
  return () => source.close();
}

/** Query string from an object, leaving out empty values. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== '') q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}
