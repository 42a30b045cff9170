// What the schedules list and a schedule's page share: the state badge, the actions (pause / resume, trigger now, delete)
// and the editor (create or replace: PUT /schedules/{name}).
import { api, ApiError } from './api.js';
import { h, fill, fmt } from './dom.js';
import { settingsForm, formField, showFieldErrors, clearFieldErrors, problemErrors } from './settings-form.js';

/** The allowed values of ScheduleMisfire / ScheduleOverlap (shared/Contracts), with what each does. */
export const misfires = [
  ['skip', 'missed fire times are skipped: the next run is the next fire time'],
  ['fire_once_now', 'one run as soon as possible for what was missed, then on schedule'],
  ['catch_up', 'every missed fire time runs, oldest first, each as its own job (at most max catch-up, the latest ones)'],
];
export const overlaps = [
  ['skip', 'no new run while the previous run of this schedule still runs'],
  ['allow', 'runs may overlap'],
];

/** A select of policy values whose hint tells what the chosen one does. */
function policySelect(name, choices, value, hint) {
  const select = h('select', { name }, choices.map(([v]) => h('option', { value: v, selected: v === value }, v)));
  const show = () => { hint.textContent = choices.find(([v]) => v === select.value)?.[1] ?? ''; };
  select.addEventListener('change', show);
  show();
  return select;
}

export const enc = encodeURIComponent;

/** Quartz trigger states: Normal, Paused, Blocked (a run is executing), Error, Complete, None. */
export function stateBadge(state) {
  const known = { Normal: ['enabled', 'st-normal'], Paused: ['paused', 'st-paused'], Blocked: ['blocked: firing', 'st-blocked'], Error: ['error', 'st-error'] };
  const [text, cls] = known[state] ?? [String(state ?? '-').toLowerCase(), 'st-other'];
  return h('span', { class: `badge ${cls}`, title: `Quartz trigger state: ${state}` }, text);
}

export const isPaused = s => s.state === 'Paused';

export async function listSchedules() {
  return api.get('/schedules');
}

/**
 * The buttons for one schedule, for a manage role only (else null). after(kind) runs once an action succeeded
 * (kind: paused, resumed, triggered, deleted), after the toast.
 */
export function scheduleActions(s, ctx, after, { small = true } = {}) {
  if (!ctx.can('manage')) return null;
  const name = s.schedule.name;
  const cls = small ? 'small' : '';
  const run = (button, label, action, kind, message) => async () => {
    button.disabled = true;
    try {
      await action();
      ctx.toast(message, 'ok');
      await after(kind);
    } catch (e) {
      ctx.fail(e);
    } finally {
      button.disabled = false;
    }
  };
  const pause = h('button', { type: 'button', class: cls, dataset: { action: 'pause' } }, 'Pause');
  const resume = h('button', { type: 'button', class: cls, dataset: { action: 'resume' } }, 'Resume');
  const trigger = h('button', { type: 'button', class: cls, dataset: { action: 'trigger' }, title: 'Fire once now (the overlap policy still applies)' }, 'Trigger now');
  const del = h('button', { type: 'button', class: `${cls} danger`, dataset: { action: 'delete' } }, 'Delete');
  pause.addEventListener('click', run(pause, 'Pause', () => api.post(`/schedules/${enc(name)}/pause`), 'paused', `Schedule ${name} paused`));
  resume.addEventListener('click', run(resume, 'Resume', () => api.post(`/schedules/${enc(name)}/resume`), 'resumed', `Schedule ${name} resumed`));
  trigger.addEventListener('click', run(trigger, 'Trigger', () => api.post(`/schedules/${enc(name)}/trigger`), 'triggered', `Schedule ${name} fired: its run appears among its runs`));
  const doDelete = run(del, 'Delete', () => api.del(`/schedules/${enc(name)}`), 'deleted', `Schedule ${name} deleted`);
  del.addEventListener('click', () => {
    if (confirm(`Delete the schedule "${name}"? Its runs stay in the audit trail; the schedule itself cannot be restored.`)) doDelete();
  });
  return h('div', { class: 'actions' }, isPaused(s) ? resume : pause, trigger, del);
}

function withHint(field, hint) {
  field.append(hint);
  return field;
}

let zones = null;
function timeZones() {
  if (!zones) {
    try { zones = Intl.supportedValuesOf('timeZone'); } catch { zones = []; }
    if (!zones.includes('UTC')) zones = ['UTC', ...zones];
  }
  return zones;
}

/**
 * The schedule editor: creating (existing null: with a name field) or replacing existing (a ScheduleState). copy: a
 * ScheduleState to prefill a new schedule from. saved(spec) runs after a successful PUT.
 */
export function scheduleEditor({ platforms, existing = null, copy = null, saved, cancel }) {
  const base = existing ?? copy;
  const spec = base?.schedule ?? { name: '', cron: '0 0 * * * ?', timeZone: 'UTC', platform: platforms[0]?.name, settings: {}, misfire: 'skip', overlap: 'skip', enabled: true, maxCatchUp: null };
  const nameInput = h('input', { type: 'text', name: 'name', value: copy ? `${spec.name}-copy` : null, placeholder: 'nightly-reddit', maxlength: 100, spellcheck: 'false', autocomplete: 'off' });
  const platform = h('select', { name: 'platform' }, platforms.map(p => h('option', { value: p.name, selected: p.name === spec.platform }, `${p.displayName || p.name} (${p.name})`)));
  if (!platforms.some(p => p.name === spec.platform) && spec.platform) platform.append(h('option', { value: spec.platform, selected: true }, `${spec.platform} (unknown)`));
  const cron = h('input', { type: 'text', name: 'cron', value: spec.cron, spellcheck: 'false', autocomplete: 'off', class: 'mono' });
  const listId = 'time-zones';
  const timeZone = h('input', { type: 'text', name: 'timeZone', value: spec.timeZone, list: listId, spellcheck: 'false', autocomplete: 'off' });
  const zoneList = h('datalist', { id: listId }, timeZones().map(z => h('option', { value: z })));
  const misfireHint = h('span', { class: 'hint policy-hint' });
  const overlapHint = h('span', { class: 'hint policy-hint' });
  const misfire = policySelect('misfire', misfires, spec.misfire, misfireHint);
  const overlap = policySelect('overlap', overlaps, spec.overlap, overlapHint);
  const enabled = h('input', { type: 'checkbox', name: 'enabled', checked: spec.enabled !== false, id: 'f-enabled' });
  const maxCatchUp = h('input', { type: 'number', name: 'maxCatchUp', min: 0, max: 1000, step: 1, value: spec.maxCatchUp ?? null, placeholder: '10' });
  const catchUpField = formField('maxCatchUp', 'Max catch-up', maxCatchUp, 'Under catch_up: at most this many missed fire times are run, the latest ones (0 to 1000; empty: 10)');
  const box = h('div', { class: 'form-error form-errors', hidden: true, role: 'alert' });
  const save = h('button', { type: 'submit', class: 'primary' }, existing ? 'Save changes' : 'Create schedule');
  const settingsSlot = h('div', { class: 'settings-slot' });
  const secretNote = h('p', { class: 'notice', hidden: true }, 'Secret settings are never shown: enter them again, or the schedule is saved without them.');

  const form = h('form', { class: 'schedule-editor', id: 'schedule-editor', novalidate: true },
    existing ? null : formField('name', 'Name', nameInput, "Letters, digits, '-', '_' and '.'; at most 100 characters", { required: true }),
    h('div', { class: 'form-row' },
      formField('cron', 'Cron', cron, 'Quartz, seconds first: "0 0 * * * ?" every hour, "0 */15 * * * ?" every 15 minutes, "0 30 2 ? * MON-FRI" 02:30 on weekdays', { required: true }),
      formField('timeZone', 'Time zone', timeZone, 'IANA name: the cron and relative dates are read in it'), zoneList),
    h('div', { class: 'form-row' },
      withHint(formField('misfire', 'Misfire', misfire, 'Fire times missed while no Scheduler ran, its store was down or the schedule was paused:'), misfireHint),
      withHint(formField('overlap', 'Overlap', overlap, 'While the previous run of this schedule is still running:'), overlapHint),
      catchUpField),
    h('div', { class: 'field check', dataset: { field: 'enabled' } },
      h('label', { class: 'check-label', for: 'f-enabled' }, enabled, h('span', { class: 'field-label' }, 'Enabled')),
      h('span', { class: 'hint' }, 'Unchecked: the schedule is stored paused')),
    formField('platform', 'Platform', platform, null, { required: true }),
    secretNote,
    settingsSlot,
    box,
    h('div', { class: 'actions' }, save, cancel ? h('button', { type: 'button', on: { click: cancel } }, 'Cancel') : null));

  let settings$ = null;
  const build = values => {
    const p = platforms.find(x => x.name === platform.value);
    settings$ = settingsForm(p?.settings ?? [], { values, secretsMasked: Boolean(values) });
    fill(settingsSlot, settings$.element);
    secretNote.hidden = !(values && (p?.settings ?? []).some(s => s.secret && values[s.name] !== undefined && values[s.name] !== null));
  };
  build(base ? spec.settings ?? {} : null);
  platform.addEventListener('change', () => build(platform.value === spec.platform && base ? spec.settings ?? {} : null));
  const showCatchUp = () => { catchUpField.hidden = misfire.value !== 'catch_up'; };
  misfire.addEventListener('change', showCatchUp);
  showCatchUp();

  form.addEventListener('submit', async e => {
    e.preventDefault();
    clearFieldErrors(form, box);
    const name = existing ? spec.name : nameInput.value.trim();
    const values = settings$.readOrShow(form, box);
    if (!values) return;
    if (!name) { showFieldErrors(form, { name: ['is required'] }, box); return; }
    const body = {
      cron: cron.value.trim(), platform: platform.value, settings: values, timeZone: timeZone.value.trim() || 'UTC',
      misfire: misfire.value, overlap: overlap.value, enabled: enabled.checked,
      maxCatchUp: misfire.value === 'catch_up' && maxCatchUp.value.trim() !== '' ? Number(maxCatchUp.value) : null,
    };
    save.disabled = true;
    try {
      const result = await api.put(`/schedules/${enc(name)}`, body);
      await saved(result ?? { name, ...body });
    } catch (x) {
      // A 400 goes beside its fields; anything else (403, 503: the Scheduler did not answer) in the form's error box.
      if (x instanceof ApiError && x.status === 400) showFieldErrors(form, problemErrors(x), box, x.problem.title);
      else showFieldErrors(form, { '': Object.values(problemErrors(x)).flat() }, box);
    } finally {
      save.disabled = false;
    }
  });

  if (!existing) setTimeout(() => nameInput.focus(), 0);
  return form;
}

/** Relative time over the UTC time (just the time when it is too far for a relative one). */
export function when(iso) {
  if (!iso) return h('span', { class: 'muted' }, '-');
  const ago = fmt.ago(iso);
  const time = fmt.time(iso);
  return ago === time ? h('span', {}, time) : h('span', { title: time }, ago, h('div', { class: 'muted small' }, time));
}
