// DOM building without HTML strings: every value a job carries is user input, so text only ever goes in as text nodes
// (textContent), attributes through setAttribute. Nothing here parses markup.

/** h('a', { href: '#/x', class: 'btn', on: { click: fn } }, 'text', childNode, [more]) */
export function h(tag, props, ...children) {
  const el = tag.includes(':') ? document.createElementNS('http://www.w3.org/2000/svg', tag.split(':')[1]) : document.createElement(tag);
  for (const [name, value] of Object.entries(props ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === 'on') for (const [event, handler] of Object.entries(value)) el.addEventListener(event, handler);
    else if (name === 'dataset') Object.assign(el.dataset, value);
    else if (name === 'text') el.textContent = String(value);
    else if (name === 'value' && 'value' in el) el.value = String(value);
    else if (name === 'checked' || name === 'disabled' || name === 'selected') el[name] = Boolean(value);
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

/** Replaces the content of el. */
export function fill(el, ...children) {
  return append(clear(el), children);
}

export const fmt = {
  number(n) { return n === null || n === undefined ? '-' : Number(n).toLocaleString('en-US'); },
  percent(x, digits = 1) { return x === null || x === undefined ? '-' : `${(x * 100).toFixed(digits)} %`; },
  time(iso) {
    if (!iso) return '-';
    const d = new Date(iso);
    return `${d.toISOString().slice(0, 10)} ${d.toISOString().slice(11, 19)} UTC`;
  },
  ago(iso) {
    if (!iso) return '-';
    const s = Math.round((Date.now() - new Date(iso).getTime()) / 1000);
    if (Math.abs(s) < 60) return s >= 0 ? `${s} s ago` : `in ${-s} s`;
    const m = Math.round(s / 60);
    if (Math.abs(m) < 60) return m >= 0 ? `${m} min ago` : `in ${-m} min`;
    const hours = Math.round(m / 60);
    if (Math.abs(hours) < 48) return hours >= 0 ? `${hours} h ago` : `in ${-hours} h`;
    return fmt.time(iso);
  },
  duration(ms) {
    if (ms === null || ms === undefined) return '-';
    if (ms < 1000) return `${Math.round(ms)} ms`;
    const s = ms / 1000;
    if (s < 60) return `${s.toFixed(1)} s`;
    const m = Math.floor(s / 60);
    if (m < 60) return `${m} min ${Math.round(s % 60)} s`;
    return `${Math.floor(m / 60)} h ${m % 60} min`;
  },
  // The last digits: the first ones of ids made by one process are the same (NewId puts its clock and sequence at the end).
  bytes(n) {
    if (n === null || n === undefined) return '-';
    return n < 1024 ? `${n} B` : n < 1048576 ? `${(n / 1024).toFixed(1)} KB` : `${(n / 1048576).toFixed(1)} MB`;
  },
  shortId(id) { return id ? `…${String(id).slice(-8)}` : '-'; },
};

/** A status badge: the class is derived from a fixed list, never from the text itself. */
const knownStatuses = ['Pending', 'Running', 'Completed', 'CompletedWithFailures', 'Failed', 'Cancelled', 'Waiting', 'Cancelling'];
export function badge(status) {
  const known = knownStatuses.includes(status) ? status : 'other';
  return h('span', { class: `badge s-${known}` }, status === 'CompletedWithFailures' ? 'Completed with failures' : status ?? '-');
}

export function progressBar(percent, label) {
  const p = Math.max(0, Math.min(100, Number(percent) || 0));
  const bar = h('div', { class: 'progress', role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-valuenow': p.toFixed(1) },
    h('div', { class: 'progress-fill' }), h('span', { class: 'progress-label' }, label ?? `${p.toFixed(1)} %`));
  bar.firstChild.style.width = `${p}%`;
  return bar;
}

export function table(headers, rows, options = {}) {
  return h('table', { class: options.class ?? 'grid' },
    h('thead', {}, h('tr', {}, headers.map(x => h('th', {}, x)))),
    h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', { colspan: headers.length, class: 'empty' }, options.empty ?? 'Nothing here.'))));
}

export function card(title, ...body) {
  return h('section', { class: 'card' }, title ? h('h2', {}, title) : null, body);
}

export function field(label, control, hint) {
  return h('label', { class: 'field' }, h('span', { class: 'field-label' }, label), control, hint ? h('span', { class: 'hint' }, hint) : null);
}

/** Pager: page counts from 1. */
export function pager(page, pageSize, total, go) {
  const pages = Math.max(1, Math.ceil(total / pageSize));
  return h('div', { class: 'pager' },
    h('button', { type: 'button', disabled: page <= 1, on: { click: () => go(page - 1) } }, '‹ Previous'),
    h('span', {}, `Page ${page} of ${pages} (${fmt.number(total)})`),
    h('button', { type: 'button', disabled: page >= pages, on: { click: () => go(page + 1) } }, 'Next ›'));
}

/** A link to a job's page, showing its short id (the whole id on hover). */
export function jobLink(id, attributes = {}) {
  return h('a', { href: `#/jobs/${id}`, class: 'mono', title: id, ...attributes }, fmt.shortId(id));
}
