// The settings of a platform as a form, generated from the schema GET /platforms gives (never written by hand), and the
// placing of a 400 validation problem's field errors beside the fields they name. Values only ever go in as input values
// or text nodes; a secret is never prefilled (a masked "***" from the server is neither shown nor sent back).
import { h, clear } from './dom.js';

/** The error read() throws for input the browser can already tell is wrong (invalid JSON): same shape as a problem's errors. */
export class FieldErrors extends Error {
  constructor(errors) {
    super(Object.entries(errors).map(([k, v]) => `${k}: ${v.join(', ')}`).join('; '));
    this.errors = errors;
  }
}

const dateHint = 'An ISO date (2026-11-22) or a relative one: today, yesterday, 4 days back / 4 days ago. A schedule keeps it relative: it is resolved at each fire.';

/**
 * A field that validation errors can be placed beside: key is the problem's errors key (settings.children, cron, name).
 * The control is labelled by the field; hint and error text go below it.
 */
export function formField(key, label, control, hint, { required = false } = {}) {
  const id = control.id || `f-${key.replace(/[^A-Za-z0-9_-]/g, '-')}`;
  control.id = id;
  const labelEl = h('label', { class: 'field-label', for: id }, label, required ? h('span', { class: 'required', title: 'required' }, ' *') : null);
  return h('div', { class: 'field', dataset: { field: key } }, labelEl, control, hint ? h('span', { class: 'hint' }, hint) : null);
}

/** A checkbox field: the box before its label. */
function checkField(key, label, control, hint) {
  control.id = control.id || `f-${key.replace(/[^A-Za-z0-9_-]/g, '-')}`;
  return h('div', { class: 'field check', dataset: { field: key } },
    h('label', { class: 'check-label', for: control.id }, control, h('span', { class: 'field-label' }, label)),
    hint ? h('span', { class: 'hint' }, hint) : null);
}

function rangeHint(s) {
  if (s.minimum === null || s.minimum === undefined) return s.maximum === null || s.maximum === undefined ? '' : `at most ${fmtNum(s.maximum)}`;
  if (s.maximum === null || s.maximum === undefined) return `at least ${fmtNum(s.minimum)}`;
  return `${fmtNum(s.minimum)} to ${fmtNum(s.maximum)}`;
}

function fmtNum(n) { return Number(n).toLocaleString('en-US'); }

function join(...parts) { return parts.filter(Boolean).join(' · '); }

const label = name => name.replace(/_/g, ' ').replace(/^./, c => c.toUpperCase());

/**
 * settingsForm(schema, { values, secretsMasked }):
 *  - values: settings to prefill (a job's or a schedule's, secrets masked); absent ones get the schema's default;
 *  - secretsMasked: the values came from the server, where a secret shows as "***": such a field says it must be entered again.
 * Returns { element, read(), showErrors(errors, { root, box }) }.
 */
export function settingsForm(schema, { values = null, secretsMasked = false } = {}) {
  const controls = [];
  const box = h('div', { class: 'form-error form-errors', hidden: true, role: 'alert' });
  const fields = h('div', { class: 'settings-fields' });
  const element = h('fieldset', { class: 'settings' }, h('legend', {}, 'Settings'), box, fields);

  if (!schema?.length) fields.append(h('p', { class: 'muted' }, 'This platform has no settings.'));
  for (const s of schema ?? []) {
    const key = `settings.${s.name}`;
    const given = values && Object.hasOwn(values, s.name) && values[s.name] !== null ? values[s.name] : undefined;
    const initial = given !== undefined ? given : s.default ?? undefined;
    const name = s.name;
    let control;
    let read;
    let extra = '';

    if (s.secret) {
      control = h('input', { type: 'password', name, autocomplete: 'new-password', spellcheck: 'false' });
      extra = given !== undefined && secretsMasked
        ? 'A value is set but never shown: enter it again, or it is left out'
        : 'Secret: never shown again once sent; empty means not set';
      read = () => control.value === '' ? undefined : control.value;
    } else if (s.type === 'integer' || s.type === 'number') {
      control = h('input', {
        type: 'number', name, inputmode: s.type === 'integer' ? 'numeric' : 'decimal', step: s.type === 'integer' ? '1' : 'any',
        min: s.minimum ?? null, max: s.maximum ?? null, value: typeof initial === 'number' ? initial : null,
      });
      extra = rangeHint(s);
      read = () => {
        const text = control.value.trim();
        if (text === '') {
          // A number input holds '' for text it cannot read ('1e', '--'): say so rather than leave the setting out.
          if (control.validity?.badInput) throw new FieldErrors({ [key]: ['is not a number'] });
          return undefined;
        }
        return Number(text);
      };
    } else if (s.type === 'boolean') {
      control = h('input', { type: 'checkbox', name, checked: initial === true });
      read = () => control.checked;
    } else if (s.type === 'string' && s.allowedValues?.length) {
      const options = [];
      if (!s.required && (s.default === null || s.default === undefined)) options.push(h('option', { value: '' }, '(not set: the service default)'));
      for (const v of s.allowedValues) options.push(h('option', { value: v, selected: v === initial }, v));
      if (initial !== undefined && !s.allowedValues.includes(initial)) options.push(h('option', { value: String(initial), selected: true }, String(initial)));
      control = h('select', { name }, options);
      read = () => control.value === '' ? undefined : control.value;
    } else if (s.type === 'date') {
      control = h('input', { type: 'text', name, value: typeof initial === 'string' ? initial : null, placeholder: 'yesterday', spellcheck: 'false' });
      extra = dateHint;
      read = () => control.value.trim() === '' ? undefined : control.value.trim();
    } else if (s.type === 'string[]') {
      control = h('textarea', { name, rows: 4, spellcheck: 'false', placeholder: 'one per line' });
      control.value = Array.isArray(initial) ? initial.join('\n') : '';
      extra = 'One per line';
      read = () => {
        const list = control.value.split('\n').map(x => x.trim()).filter(Boolean);
        return list.length ? list : undefined;
      };
    } else if (s.type === 'object' || s.type === 'object[]') {
      control = h('textarea', { name, rows: 8, spellcheck: 'false', placeholder: s.type === 'object' ? '{ }' : '[ ]' });
      control.value = initial === undefined ? '' : JSON.stringify(initial, null, 2);
      extra = 'JSON';
      read = () => {
        const text = control.value.trim();
        if (text === '') return undefined;
        try {
          return JSON.parse(text);
        } catch (e) {
          throw new FieldErrors({ [key]: [`is not valid JSON: ${e.message}`] });
        }
      };
    } else {
      control = h('input', { type: 'text', name, value: typeof initial === 'string' ? initial : null, spellcheck: 'false' });
      read = () => control.value === '' ? undefined : control.value;
    }

    control.classList.add('setting');
    const defaultHint = !s.secret && s.default !== null && s.default !== undefined && s.type !== 'boolean'
      ? `default ${typeof s.default === 'string' ? (s.default === '' ? '(empty)' : s.default) : JSON.stringify(s.default)}` : '';
    const hint = join(s.description, extra, defaultHint);
    const title = `${label(s.name)}`;
    const f = s.type === 'boolean' && !s.secret
      ? checkField(key, title, control, hint)
      : formField(key, title, control, hint, { required: s.required });
    f.querySelector('.field-label')?.append(' ', h('code', { class: 'setting-name' }, s.name));
    fields.append(f);
    // A value equal to the schema's default that the given values did not hold is left out: the server fills defaults in,
    // and a schedule keeps following the platform's default rather than a copy of it.
    const isDefault = v => given === undefined && s.default !== null && s.default !== undefined && JSON.stringify(v) === JSON.stringify(s.default);
    controls.push({ name: s.name, key, read, isDefault });
  }

  return {
    element,
    /** The settings to send: only the fields that have a value. Throws FieldErrors for what cannot be read (invalid JSON). */
    read() {
      const settings = {};
      const errors = {};
      for (const c of controls) {
        try {
          const v = c.read();
          if (v !== undefined && !c.isDefault(v)) settings[c.name] = v;
        } catch (e) {
          if (e instanceof FieldErrors) Object.assign(errors, e.errors);
          else throw e;
        }
      }
      if (Object.keys(errors).length) throw new FieldErrors(errors);
      return settings;
    },
    /** read(), or null once what cannot be read is marked beside its fields (in root, the rest in box). */
    readOrShow(root, box) {
      try {
        return this.read();
      } catch (e) {
        if (!(e instanceof FieldErrors)) throw e;
        showFieldErrors(root, e.errors, box);
        return null;
      }
    },
    /** Places a 400 problem's errors beside their fields, in root (default: this form); the rest go in box (default: this form's own). */
    showErrors(errors, options = {}) {
      showFieldErrors(options.root ?? element, errors, options.box ?? box, options.title);
    },
    /** The setting names, to show which the schema knows. */
    names: controls.map(c => c.name),
  };
}

/** Removes the field errors placed in root and empties box. */
export function clearFieldErrors(root, box) {
  for (const e of root.querySelectorAll('.field-error')) e.remove();
  for (const f of root.querySelectorAll('.field.invalid')) f.classList.remove('invalid');
  for (const c of root.querySelectorAll('[aria-invalid]')) c.removeAttribute('aria-invalid');
  if (box) { clear(box); box.hidden = true; }
}

/**
 * Places each errors entry ({ "settings.children": ["must be at least 0"], cron: [...] }) beside the field whose data-field
 * names it (settings.vendor_definition.fields.x.pattern goes to settings.vendor_definition); entries that name no field go in box.
 * Previous errors are cleared first. Returns the first invalid field, for focus.
 */
export function showFieldErrors(root, errors, box, title) {
  clearFieldErrors(root, box);
  const fields = [...root.querySelectorAll('.field[data-field]')];
  let first = null;
  const leftover = [];
  for (const [key, messages] of Object.entries(errors ?? {})) {
    const list = Array.isArray(messages) ? messages : [String(messages)];
    const k = key.toLowerCase();
    const f = fields
      .filter(x => { const name = x.dataset.field.toLowerCase(); return k === name || k.startsWith(`${name}.`) || k.startsWith(`${name}[`); })
      .sort((a, b) => b.dataset.field.length - a.dataset.field.length)[0];
    if (!f) { leftover.push([key, list]); continue; }
    f.classList.add('invalid');
    const control = f.querySelector('input, select, textarea');
    control?.setAttribute('aria-invalid', 'true');
    const where = k === f.dataset.field.toLowerCase() ? '' : `${key.slice(f.dataset.field.length).replace(/^\./, '')}: `;
    let anchor = control;
    while (anchor && anchor.parentElement !== f) anchor = anchor.parentElement;
    f.insertBefore(h('div', { class: 'field-error', role: 'alert' }, `${where}${list.join('; ')}`), anchor ? anchor.nextSibling : null);
    first ??= f;
  }
  if (box && (leftover.length || (title && first))) {
    if (title) box.append(h('b', {}, title), first ? ': see the marked fields.' : '');
    if (leftover.length) box.append(h('ul', {}, leftover.map(([key, list]) => h('li', {}, key ? h('b', {}, key) : null, key ? ': ' : '', list.join('; ')))));
    box.hidden = false;
  }
  first?.querySelector('input, select, textarea')?.focus();
  return first;
}

/**
 * The field errors of an API error: a validation problem's errors; else the Scheduler's refusal ("schedule 'x': cron: '...' is not
 * a Quartz cron expression; timeZone: ...") split into its fields; else the problem's title and detail under the key ''.
 */
export function problemErrors(error) {
  const errors = error?.errors ?? {};
  if (Object.keys(errors).length) return errors;
  const detail = error?.problem?.detail ?? '';
  const m = /^schedule '.*?': (.+)$/s.exec(detail);
  if (m) {
    const parsed = {};
    for (const part of m[1].split('; ')) {
      const p = /^([A-Za-z]+): (.+)$/s.exec(part);
      if (!p) return { '': [`${error.problem.title ?? 'Error'}: ${detail}`] };
      (parsed[p[1]] ??= []).push(p[2]);
    }
    return parsed;
  }
  const title = error?.problem?.title ?? String(error?.message ?? error);
  return { '': [detail ? `${title}: ${detail}` : title] };
}
