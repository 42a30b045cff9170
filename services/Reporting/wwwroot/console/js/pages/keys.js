// API keys (manage only): the list, a form that creates one and shows it once, and revoking.
import { api, ApiError } from '../api.js';
import { h, fill, fmt, table } from '../dom.js';
import { formField, showFieldErrors, clearFieldErrors, problemErrors } from '../settings-form.js';

const roles = [
  ['user', 'user: reads (by default bindings)'],
  ['service', 'service: reads and starts jobs'],
  ['internal', 'internal: reads, starts, manages schedules and keys'],
];

export async function render(view, params, ctx) {
  if (!ctx.can('manage')) {
    view.append(h('section', { class: 'card' }, h('h1', {}, 'API keys'), h('p', { class: 'notice' }, `Your key's role (${ctx.session?.role ?? 'unknown'}) may not manage keys.`)));
    return;
  }

  const shown = h('div', { id: 'new-key-slot' });
  const listCard = h('section', { class: 'card', id: 'keys' });
  const nameInput = h('input', { type: 'text', name: 'name', maxlength: 200, placeholder: 'nightly export script', autocomplete: 'off' });
  const role = h('select', { name: 'role' }, roles.map(([v, text]) => h('option', { value: v, selected: v === 'user' }, text)));
  const box = h('div', { class: 'form-error form-errors', hidden: true, role: 'alert' });
  const create = h('button', { type: 'submit', class: 'primary' }, 'Create key');
  const form = h('form', { class: 'card key-form', id: 'key-form', novalidate: true },
    h('h2', {}, 'New key'),
    h('div', { class: 'form-row' },
      formField('name', 'Name', nameInput, 'Who or what uses it: shown in the list and as the session name', { required: true }),
      formField('role', 'Role', role, 'What the key may do: the operations the Security:Bindings configuration binds to the role')),
    box,
    h('div', { class: 'actions' }, create));
  view.append(shown, form, listCard);

  const load = async () => {
    const keys = await api.get('/keys');
    fill(listCard,
      h('div', { class: 'spread' }, h('h1', {}, 'API keys'), h('span', { class: 'muted' }, `${keys.length} stored key${keys.length === 1 ? '' : 's'}`)),
      h('p', { class: 'muted' }, 'Keys are stored hashed: a key cannot be shown again, only revoked and replaced. The administrator key of the configuration is not listed.'),
      table(['Name', 'Role', 'Created', 'Id', ''], keys.map(k => h('tr', { dataset: { key: k.id } },
        h('td', {}, k.name),
        h('td', {}, h('span', { class: `badge role-${roles.some(([r]) => r === k.role) ? k.role : 'other'}` }, k.role)),
        h('td', { title: fmt.time(k.createdAt) }, fmt.time(k.createdAt)),
        h('td', { class: 'mono' }, k.id),
        h('td', {}, h('button', {
          type: 'button', class: 'small danger', dataset: { action: 'revoke' },
          on: { click: e => revoke(k, e.currentTarget) },
        }, 'Revoke')))), { empty: 'No keys stored yet.' }));
  };

  const revoke = async (k, button) => {
    if (!confirm(`Revoke the key "${k.name}" (${k.role}, ${k.id})? Whatever uses it is refused from now on; this cannot be undone.`)) return;
    button.disabled = true;
    try {
      await api.del(`/keys/${encodeURIComponent(k.id)}`);
      ctx.toast(`Key ${k.name} revoked`, 'ok');
      if (shown.dataset.id === k.id) fill(shown);
      await load();
    } catch (e) {
      ctx.fail(e);
      button.disabled = false;
    }
  };

  form.addEventListener('submit', async e => {
    e.preventDefault();
    clearFieldErrors(form, box);
    create.disabled = true;
    try {
      const created = await api.post('/keys', { name: nameInput.value.trim(), role: role.value });
      showOnce(shown, created);
      nameInput.value = '';
      await load();
    } catch (x) {
      if (x instanceof ApiError && x.status === 400) showFieldErrors(form, problemErrors(x), box, x.problem.title);
      else ctx.fail(x);
    } finally {
      create.disabled = false;
    }
  });

  await load();
  // The key is in the page only until it is left: nothing keeps it.
  return () => fill(shown);
}

/** The new key, once, with a copy button; it is not kept anywhere by the page once the box is dismissed or the page left. */
function showOnce(slot, created) {
  const keyText = h('input', { type: 'text', readonly: true, value: created.key, class: 'mono key-value', id: 'new-key', 'aria-label': 'The new key', spellcheck: 'false' });
  const status = h('span', { class: 'muted copy-status', role: 'status' });
  const copy = h('button', { type: 'button', class: 'primary', id: 'copy-key' }, 'Copy');
  copy.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(keyText.value);
      status.textContent = 'Copied to the clipboard.';
    } catch {
      // No clipboard access (an insecure origin, a refused permission): select the text for Ctrl+C.
      keyText.focus();
      keyText.select();
      status.textContent = 'Selected: press Ctrl+C (Cmd+C) to copy.';
    }
  });
  keyText.addEventListener('focus', () => keyText.select());
  slot.dataset.id = created.id;
  fill(slot, h('section', { class: 'card key-once', role: 'alert' },
    h('h2', { class: 'plain' }, `Key created: ${created.name} (${created.role})`),
    h('p', { class: 'warn-text' }, h('b', {}, 'Copy it now: it will not be shown again.'), ' Only its hash is stored; a lost key can only be revoked and replaced.'),
    h('div', { class: 'key-row' }, keyText, copy, status),
    h('div', { class: 'actions' }, h('button', { type: 'button', on: { click: () => { fill(slot); delete slot.dataset.id; } } }, 'I have copied it: hide the key'))));
  keyText.focus();
}
