// The landing page: what runs now, the last 24 hours, the bus and the dependencies, updated by the server's event stream
// (GET /overview/stream): no polling, and the server computes nothing once no page listens.
import { stream } from '../api.js';
import { h, fill, fmt, badge, progressBar, table, card, jobLink } from '../dom.js';
import { stackedBars } from '../chart.js';

export async function render(view, _params, ctx) {
  const live = h('span', { class: 'live', id: 'overview-live' }, 'connecting');
  const stamp = h('span', { class: 'muted', id: 'overview-at' });
  const stats = h('div', { class: 'stats', id: 'overview-stats' });
  const deps = h('div', { class: 'deps', id: 'overview-dependencies' });
  const running = h('div', { id: 'overview-running' }, h('p', { class: 'loading' }, 'Loading…'));
  const platforms = h('div', { id: 'overview-platforms' });
  const queues = h('div', { id: 'overview-queues' });
  const fires = h('div', { id: 'overview-fires' });

  view.append(
    h('div', { class: 'spread' }, h('h1', {}, 'Overview'), h('div', { class: 'row' }, stamp, live)),
    card(null, stats, h('h3', {}, 'Dependencies'), deps),
    card('Running now', running),
    card('Last 24 hours', platforms),
    card('Integration queues', queues),
    card('Next scheduled fires', fires));

  return stream('/overview/stream', 'overview', snapshot => {
    fill(stamp, `as of ${fmt.time(snapshot.at)}`);
    renderStats(stats, snapshot);
    renderDependencies(deps, snapshot.dependencies);
    renderRunning(running, snapshot.running ?? []);
    renderPlatforms(platforms, snapshot.last24h ?? []);
    renderQueues(queues, snapshot);
    renderFires(fires, snapshot, ctx);
  }, state => {
    live.className = state === 'live' ? 'live on' : 'live';
    live.textContent = state === 'live' ? 'live' : state;
  });
}

function renderStats(el, s) {
  const totals = (s.last24h ?? []).reduce((t, p) => ({ started: t.started + p.started, failed: t.failed + p.failed }), { started: 0, failed: 0 });
  fill(el,
    stat('running-count', fmt.number(s.running?.length ?? 0), 'jobs running'),
    stat('children-rate', (s.childrenPerSecond ?? 0).toFixed(1), 'children / s now'),
    stat('failure-rate', s.failureRate === null || s.failureRate === undefined ? '-' : fmt.percent(s.failureRate), 'failure rate, 24 h'),
    stat('started-24h', fmt.number(totals.started), 'jobs started, 24 h'),
    stat('workers', fmt.number(new Set((s.queues ?? []).flatMap(q => (q.workers ?? []).map(w => w.id))).size), 'Integrations processes'));
}

function stat(id, value, label) {
  return h('div', { class: 'stat', id: `stat-${id}` }, h('b', {}, value), h('span', {}, label));
}

function renderDependencies(el, report) {
  if (!report) return fill(el, h('span', { class: 'muted' }, 'not checked yet'));
  fill(el, (report.checks ?? []).map(c => h('div', { class: `dep ${c.ok ? 'ok' : 'bad'}`, title: c.error ?? c.detail ?? '' },
    h('span', { class: 'dot' }), h('b', {}, c.name), h('span', { class: 'muted' }, c.ok ? `${c.latencyMs.toFixed(0)} ms` : (c.error ?? 'failing')))));
}

function renderRunning(el, jobs) {
  fill(el, table(['Job', 'Platform', 'Schedule', 'Status', 'Progress', 'Children', 'Started'], jobs.map(j => {
    const done = j.children.completed + j.children.failed;
    return h('tr', { dataset: { job: j.id } },
      h('td', {}, jobLink(j.id)),
      h('td', {}, j.platform),
      h('td', {}, j.schedule ?? ''),
      h('td', {}, badge(j.status)),
      h('td', {}, progressBar(j.percent, `${(j.percent ?? 0).toFixed(1)} %`)),
      h('td', { class: 'num' }, `${fmt.number(done)} / ${fmt.number(j.children.total)}`, j.children.failed ? h('span', { class: 'muted' }, ` (${fmt.number(j.children.failed)} failed)`) : null),
      h('td', {}, fmt.ago(j.startedAt)));
  }), { empty: 'No job is running.' }));
}

function renderPlatforms(el, platforms) {
  fill(el, table(['Platform', 'Started', 'Completed', 'With failures', 'Failed', 'Cancelled', 'Per hour (completed / failed)'], platforms.map(p =>
    h('tr', { dataset: { platform: p.platform } },
      h('td', {}, h('a', { href: `#/jobs?platform=${encodeURIComponent(p.platform)}` }, p.platform)),
      h('td', { class: 'num' }, fmt.number(p.started)),
      h('td', { class: 'num' }, fmt.number(p.completed)),
      h('td', { class: 'num' }, fmt.number(p.completedWithFailures)),
      h('td', { class: 'num' }, fmt.number(p.failed)),
      h('td', { class: 'num' }, fmt.number(p.cancelled)),
      h('td', {}, stackedBars((p.hourly ?? []).map((b, i) => ({
        title: fmt.time(b.hour).slice(0, 16),
        short: i === 0 ? '24 h ago' : 'now',
        segments: [{ value: b.completed, class: 'bar-ok', name: 'completed' }, { value: b.failed, class: 'bar-bad', name: 'failed' }],
      })), { label: `${p.platform}: jobs per hour` })))), { empty: 'No job in the last 24 hours.' }));
}

function renderQueues(el, s) {
  const rows = (s.queues ?? []).map(q => h('tr', { dataset: { queue: q.name } },
    h('td', { class: 'mono' }, q.name),
    h('td', { class: 'num' }, fmt.number(q.messages), h('span', { class: 'muted' }, ` (${fmt.number(q.ready)} ready, ${fmt.number(q.unacked)} unacked)`)),
    h('td', { class: 'num' }, fmt.number(q.consumers)),
    h('td', { class: 'num' }, `${(q.publishRate ?? 0).toFixed(1)} / ${(q.ackRate ?? 0).toFixed(1)}`),
    h('td', {}, (q.workers ?? []).length
      ? (q.workers).map(w => h('div', { class: 'worker', title: `hosts ${(w.platforms ?? []).join(', ')}` },
        h('span', { class: 'mono' }, w.id ?? w.host), ` · ${fmt.number(w.inFlight)} in flight · `, h('span', { class: 'muted' }, (w.platforms ?? []).join(', '))))
      : h('span', { class: 'muted' }, 'none'))));
  fill(el,
    s.queuesError ? h('p', { class: 'form-error' }, `RabbitMQ management API: ${s.queuesError}`) : null,
    table(['Queue', 'Messages', 'Consumers', 'Publish / ack per s', 'Consumed by'], rows, { empty: 'No integration queue.' }));
}

function renderFires(el, s, ctx) {
  const rows = (s.nextFires ?? []).map(f => h('tr', {},
    h('td', {}, h('a', { href: `#/schedules/${encodeURIComponent(f.schedule)}` }, f.schedule)),
    h('td', {}, f.platform),
    h('td', {}, f.paused ? badge('Paused') : f.nextFireAt ? h('span', { title: fmt.time(f.nextFireAt) }, fmt.ago(f.nextFireAt)) : '-'),
    h('td', {}, f.previousFireAt ? fmt.ago(f.previousFireAt) : '-')));
  fill(el,
    s.schedulesError ? h('p', { class: 'form-error' }, `Scheduler: ${s.schedulesError}`) : null,
    table(['Schedule', 'Platform', 'Next fire', 'Previous'], rows, { empty: ctx.can('manage') ? 'No schedule yet.' : 'No schedule.' }));
}
