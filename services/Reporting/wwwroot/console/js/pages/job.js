// One job: live status and progress (GET /jobs/{id}/stream), generations, the tree of its children loaded a level and a
// page at a time (GET /jobs/{id}/tree: a 100,000-child job never becomes 100,000 elements), failures, datasets on
// demand, settings (secrets masked by the server), audit events, and the actions the role allows.
import { api, stream, query } from '../api.js';
import { h, fill, fmt, badge, progressBar, table, card, pager } from '../dom.js';

const ended = s => ['Completed', 'CompletedWithFailures', 'Failed', 'Cancelled'].includes(s);
const treePageSize = 50;

export async function render(view, params, ctx) {
  const id = params.id;
  let job = await api.get(`/jobs/${id}`);

  const title = h('h1', {}, 'Job ', h('span', { class: 'mono' }, id));
  const status = h('span', { id: 'job-status' });
  const live = h('span', { class: 'live', id: 'job-live' });
  const actions = h('div', { class: 'actions', id: 'job-actions' });
  const progress = h('div', { id: 'job-progress' });
  const facts = h('dl', { class: 'facts', id: 'job-facts' });
  const generations = h('div', { id: 'job-generations' });
  const tree = h('div', { id: 'job-tree' });
  const failures = h('div', { id: 'job-failures' });
  const hooks = h('div', { id: 'job-hooks' });
  const datasets = h('div', { id: 'job-datasets' });
  const settings = h('div', { id: 'job-settings' });
  const events = h('div', { id: 'job-events' });

  view.append(
    h('div', { class: 'spread' }, h('div', {}, title, h('div', { class: 'row' }, status, live)), actions),
    card(null, progress, facts),
    card('Generations', generations),
    card('Tree', tree),
    card('Failures', failures),
    card('Hooks', hooks),
    h('div', { class: 'cards' }, card('Settings', settings), card('Datasets', datasets)),
    card('Audit events', events));

  const show = () => {
    fill(status, badge(job.status));
    renderActions(actions, job, ctx, () => reload());
    renderProgress(progress, job);
    renderFacts(facts, job, ctx);
    renderGenerations(generations, job);
    renderHooks(hooks, job);
  };
  const reload = async () => {
    job = await api.get(`/jobs/${id}`);
    show();
    renderFailures(failures, job, id, 1);
  };

  show();
  renderTree(tree, id);
  renderFailures(failures, job, id, 1);
  fill(settings, h('pre', { class: 'json', id: 'job-settings-json' }, JSON.stringify(job.settings ?? {}, null, 2)));
  fill(datasets, h('button', { type: 'button', id: 'load-datasets', on: { click: () => renderDatasets(datasets, id) } }, 'Load datasets (original / processed)'));
  renderEvents(events, id, 1);

  if (ended(job.status)) {
    live.textContent = 'ended';
    return undefined;
  }
  return stream(`/jobs/${id}/stream`, 'job', async update => {
    const wasEnded = ended(job.status);
    job = { ...job, status: update.status, children: update.children, progress: update.progress ?? job.progress, startedAt: update.startedAt, finishedAt: update.finishedAt };
    show();
    if (ended(update.status) && !wasEnded) {
      live.className = 'live';
      live.textContent = 'ended';
      await reload();
      renderTree(tree, id);
      renderEvents(events, id, 1);
    }
  }, state => {
    if (ended(job.status)) return;
    live.className = state === 'live' ? 'live on' : 'live';
    live.textContent = state === 'live' ? 'live' : state;
  });
}

function renderActions(el, job, ctx, reload) {
  if (!ctx.can('run')) return fill(el);
  const cancel = async () => {
    if (!confirm('Cancel this job? Children still queued will not start; running ones are told to stop.')) return;
    try {
      await api.del(`/jobs/${job.id}`);
      ctx.toast('Cancelling', 'ok');
    } catch (e) { ctx.fail(e); }
  };
  const retry = async () => {
    try {
      const r = await api.post(`/jobs/${job.id}/retry-failed`);
      ctx.toast(`Retrying ${r.children} failed children`, 'ok');
      ctx.navigate(`#/jobs/${r.id}`);
    } catch (e) { ctx.fail(e); }
  };
  fill(el,
    !ended(job.status) ? h('button', { type: 'button', id: 'job-cancel', class: 'danger', on: { click: cancel } }, 'Cancel') : null,
    ended(job.status) && job.children.failed > 0 ? h('button', { type: 'button', id: 'job-retry', on: { click: retry } }, 'Retry failed children') : null,
    h('a', { class: 'button', id: 'job-run-again', href: `#/start${query({ platform: job.platform, from: job.id })}` }, 'Run again'),
    h('button', { type: 'button', class: 'small', on: { click: reload } }, 'Refresh'));
}

function renderProgress(el, job) {
  const total = job.children.total;
  const done = job.children.completed + job.children.failed;
  const percent = job.progress?.percent ?? (total ? (100 * done) / total : 0);
  let eta = '';
  if (!ended(job.status) && job.startedAt && done > 0 && total > done) {
    const elapsed = Date.now() - new Date(job.startedAt).getTime();
    eta = ` · about ${fmt.duration((elapsed / done) * (total - done))} left`;
  }
  const bar = progressBar(percent, `${percent.toFixed(1)} %`);
  bar.classList.add('big');
  fill(el, bar, h('p', { class: 'muted', id: 'job-progress-text' },
    `${fmt.number(done)} of ${fmt.number(total)} children finished`, job.children.failed ? `, ${fmt.number(job.children.failed)} failed` : '', eta,
    job.progress?.message ? ` · ${job.progress.message}` : '', job.progress?.rows ? ` · ${fmt.number(job.progress.rows)} rows` : ''));
}

function renderFacts(el, job, ctx) {
  const duration = job.startedAt ? (job.finishedAt ? new Date(job.finishedAt) : new Date()) - new Date(job.startedAt) : null;
  const rows = [
    ['Platform', job.platform],
    ['Status', badge(job.status)],
    ['Children', `${fmt.number(job.children.total)} total · ${fmt.number(job.children.completed)} completed · ${fmt.number(job.children.failed)} failed`],
    ['Started', fmt.time(job.startedAt)],
    ['Finished', fmt.time(job.finishedAt)],
    ['Duration', fmt.duration(duration)],
    job.schedule ? ['Schedule', h('a', { href: `#/schedules/${encodeURIComponent(job.schedule)}` }, job.schedule)] : null,
    job.retryOf ? ['Retry of', h('a', { href: `#/jobs/${job.retryOf}`, class: 'mono', id: 'job-retry-of' }, job.retryOf)] : null,
    job.retries?.length ? ['Retried as', job.retries.map(r => h('a', { href: `#/jobs/${r}`, class: 'mono' }, `${fmt.shortId(r)} `))] : null,
    job.error ? ['Error', h('span', { class: 'wrap', id: 'job-error' }, job.error)] : null,
    job.hookError ? ['Hook error', h('span', { class: 'wrap', id: 'job-hook-error' }, job.hookError)] : null,
    job.data ? ['Table data', `loaded by ${job.data.loadedBy ?? '-'} at ${fmt.time(job.data.loadedAt)}`] : null,
    ctx.session.seqUrl ? ['Logs', h('a', { href: seqLink(ctx.session.seqUrl, job.id), target: '_blank', rel: 'noopener noreferrer' }, 'in Seq')] : null,
  ].filter(Boolean);
  fill(el, rows.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

function seqLink(seq, id) {
  return `${seq.replace(/\/$/, '')}/#/events?filter=${encodeURIComponent(`RootJobId = '${id}'`)}`;
}

function renderGenerations(el, job) {
  const gens = job.generations ?? [];
  if (!gens.length) return fill(el, h('p', { class: 'muted' }, 'No child has finished yet.'));
  const start = new Date(job.startedAt).getTime();
  const end = Math.max(...gens.map(g => new Date(g.lastFinishedAt).getTime()), start + 1);
  fill(el, h('div', { class: 'timeline' }, gens.map(g => {
    const from = new Date(g.firstStartedAt).getTime();
    const to = new Date(g.lastFinishedAt).getTime();
    const span = h('div', { class: g.failed ? 'span has-failures' : 'span', title: `${fmt.time(g.firstStartedAt)} → ${fmt.time(g.lastFinishedAt)}` });
    span.style.left = `${(100 * (from - start)) / (end - start)}%`;
    span.style.width = `${Math.max(0.5, (100 * (to - from)) / (end - start))}%`;
    return h('div', { class: 'gen' },
      h('b', {}, `Generation ${g.generation}`),
      h('div', { class: 'track' }, span),
      h('span', { class: 'muted' }, `${fmt.number(g.children)} children, ${fmt.number(g.failed)} failed, done at +${g.secondsFromStart.toFixed(1)} s`));
  })));
}

// The tree: the root's node with its subtree counts, then each level a page at a time, opened on demand.
async function renderTree(el, id) {
  const level = await api.get(`/jobs/${id}/tree${query({ page: 1, pageSize: treePageSize })}`);
  const list = h('ul', { class: 'tree', id: 'tree-root' });
  fill(el, list);
  list.append(nodeItem(id, level.node, level, true));
}

function countsText(c) {
  return [h('b', {}, fmt.number(c.done)), ' done · ', h('b', {}, fmt.number(c.failed)), ' failed · ', h('b', {}, fmt.number(c.running)), ' running · ',
    h('b', {}, fmt.number(c.waiting)), ' waiting'];
}

function nodeItem(rootId, node, preloaded, open = false) {
  const item = h('li', { dataset: { node: node.id } });
  const children = h('ul', { class: 'tree', hidden: true });
  const expandable = node.hasChildren || (node.counts && (node.counts.done + node.counts.failed + node.counts.running + node.counts.waiting) > 0);
  const toggle = h('button', { type: 'button', class: expandable ? 'toggle' : 'toggle leaf', 'aria-expanded': 'false', 'aria-label': 'expand' }, '+');
  let loaded = false;
  const expand = async () => {
    const opening = children.hidden;
    children.hidden = !opening;
    toggle.textContent = opening ? '−' : '+';
    toggle.setAttribute('aria-expanded', String(opening));
    if (opening && !loaded) {
      loaded = true;
      await loadLevel(rootId, node.id === rootId ? null : node.id, children, 1, preloaded);
    }
  };
  if (expandable) toggle.addEventListener('click', expand);
  item.append(h('div', { class: 'node' },
    toggle,
    badge(node.status),
    h('span', { class: 'task' }, node.kind === 'root' ? 'root' : node.task),
    node.kind && node.kind !== 'child' && node.kind !== 'root' ? h('span', { class: 'muted' }, node.kind) : null,
    h('span', { class: 'mono muted' }, fmt.shortId(node.id)),
    node.counts && (expandable || node.kind === 'root') ? h('span', { class: 'counts' }, countsText(node.counts)) : null,
    node.attempts > 1 ? h('span', { class: 'muted' }, `${node.attempts} attempts`) : null,
    node.durationMs !== null && node.durationMs !== undefined ? h('span', { class: 'muted' }, fmt.duration(node.durationMs)) : null,
    node.error ? h('span', { class: 'node-error', title: node.error }, node.error) : null), children);
  if (open && expandable) expand();
  return item;
}

async function loadLevel(rootId, nodeId, list, page, preloaded) {
  const level = preloaded && page === 1 && !nodeId ? preloaded : await api.get(`/jobs/${rootId}/tree${query({ node: nodeId, page, pageSize: treePageSize })}`);
  list.querySelector(':scope > .tree-more')?.remove();
  for (const child of level.children.items) list.append(nodeItem(rootId, child));
  const shown = (page - 1) * treePageSize + level.children.items.length;
  const more = [];
  if (shown < level.children.total)
    more.push(h('button', { type: 'button', class: 'small', on: { click: () => loadLevel(rootId, nodeId, list, page + 1) } },
      `Show ${Math.min(treePageSize, level.children.total - shown)} more of ${fmt.number(level.children.total - shown)}`));
  if (level.waiting > 0) more.push(h('span', { class: 'muted' }, ` ${fmt.number(level.waiting)} not started yet`));
  if (!level.children.total && !level.waiting) more.push(h('span', { class: 'muted' }, 'no children'));
  if (more.length) list.append(h('li', { class: 'tree-more' }, more));
}

// The job's pre and post hook runs (settings.hooks): each a tracked step with its status, attempts and error.
function renderHooks(el, job) {
  const runs = job.hooks ?? [];
  const named = job.settings?.hooks;
  if (!runs.length) {
    return fill(el, h('p', { class: 'muted' }, named && ((named.pre?.length ?? 0) + (named.post?.length ?? 0)) ? 'No hook has run yet.' : 'The job names no hooks.'));
  }
  fill(el, table(['Phase', '#', 'Hook', 'Status', 'Attempts', 'Finished', 'Error'], runs.map(r => h('tr', {},
    h('td', {}, r.phase),
    h('td', { class: 'num' }, r.index),
    h('td', { class: 'mono' }, r.name),
    h('td', { class: 'hook-status' }, h('span', { class: `badge s-${r.status === 'failed' ? 'Failed' : r.status === 'skipped' ? 'Cancelled' : 'Completed'}` }, r.status)),
    h('td', { class: 'num' }, r.attempts),
    h('td', {}, fmt.time(r.finishedAt)),
    h('td', { class: 'wrap' }, r.error ?? '')))));
}

async function renderFailures(el, job, id, page) {
  if (!job.children.failed) return fill(el, h('p', { class: 'muted' }, 'No child failed.'));
  const data = page === 1 && job.failures ? job : await api.get(`/jobs/${id}${query({ failuresPage: page, failuresPageSize: 20 })}`);
  const f = data.failures;
  fill(el, table(['Child', 'Task', 'Generation', 'Attempts', 'Finished', 'Error'], f.items.map(x => h('tr', {},
    h('td', { class: 'mono' }, fmt.shortId(x.childJobId)),
    h('td', {}, x.task),
    h('td', { class: 'num' }, x.generation),
    h('td', { class: 'num' }, x.attempts),
    h('td', {}, fmt.time(x.finishedAt)),
    h('td', { class: 'wrap' }, x.error ?? '')))),
  pager(page, f.pageSize, f.total, p => renderFailures(el, { children: job.children }, id, p)));
}

async function renderDatasets(el, id) {
  fill(el, h('p', { class: 'loading' }, 'Loading…'));
  const full = await api.get(`/jobs/${id}?full=true`);
  const sets = full.datasets ?? [];
  fill(el, sets.length
    ? sets.map(d => h('details', { class: 'dataset' }, h('summary', {}, `${d.name} · child ${fmt.shortId(d.jobId)}`),
      h('pre', { class: 'json' }, JSON.stringify(d.data, null, 2))))
    : h('p', { class: 'muted' }, 'No dataset was kept for this job.'));
}

async function renderEvents(el, id, page) {
  let data;
  try {
    data = await api.get(`/jobs/${id}/events${query({ page, pageSize: 20 })}`);
  } catch (e) {
    return fill(el, h('p', { class: 'form-error' }, e.message));
  }
  fill(el, table(['Received', 'Event', 'Children reported', 'Message'], data.items.map(e => h('tr', {},
    h('td', {}, fmt.time(e.receivedAt)),
    h('td', {}, e.type),
    h('td', { class: 'num' }, e.outcomes ?? ''),
    h('td', {}, eventPayload(id, e)))), { empty: 'No audit event yet.' }),
  pager(page, data.pageSize, data.total, p => renderEvents(el, id, p)));
}

// A large message (a batch of outcomes) is fetched only when it is opened.
function eventPayload(id, e) {
  const pre = h('pre', { class: 'json' }, e.payload ? JSON.stringify(e.payload, null, 2) : '');
  const details = h('details', {}, h('summary', {}, `show (${fmt.bytes(e.bytes)})`), pre);
  if (!e.payload) {
    details.addEventListener('toggle', async () => {
      if (!details.open || pre.textContent) return;
      pre.textContent = 'Loading…';
      try {
        pre.textContent = JSON.stringify((await api.get(`/jobs/${id}/events/${e.id}`)).payload, null, 2);
      } catch (x) {
        pre.textContent = x.message;
      }
    });
  }
  return details;
}
