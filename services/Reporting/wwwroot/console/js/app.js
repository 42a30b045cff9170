// The console's shell: session, navigation and the router. Each page is a module exporting
// render(view, params, ctx), which may return a function that stops what the page started (streams, timers).
import { loadSession, signOut, ApiError } from './api.js';
import { h, fill } from './dom.js';

const routes = [
  { name: 'overview', pattern: /^\/?$/, load: () => import('./pages/overview.js') },
  { name: 'jobs', pattern: /^\/jobs$/, load: () => import('./pages/jobs.js') },
  { name: 'jobs', pattern: /^\/jobs\/([0-9a-fA-F-]{32,36})$/, keys: ['id'], load: () => import('./pages/job.js') },
  { name: 'start', pattern: /^\/start$/, load: () => import('./pages/start.js') },
  { name: 'schedules', pattern: /^\/schedules$/, load: () => import('./pages/schedules.js') },
  { name: 'schedules', pattern: /^\/schedules\/([^/]+)$/, keys: ['name'], load: () => import('./pages/schedule.js') },
  { name: 'audits', pattern: /^\/audits$/, load: () => import('./pages/audits.js') },
  { name: 'keys', pattern: /^\/keys$/, load: () => import('./pages/keys.js') },
];

const view = document.getElementById('view');
let session = null;
let cleanup = null;
let renderId = 0;

const ctx = {
  get session() { return session; },
  /** Whether the signed-in role may run an operation (read, run, manage), exactly as the API decides. */
  can(operation) { return Boolean(session?.operations?.includes(operation)); },
  navigate(hash) { location.hash = hash; },
  toast,
  /** Shows an error: problem details' title and detail. */
  fail(error) {
    const text = error instanceof ApiError ? `${error.problem.title ?? 'Error'}${error.problem.detail ? `: ${error.problem.detail}` : ''}` : String(error?.message ?? error);
    toast(text, 'error');
  },
};

function toast(text, kind = 'info') {
  const el = h('div', { class: `toast toast-${kind}` }, text);
  document.getElementById('toasts').append(el);
  setTimeout(() => el.remove(), kind === 'error' ? 8000 : 4000);
}

function parseHash() {
  const raw = decodeURIComponent(location.hash.replace(/^#/, '')) || '/';
  const [path, search] = raw.split('?');
  return { path, query: new URLSearchParams(search ?? '') };
}

async function route() {
  const id = ++renderId;
  cleanup?.();
  cleanup = null;
  if (!session) return showSignIn();
  const { path, query } = parseHash();
  const match = routes.map(r => ({ r, m: r.pattern.exec(path) })).find(x => x.m);
  for (const a of document.querySelectorAll('#nav a')) a.classList.toggle('active', a.dataset.route === match?.r.name);
  if (!match) {
    fill(view, h('section', { class: 'card' }, h('h1', {}, 'Not found'), h('p', {}, 'No page at this address. '), h('a', { href: '#/' }, 'Overview')));
    return;
  }
  const params = Object.fromEntries(query.entries());
  (match.r.keys ?? []).forEach((key, i) => { params[key] = match.m[i + 1]; });
  fill(view, h('p', { class: 'loading' }, 'Loading…'));
  try {
    const page = await match.r.load();
    if (id !== renderId) return;
    fill(view);
    const stop = await page.render(view, params, ctx);
    if (id !== renderId) stop?.();
    else cleanup = stop ?? null;
  } catch (e) {
    if (id !== renderId) return;
    fill(view, h('section', { class: 'card error' }, h('h1', {}, 'This page could not be shown'),
      h('p', {}, e instanceof ApiError ? `${e.problem.title ?? ''} ${e.problem.detail ?? ''}` : String(e?.message ?? e))));
  }
}

function showSession() {
  const signedIn = Boolean(session);
  document.getElementById('nav').hidden = !signedIn;
  document.getElementById('who').hidden = !signedIn;
  if (!signedIn) return;
  document.getElementById('who-name').textContent = session.name;
  document.getElementById('who-role').textContent = session.role;
  for (const a of document.querySelectorAll('#nav a[data-needs]')) a.hidden = !ctx.can(a.dataset.needs);
}

async function showSignIn() {
  showSession();
  const { render } = await import('./pages/signin.js');
  fill(view);
  render(view, async signedIn => {
    session = signedIn;
    showSession();
    await route();
  });
}

window.addEventListener('hashchange', route);
window.addEventListener('signed-out', () => {
  if (!session) return;
  session = null;
  toast('The session ended: sign in again.', 'error');
  route();
});
document.getElementById('sign-out').addEventListener('click', async () => {
  try { await signOut(); } catch { /* signed out anyway */ }
  session = null;
  route();
});

session = await loadSession();
showSession();
await route();
