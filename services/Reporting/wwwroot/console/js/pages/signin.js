import { signIn, ApiError } from '../api.js';
import { h } from '../dom.js';

/** The sign-in form: the key goes in the request body once and is never kept by the page (nor put in a URL). */
export function render(view, signedIn) {
  const key = h('input', { type: 'password', id: 'api-key', name: 'key', autocomplete: 'current-password', required: true, placeholder: 'jk_…' });
  const error = h('p', { class: 'form-error', id: 'signin-error', hidden: true });
  const form = h('form', { class: 'card signin', id: 'signin-form' },
    h('h1', {}, 'Sign in'),
    h('p', { class: 'muted' }, 'Use an API key. Its role decides what you may see and do, exactly as in the API.'),
    h('label', { class: 'field' }, h('span', { class: 'field-label' }, 'API key'), key),
    error,
    h('button', { type: 'submit', class: 'primary' }, 'Sign in'));
  form.addEventListener('submit', async e => {
    e.preventDefault();
    error.hidden = true;
    try {
      const session = await signIn(key.value);
      key.value = '';
      await signedIn(session);
    } catch (x) {
      error.textContent = x instanceof ApiError ? (x.problem.title ?? 'Sign-in failed') : String(x.message ?? x);
      error.hidden = false;
    }
  });
  view.append(form);
  key.focus();
}
