// Jobs from the audit trail (GET /jobs: survives restarts), newest first: filters and search kept in the address (so a
// filtered list can be bookmarked and the back button works), paging, and bulk actions on the selected jobs.
import { api, query, ApiError } from '../api.js';
import { h, fill, fmt, badge, table, pager, jobLink } from '../dom.js';

const statuses = ['Pending', 'Running', 'Completed', 'CompletedWithFailures', 'Failed', 'Cancelled'];
const pageSize = 25;

export async function render(view, params, ctx) {
  const page = Math.max(1, Number(params.page) || 1);
  const filter = { platform: params.platform, status: params.status, schedule: params.schedule, from: params.from, to: params.to, q: params.q };
  const platforms = await api.get('/platforms').catch(() => []);

  const input = (name, props = {}) => h('input', { name, value: filter[name] ?? '', ...props });
  const select = (name, options) => h('select', { name },
    h('option', { value: '' }, 'any'),
    options.map(o => h('option', { value: o, selected: filter[name] === o }, o)));
  const form = h('form', { class: 'filters', id: 'jobs-filters' },
    h('label', {}, 'Search', input('q', { type: 'search', placeholder: 'job id, settings or error text', size: 32 })),
    h('label', {}, 'Platform', select('platform', platforms.map(p => p.name))),
    h('label', {}, 'Status', select('status', statuses)),
    h('label', {}, 'Schedule', input('schedule', { size: 16 })),
    h('label', {}, 'Started from (UTC)', input('from', { type: 'datetime-local', value: localValue(filter.from) })),
    h('label', {}, 'to', input('to', { type: 'datetime-local', value: localValue(filter.to) })),
    h('button', { type: 'submit', class: 'primary' }, 'Apply'),
    h('a', { href: '#/jobs', class: 'button' }, 'Clear'));
  form.addEventListener('submit', e => {
    e.preventDefault();
    const data = Object.fromEntries(new FormData(form).entries());
    for (const key of ['from', 'to']) if (data[key]) data[key] = new Date(`${data[key]}:00Z`).toISOString();
    ctx.navigate(`#/jobs${query(data)}`);
  });

  const list = h('div', { id: 'jobs-list' }, h('p', { class: 'loading' }, 'Loading…'));
  const bulk = h('div', { class: 'actions', id: 'jobs-bulk' });
  view.append(h('div', { class: 'spread' }, h('h1', {}, 'Jobs'), ctx.can('run') ? h('a', { href: '#/start', class: 'button primary' }, 'Start a job') : null),
    h('section', { class: 'card' }, form, bulk, list));

  let result;
  try {
    result = await api.get(`/jobs${query({ ...filter, page, pageSize })}`);
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 400) throw e;
    fill(list, h('p', { class: 'form-error' }, Object.entries(e.errors).map(([k, v]) => `${k}: ${v.join(', ')}`).join('; ') || e.message));
    return;
  }

  const selected = new Set();
  const refreshBulk = () => {
    if (!ctx.can('run')) return fill(bulk);
    fill(bulk,
      h('span', { class: 'muted' }, `${selected.size} selected`),
      h('button', { type: 'button', id: 'bulk-cancel', class: 'danger', disabled: !selected.size, on: { click: () => act('cancel') } }, 'Cancel selected'),
      h('button', { type: 'button', id: 'bulk-retry', disabled: !selected.size, on: { click: () => act('retry') } }, 'Retry failed children of selected'));
  };
  const act = async kind => {
    const ids = [...selected];
    const outcomes = await Promise.allSettled(ids.map(id => kind === 'cancel' ? api.del(`/jobs/${id}`) : api.post(`/jobs/${id}/retry-failed`)));
    const refused = outcomes.map((o, i) => ({ o, id: ids[i] })).filter(x => x.o.status === 'rejected');
    const done = ids.length - refused.length;
    ctx.toast(`${kind === 'cancel' ? 'Cancelling' : 'Retrying'} ${done} of ${ids.length} jobs`, refused.length ? 'error' : 'ok');
    for (const { o, id } of refused) ctx.toast(`${fmt.shortId(id)}: ${o.reason?.problem?.title ?? o.reason?.message}`, 'error');
    setTimeout(() => render(fill(view), params, ctx), 600);
  };

  const all = ctx.can('run') ? h('input', { type: 'checkbox', 'aria-label': 'select all', on: { change: e => {
    for (const box of list.querySelectorAll('input[data-id]')) {
      box.checked = e.target.checked;
      if (box.checked) selected.add(box.dataset.id); else selected.delete(box.dataset.id);
    }
    refreshBulk();
  } } }) : '';
  const rows = result.items.map(j => h('tr', { dataset: { job: j.id } },
    ctx.can('run') ? h('td', {}, h('input', { type: 'checkbox', 'aria-label': `select ${j.id}`, dataset: { id: j.id }, on: { change: e => {
      if (e.target.checked) selected.add(j.id); else selected.delete(j.id);
      refreshBulk();
    } } })) : null,
    h('td', {}, jobLink(j.id)),
    h('td', {}, j.platform),
    h('td', {}, badge(j.status)),
    h('td', {}, j.schedule ? h('a', { href: `#/schedules/${encodeURIComponent(j.schedule)}` }, j.schedule) : ''),
    h('td', { class: 'num' }, `${fmt.number(j.children.completed)} / ${fmt.number(j.children.total)}`),
    h('td', { class: 'num' }, j.children.failed ? fmt.number(j.children.failed) : ''),
    h('td', { title: fmt.time(j.startedAt) }, fmt.ago(j.startedAt)),
    h('td', { class: 'num' }, fmt.duration(j.durationMs)),
    h('td', { class: 'wrap' }, truncate(j.error, 160))));
  const headers = [ctx.can('run') ? all : null, 'Job', 'Platform', 'Status', 'Schedule', 'Done / total', 'Failed', 'Started', 'Duration', 'Error'].filter(x => x !== null);
  fill(list, table(headers, rows, { empty: 'No job matches.' }),
    pager(page, pageSize, result.total, p => ctx.navigate(`#/jobs${query({ ...filter, page: p })}`)));
  refreshBulk();
}

function truncate(text, length) {
  if (!text) return '';
  return text.length > length ? `${text.slice(0, length)}…` : text;
}

function localValue(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString().slice(0, 16);
}
