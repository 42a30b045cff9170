// The schedules: one row each with its cron, next and previous fire, state, policies and failed fires; pause / resume,
// trigger now and delete for a manage role. ?new=1 opens the editor for a new schedule (?new=1&from=name: a copy of one).
import { api } from '../api.js';
import { h, fill, table } from '../dom.js';
import { stateBadge, scheduleActions, scheduleEditor, listSchedules, enc, when } from '../schedule-parts.js';

export async function render(view, params, ctx) {
  const creating = params.new && ctx.can('manage');
  const listCard = h('section', { class: 'card', id: 'schedules' });
  const editorSlot = h('div');
  view.append(editorSlot, listCard);

  const load = async () => {
    const schedules = await listSchedules();
    const rows = schedules.map(s => {
      const spec = s.schedule;
      const failed = s.failedFires?.length ?? 0;
      return h('tr', { dataset: { schedule: spec.name } },
        h('td', {}, h('a', { href: `#/schedules/${enc(spec.name)}`, class: 'schedule-link' }, spec.name)),
        h('td', {}, spec.platform),
        h('td', { class: 'cron' }, h('code', {}, spec.cron), h('div', { class: 'muted small' }, spec.timeZone)),
        h('td', { class: 'next-fire' }, isPausedText(s) ? h('span', { class: 'muted' }, 'paused') : when(s.nextFireAt)),
        h('td', {}, when(s.previousFireAt)),
        h('td', { class: 'state' }, stateBadge(s.state)),
        h('td', {}, h('div', {}, 'overlap ', h('b', {}, spec.overlap)), h('div', {}, 'misfire ', h('b', {}, spec.misfire),
          spec.misfire === 'catch_up' ? ` (max ${spec.maxCatchUp ?? 10})` : '')),
        h('td', { class: 'num' }, failed ? h('a', { href: `#/schedules/${enc(spec.name)}`, class: 'bad-text', title: 'fires that could not start their job' }, String(failed)) : '0'),
        ctx.can('manage') ? h('td', { class: 'row-actions' }, scheduleActions(s, ctx, () => load().catch(ctx.fail))) : null);
    });
    const headers = ['Name', 'Platform', 'Cron', 'Next fire', 'Previous fire', 'State', 'Policies', 'Failed fires'];
    if (ctx.can('manage')) headers.push('Actions');
    fill(listCard,
      h('div', { class: 'spread' }, h('h1', {}, 'Schedules'),
        h('div', { class: 'actions' },
          h('button', { type: 'button', on: { click: () => load().catch(ctx.fail) } }, 'Refresh'),
          ctx.can('manage') ? h('button', { type: 'button', class: 'primary', id: 'new-schedule', on: { click: () => ctx.navigate('#/schedules?new=1') } }, 'New schedule') : null)),
      h('p', { class: 'muted' }, `${schedules.length} schedule${schedules.length === 1 ? '' : 's'}; times in UTC. `,
        ctx.can('manage') ? '' : 'Your role may read schedules, not change them.'),
      table(headers, rows, { empty: 'No schedules yet.' }));
  };

  if (creating) {
    const [platforms, all] = await Promise.all([api.get('/platforms'), params.from ? listSchedules() : null]);
    const copy = params.from ? all.find(s => s.schedule.name === params.from) ?? null : null;
    editorSlot.append(h('section', { class: 'card' },
      h('h1', {}, copy ? `New schedule, copied from ${copy.schedule.name}` : 'New schedule'),
      scheduleEditor({
        platforms, copy,
        saved: spec => { ctx.toast(`Schedule ${spec.name} created`, 'ok'); ctx.navigate(`#/schedules/${enc(spec.name)}`); },
        cancel: () => ctx.navigate('#/schedules'),
      })));
  } else if (params.new) {
    editorSlot.append(h('p', { class: 'notice' }, 'Your role may not create schedules.'));
  }
  await load();
  const timer = setInterval(() => { if (!document.hidden && !creating) load().catch(() => {}); }, 30_000);
  return () => clearInterval(timer);
}

const isPausedText = s => s.state === 'Paused';

