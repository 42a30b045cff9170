// Data audits: what the Auditor measured of each dataset run after run (GET /data-audits), one small line chart per series
// with the failed audits marked, and the latest DataAuditFailed failures with their jobs. Filters live in the address
// (#/audits?platform=&dataset=&from=&to=), so a view can be linked.
import { api, ApiError, query } from '../api.js';
import { h, fill, fmt, table, jobLink } from '../dom.js';

export async function render(view, params, ctx) {
  const filters = { platform: params.platform ?? '', dataset: params.dataset ?? '', from: params.from ?? '', to: params.to ?? '' };
  const platforms = await api.get('/platforms').catch(() => []);
  const platform = h('select', { name: 'platform' }, h('option', { value: '' }, 'every platform'),
    platforms.map(p => h('option', { value: p.name, selected: p.name === filters.platform }, p.displayName || p.name)));
  const dataset = h('input', { type: 'text', name: 'dataset', value: filters.dataset, placeholder: 'any dataset', spellcheck: 'false' });
  const from = h('input', { type: 'date', name: 'from', value: filters.from });
  const to = h('input', { type: 'date', name: 'to', value: filters.to });
  const form = h('form', { class: 'filters', id: 'audit-filters' },
    h('label', {}, 'Platform', platform), h('label', {}, 'Dataset', dataset), h('label', {}, 'From (UTC)', from), h('label', {}, 'To (UTC)', to),
    h('button', { type: 'submit', class: 'primary' }, 'Apply'),
    h('button', { type: 'button', on: { click: () => ctx.navigate('#/audits') } }, 'Clear'));
  form.addEventListener('submit', e => {
    e.preventDefault();
    ctx.navigate(`#/audits${query({ platform: platform.value, dataset: dataset.value.trim(), from: from.value, to: to.value })}`);
  });
  const body = h('div', { id: 'audits' }, h('p', { class: 'loading' }, 'Loading…'));
  view.append(h('section', { class: 'card' }, h('h1', {}, 'Data audits'),
    h('p', { class: 'muted' }, 'The Auditor compares what each run delivered with the run before: a value that moves beyond its limit fails the audit (DataAuditFailed).'),
    form), body);

  let data;
  try {
    data = await api.get(`/data-audits${query({ platform: filters.platform, dataset: filters.dataset, from: filters.from, to: filters.to })}`);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) {
      fill(body, h('section', { class: 'card error', id: 'audits-missing' }, h('h2', {}, 'Data audits are not available'),
        h('p', {}, 'This Reporting service has no GET /data-audits endpoint (404): it runs a version without data-audit reporting. The rest of the console works without it.')));
      return;
    }
    if (e instanceof ApiError && e.status === 400) {
      fill(body, h('section', { class: 'card error' }, h('h2', {}, 'The filter is invalid'),
        h('ul', {}, Object.entries(e.errors).map(([k, v]) => h('li', {}, h('b', {}, k), ': ', [v].flat().join('; '))), e.problem.detail ? h('li', {}, e.problem.detail) : null)));
      return;
    }
    throw e;
  }

  const series = data?.series ?? [];
  const failures = [...(data?.failures ?? [])].sort((a, b) => String(b.measuredAt).localeCompare(String(a.measuredAt)));
  const failedCount = series.reduce((n, s) => n + s.points.filter(p => p.auditFailed).length, 0);
  fill(body,
    h('section', { class: 'card' },
      h('div', { class: 'spread' }, h('h2', {}, `Series (${series.length})`),
        h('span', { class: 'muted' }, `${fmt.number(series.reduce((n, s) => n + s.points.length, 0))} measurements, ${fmt.number(failedCount)} failed`)),
      series.length
        ? h('div', { class: 'audit-series' }, series.map(seriesCard))
        : h('p', { class: 'empty' }, 'No audited measurements for this filter yet.')),
    h('section', { class: 'card', id: 'audit-failures' },
      h('h2', {}, `Latest failed audits (${failures.length})`),
      table(['Measured', 'Platform', 'Dataset', 'Subject', 'Value', 'Previous', 'Change', 'Job'], failures.map(f => h('tr', {},
        h('td', {}, fmt.time(f.measuredAt)),
        h('td', {}, f.platform),
        h('td', {}, f.dataset),
        h('td', {}, f.subject),
        h('td', { class: 'num' }, fmt.number(f.value)),
        h('td', { class: 'num' }, fmt.number(f.previousValue)),
        h('td', { class: 'num' }, change(f.value, f.previousValue)),
        h('td', {}, f.rootJobId ? jobLink(f.rootJobId) : '-'))),
      { class: 'grid failures', empty: 'No audit failed.' })));
}

function change(value, previous) {
  if (value === null || value === undefined || previous === null || previous === undefined) return '-';
  if (Number(previous) === 0) return value === 0 ? '0 %' : 'new';
  const pct = (Number(value) - Number(previous)) / Math.abs(Number(previous)) * 100;
  return `${pct > 0 ? '+' : ''}${pct.toFixed(1)} %`;
}

function seriesCard(s) {
  const points = [...s.points].sort((a, b) => new Date(a.measuredAt) - new Date(b.measuredAt));
  const last = points[points.length - 1];
  const failed = points.filter(p => p.auditFailed).length;
  return h('div', { class: `audit-chart${failed ? ' has-failures' : ''}`, dataset: { series: `${s.platform}/${s.dataset}/${s.subject}` } },
    h('div', { class: 'spread' },
      h('div', { class: 'series-title' }, h('b', {}, s.dataset), ' · ', s.subject, h('div', { class: 'muted small' }, s.platform)),
      h('div', { class: 'series-last' }, h('b', {}, fmt.number(last?.value)),
        failed ? h('div', {}, h('span', { class: 'badge s-bad' }, `${failed} failed`)) : h('div', {}, h('span', { class: 'badge s-ok' }, 'ok')))),
    lineChart(points),
    last ? h('div', { class: 'muted small' }, `${points.length} run${points.length === 1 ? '' : 's'}, last `, fmt.time(last.measuredAt), ' · ',
      h('a', { href: `#/jobs/${last.rootJobId}` }, 'last job ›')) : null);
}

/** value over time as an SVG polyline with a dot per run; failed audits are red dots, each dot links to its job. */
function lineChart(points) {
  const width = 340;
  const height = 110;
  const pad = { left: 46, right: 8, top: 8, bottom: 18 };
  const svg = h('svg:svg', { class: 'chart', viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', 'aria-label': 'value over time' });
  if (!points.length) return svg;
  const times = points.map(p => new Date(p.measuredAt).getTime());
  const values = points.map(p => Number(p.value) || 0);
  let [t0, t1] = [Math.min(...times), Math.max(...times)];
  let [v0, v1] = [Math.min(...values), Math.max(...values)];
  if (t0 === t1) { t0 -= 1; t1 += 1; }
  if (v0 === v1) { v0 -= Math.max(1, Math.abs(v0) * 0.1); v1 += Math.max(1, Math.abs(v1) * 0.1); }
  const x = t => pad.left + (t - t0) / (t1 - t0) * (width - pad.left - pad.right);
  const y = v => pad.top + (1 - (v - v0) / (v1 - v0)) * (height - pad.top - pad.bottom);
  const baseline = height - pad.bottom;
  svg.append(
    h('svg:line', { class: 'axis', x1: pad.left, y1: baseline, x2: width - pad.right, y2: baseline }),
    h('svg:line', { class: 'axis', x1: pad.left, y1: pad.top, x2: pad.left, y2: baseline }),
    h('svg:text', { x: pad.left - 4, y: pad.top + 8, 'text-anchor': 'end' }, short(v1)),
    h('svg:text', { x: pad.left - 4, y: baseline, 'text-anchor': 'end' }, short(v0)),
    h('svg:text', { x: pad.left, y: height - 4 }, new Date(t0).toISOString().slice(5, 10)),
    h('svg:text', { x: width - pad.right, y: height - 4, 'text-anchor': 'end' }, new Date(t1).toISOString().slice(5, 10)));
  const d = points.map((p, i) => `${i ? 'L' : 'M'}${x(times[i]).toFixed(1)},${y(values[i]).toFixed(1)}`).join(' ');
  svg.append(h('svg:path', { class: 'line', d }));
  points.forEach((p, i) => {
    const dot = h('svg:circle', { class: p.auditFailed ? 'point-bad' : 'point', cx: x(times[i]).toFixed(1), cy: y(values[i]).toFixed(1), r: p.auditFailed ? 4 : 2.5 },
      h('svg:title', {}, `${fmt.time(p.measuredAt)}: ${fmt.number(p.value)} (before: ${fmt.number(p.previousValue)})${p.auditFailed ? ' - audit failed' : ''}`));
    svg.append(p.rootJobId ? h('svg:a', { href: `#/jobs/${p.rootJobId}` }, dot) : dot);
  });
  return svg;
}

function short(n) {
  const a = Math.abs(n);
  if (a >= 1e9) return `${(n / 1e9).toFixed(1)}G`;
  if (a >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (a >= 1e4) return `${(n / 1e3).toFixed(0)}k`;
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}
