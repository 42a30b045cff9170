// One schedule: its definition and state, the fires that could not start their job, the actions, the editor (PUT), and its
// runs (its root jobs, newest first, paged).
import { api, query } from '../api.js';
import { h, fill, fmt, badge, table, pager, jobLink } from '../dom.js';
import { stateBadge, scheduleActions, scheduleEditor, listSchedules, enc, when, misfires, overlaps } from '../schedule-parts.js';

const pageSize = 20;

export async function render(view, params, ctx) {
  const name = params.name;
  const head = h('div');
  const detailsCard = h('section', { class: 'card', id: 'schedule-details' });
  const editCard = h('section', { class: 'card', id: 'schedule-edit', hidden: true });
  const runsCard = h('section', { class: 'card', id: 'schedule-runs' });
  view.append(head, detailsCard, editCard, runsCard);
  let platforms = null;
  let current = null;
  let runsPage = Number(params.page) > 0 ? Number(params.page) : 1;

  const load = async () => {
    const schedules = await listSchedules();
    current = schedules.find(s => s.schedule.name === name) ?? null;
    if (!current) {
      fill(head);
      fill(detailsCard, h('h1', {}, name), h('p', { class: 'notice bad' }, 'No schedule of this name: it may have been deleted. '),
        h('a', { href: '#/schedules' }, '‹ All schedules'));
      return false;
    }
    const s = current;
    const spec = s.schedule;
    fill(head, h('div', { class: 'spread page-head' },
      h('div', {}, h('a', { href: '#/schedules', class: 'muted' }, '‹ Schedules'), h('h1', {}, spec.name, ' ', stateBadge(s.state))),
      h('div', { class: 'actions' },
        scheduleActions(s, ctx, async kind => {
          if (kind === 'deleted') { ctx.navigate('#/schedules'); return; }
          await load();
          if (kind === 'triggered') setTimeout(() => loadRuns().catch(() => {}), 1500);
        }, { small: false }),
        ctx.can('manage') ? h('button', { type: 'button', id: 'edit-schedule', on: { click: () => openEditor() } }, 'Edit') : null,
        ctx.can('manage') ? h('a', { class: 'button', href: `#/schedules?new=1&from=${enc(spec.name)}` }, 'Copy') : null,
        ctx.can('run') ? h('a', { class: 'button', href: `#/start${query({ platform: spec.platform })}` }, 'Start a one-off job') : null)));

    const misfireText = [h('b', {}, spec.misfire), ': ', misfires.find(([v]) => v === spec.misfire)?.[1] ?? ''];
    const overlapText = [h('b', {}, spec.overlap), ': ', overlaps.find(([v]) => v === spec.overlap)?.[1] ?? ''];
    const failed = s.failedFires ?? [];
    fill(detailsCard,
      h('h2', {}, 'Definition'),
      h('dl', { class: 'facts', id: 'schedule-facts' },
        h('dt', {}, 'Platform'), h('dd', {}, spec.platform),
        h('dt', {}, 'Cron'), h('dd', {}, h('code', { id: 'schedule-cron' }, spec.cron), ' in ', spec.timeZone),
        h('dt', {}, 'State'), h('dd', {}, stateBadge(s.state), spec.enabled ? '' : ' (stored paused)'),
        h('dt', {}, 'Next fire'), h('dd', {}, s.state === 'Paused' ? 'paused: no fire until resumed' : when(s.nextFireAt)),
        h('dt', {}, 'Previous fire'), h('dd', {}, when(s.previousFireAt)),
        h('dt', {}, 'Misfire'), h('dd', {}, misfireText, spec.misfire === 'catch_up' ? ` (max catch-up: ${spec.maxCatchUp ?? 10})` : ''),
        h('dt', {}, 'Overlap'), h('dd', {}, overlapText),
        h('dt', {}, 'Settings'), h('dd', {}, h('pre', { class: 'json' }, JSON.stringify(spec.settings ?? {}, null, 2)),
          h('span', { class: 'hint muted' }, 'Secrets show as ***; relative dates are resolved at each fire.'))),
      h('h3', {}, `Failed fires (${failed.length})`),
      failed.length
        ? table(['Scheduled for', 'Job that never ran', 'Failed at', 'Error'], failed.map(f => h('tr', {},
          h('td', {}, fmt.time(f.scheduledAt)), h('td', { class: 'mono' }, fmt.shortId(f.rootJobId)), h('td', {}, fmt.time(f.failedAt)),
          h('td', { class: 'wrap' }, f.error ?? ''))), { class: 'grid failed-fires' })
        : h('p', { class: 'muted' }, 'Every fire started its job.'));
    return true;
  };

  const openEditor = async () => {
    platforms ??= await api.get('/platforms');
    editCard.hidden = false;
    fill(editCard, h('h2', {}, 'Edit'),
      scheduleEditor({
        platforms, existing: current,
        saved: async () => {
          ctx.toast(`Schedule ${name} saved`, 'ok');
          editCard.hidden = true;
          fill(editCard);
          await load();
        },
        cancel: () => { editCard.hidden = true; fill(editCard); },
      }));
    editCard.scrollIntoView({ block: 'start' });
  };

  const loadRuns = async () => {
    const runs = await api.get(`/jobs${query({ schedule: name, page: runsPage, pageSize })}`);
    const rows = runs.items.map(j => h('tr', {},
      h('td', {}, jobLink(j.id)),
      h('td', {}, badge(j.status)),
      h('td', { class: 'num' }, fmt.number(j.children?.total)),
      h('td', { class: 'num' }, fmt.number(j.children?.completed)),
      h('td', { class: 'num' }, j.children?.failed ? h('span', { class: 'bad-text' }, fmt.number(j.children.failed)) : '0'),
      h('td', {}, fmt.time(j.startedAt)),
      h('td', { class: 'num' }, fmt.duration(j.durationMs)),
      h('td', { class: 'wrap' }, j.error ?? '')));
    fill(runsCard,
      h('div', { class: 'spread' }, h('h2', {}, 'Runs'),
        h('div', { class: 'actions' }, h('a', { href: `#/jobs${query({ schedule: name })}` }, 'In the jobs list ›'),
          h('button', { type: 'button', class: 'small', on: { click: () => loadRuns().catch(ctx.fail) } }, 'Refresh'))),
      table(['Job', 'Status', 'Children', 'Completed', 'Failed', 'Started', 'Duration', 'Error'], rows,
        { class: 'grid runs', empty: 'No runs yet: the schedule has not fired (or its runs are older than the audit trail keeps).' }),
      runs.total > pageSize ? pager(runs.page, runs.pageSize, runs.total, p => { runsPage = p; loadRuns().catch(ctx.fail); }) : null);
  };

  // The runs of a deleted schedule stay in the audit trail: they are listed either way.
  const found = await load();
  await loadRuns();
  if (found && params.edit && ctx.can('manage')) await openEditor();
  const timer = setInterval(() => {
    if (document.hidden || !current || !editCard.hidden) return;
    load().then(ok => ok && loadRuns()).catch(() => {});
  }, 30_000);
  return () => clearInterval(timer);
}
