// Start a job: the platform, its settings as a form generated from the platform's schema, the minimum success percent.
// ?platform=name preselects a platform; ?from=jobId prefills from that job (its audited settings, secrets masked: those are
// left empty and must be entered again).
import { api, ApiError } from '../api.js';
import { h, fill, card, fmt } from '../dom.js';
import { settingsForm, formField, showFieldErrors, clearFieldErrors, problemErrors } from '../settings-form.js';

export async function render(view, params, ctx) {
  if (!ctx.can('run')) {
    view.append(card(null, h('h1', {}, 'Start a job'),
      h('p', { class: 'notice' }, `Your key's role (${ctx.session?.role ?? 'unknown'}) may not start jobs. A key with the run operation can.`)));
    return;
  }

  let source = null;
  const [platforms] = await Promise.all([
    api.get('/platforms'),
    params.from ? api.get(`/jobs/${encodeURIComponent(params.from)}`).then(j => { source = j; }, e => { source = { error: e }; }) : null,
  ]);
  if (!platforms.length) {
    view.append(card(null, h('h1', {}, 'Start a job'), h('p', { class: 'muted' }, 'No platform is registered: is the Integrations service running?')));
    return;
  }

  const fromJob = source && !source.error ? source : null;
  const initialPlatform = fromJob?.platform ?? params.platform ?? platforms[0].name;
  const select = h('select', { name: 'platform' },
    platforms.map(p => h('option', { value: p.name, selected: p.name === initialPlatform }, `${p.displayName || p.name} (${p.name})`)));
  if (!platforms.some(p => p.name === initialPlatform)) select.append(h('option', { value: initialPlatform, selected: true }, `${initialPlatform} (unknown)`));
  const description = h('p', { class: 'platform-description muted' });
  const minSuccess = h('input', { type: 'number', name: 'minSuccessPercent', min: 0, max: 100, step: 'any', value: 0, inputmode: 'decimal' });
  const box = h('div', { class: 'form-error form-errors', hidden: true, role: 'alert' });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Start job');
  const settingsSlot = h('div', { class: 'settings-slot' });
  const notes = h('div', { class: 'notes' });
  const form = h('form', { class: 'card start-form', id: 'start-form', novalidate: true },
    h('div', { class: 'spread' }, h('h1', {}, 'Start a job'), h('a', { href: '#/jobs' }, 'All jobs ›')),
    notes,
    formField('platform', 'Platform', select, null, { required: true }),
    description,
    settingsSlot,
    formField('minSuccessPercent', 'Minimum success percent', minSuccess,
      'The job fails when fewer than this share of its children succeed (0 to 100; 0: it completes, with failures, whatever fails)'),
    box,
    h('div', { class: 'actions' }, submit, h('button', { type: 'button', on: { click: () => reset() } }, 'Reset to defaults')));
  view.append(form);

  if (source?.error) {
    notes.append(h('p', { class: 'notice bad' }, `Job ${params.from} could not be read to copy its settings: `,
      source.error instanceof ApiError ? `${source.error.problem.title ?? ''} ${source.error.problem.detail ?? ''}` : String(source.error)));
  } else if (fromJob) {
    notes.append(h('p', { class: 'notice' }, 'Settings copied from job ', h('a', { href: `#/jobs/${fromJob.id}` }, fmt.shortId(fromJob.id)),
      ` (${fromJob.platform}, started ${fmt.time(fromJob.startedAt)}). Secret settings are never shown: enter them again.`));
    if (!fromJob.settings) notes.append(h('p', { class: 'notice' }, 'The API did not return this job\'s settings: the defaults are shown.'));
  }

  let form$ = null;
  const build = (values, masked) => {
    const platform = platforms.find(p => p.name === select.value);
    fill(description, platform?.description ?? '');
    form$ = settingsForm(platform?.settings ?? [], { values, secretsMasked: masked });
    fill(settingsSlot, form$.element);
    clearFieldErrors(form, box);
  };
  const reset = () => build(null, false);
  build(fromJob?.platform === select.value ? fromJob.settings ?? null : null, Boolean(fromJob));
  select.addEventListener('change', () => build(null, false));

  form.addEventListener('submit', async e => {
    e.preventDefault();
    clearFieldErrors(form, box);
    const settings = form$.readOrShow(form, box);
    if (!settings) return;
    const percent = minSuccess.value.trim() === '' ? undefined : Number(minSuccess.value);
    submit.disabled = true;
    submit.textContent = 'Starting…';
    try {
      const { id } = await api.post('/jobs', { platform: select.value, settings, minSuccessPercent: percent });
      ctx.toast(`Job ${fmt.shortId(id)} started`, 'ok');
      ctx.navigate(`#/jobs/${id}`);
    } catch (x) {
      if (x instanceof ApiError && x.status === 400) showFieldErrors(form, problemErrors(x), box, x.problem.title);
      else ctx.fail(x);
    } finally {
      submit.disabled = false;
      submit.textContent = 'Start job';
    }
  });
}
