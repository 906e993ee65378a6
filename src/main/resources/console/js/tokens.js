// API tokens (admins only): the list, a new token whose secret is shown this once, and revoking one.

import {h, replace, time, confirmButton, flash} from './dom.js';
import {get, post, del, enc} from './api.js';

const ROLES = [
  ['viewer', 'viewer — reads everything'],
  ['operator', 'operator — also triggers, pauses, resumes, kills'],
  ['admin', 'admin — also edits jobs and manages tokens'],
];

export async function tokensPage(main, ctx) {
  // A 403 here (not an admin) is the app's to show, before anything is drawn.
  let tokens = (await get('/tokens', {signal: ctx.signal})).items;

  const nameInput = h('input', {type: 'text', id: 'token-name', maxlength: '200', required: true,
    placeholder: 'e.g. ci or deploy-bot', autocomplete: 'off', spellcheck: 'false'});
  const roleSelect = h('select', {id: 'token-role'},
      ROLES.map(([value, text]) => h('option', {value}, text)));
  const error = h('p', {class: 'field-error', id: 'token-form-error', role: 'alert'});
  const submit = h('button', {type: 'submit', class: 'btn primary', id: 'token-create'}, 'Create token');
  const form = h('form', {class: 'card', id: 'token-form'},
      h('h2', null, 'New token'),
      h('div', {class: 'grid2'},
          h('div', {class: 'field'}, h('label', {for: 'token-name'}, 'Name'), nameInput,
              h('div', {class: 'hint'}, 'Who or what uses it; the audit log shows this name.')),
          h('div', {class: 'field'}, h('label', {for: 'token-role'}, 'Role'), roleSelect)),
      error,
      h('div', {class: 'form-actions'}, submit));
  const secretBox = h('div', {class: 'card secret-box', id: 'token-secret-box', hidden: true});
  const tbody = h('tbody', {id: 'tokens-body'});
  replace(main, h('section', {class: 'page narrow'},
      h('div', {class: 'page-head'}, h('h1', null, 'API tokens')),
      secretBox,
      form,
      h('div', {class: 'card flush'},
          h('table', {class: 'table tokens-table'},
              h('thead', null, h('tr', null,
                  h('th', null, 'Name'), h('th', null, 'Role'), h('th', null, 'Created'), h('th', null, 'Id'),
                  h('th', {class: 'actions-head'}, ''))),
              tbody))));

  function show() {
    tokens.sort((a, b) => a.name.localeCompare(b.name) || a.createdAt.localeCompare(b.createdAt));
    replace(tbody, tokens.length ? tokens.map(row)
      : h('tr', {class: 'empty'}, h('td', {colspan: '5'}, 'No tokens yet: only the admin token works.')));
  }

  function row(t) {
    return h('tr', {dataset: {token: t.id, name: t.name}},
        h('td', null, h('strong', null, t.name)),
        h('td', null, t.role),
        h('td', {class: 'nowrap'}, time(t.createdAt)),
        h('td', {class: 'mono small'}, t.id),
        h('td', {class: 'actions'}, confirmButton('Revoke', 'Really revoke?', () => revoke(t),
            {action: 'revoke', kind: 'small danger'})));
  }

  async function revoke(t) {
    try {
      await del(`/tokens/${enc(t.id)}`, {signal: ctx.signal});
      flash('ok', `Revoked ${t.name}: it no longer works.`);
      tokens = tokens.filter(x => x.id !== t.id);
      show();
    } catch (e) {
      if (e.name !== 'AbortError') flash('error', `Could not revoke ${t.name}: ${e.message}`);
    }
  }

  form.addEventListener('submit', async event => {
    event.preventDefault();
    error.textContent = '';
    submit.disabled = true;
    try {
      const created = await post('/tokens', {name: nameInput.value.trim(), role: roleSelect.value},
          {signal: ctx.signal});
      showSecret(created);
      tokens.push({...created, token: undefined});
      show();
      form.reset();
    } catch (e) {
      if (e.name !== 'AbortError') error.textContent = e.message;
    } finally {
      submit.disabled = false;
    }
  });

  /** The secret exists only in this answer (the node keeps its hash): shown here, once. */
  function showSecret(created) {
    const secret = h('input', {type: 'text', id: 'token-secret', class: 'mono', readonly: true,
      value: created.token, 'aria-label': 'The new token', spellcheck: 'false'});
    replace(secretBox,
        h('h2', null, `Token for ${created.name} (${created.role})`),
        h('p', null, 'Copy it now: it is shown this once and cannot be read again. ',
            'Send it as ', h('code', null, 'Authorization: Bearer …'), '.'),
        h('div', {class: 'secret-line'}, secret,
            h('button', {type: 'button', class: 'btn', id: 'token-copy', onclick: () => copy(secret)}, 'Copy')),
        h('div', {class: 'form-actions'},
            h('button', {type: 'button', class: 'btn small', id: 'token-secret-done',
              onclick: () => { replace(secretBox); secretBox.hidden = true; }}, 'Done, hide it')));
    secretBox.hidden = false;
    secret.select();
  }

  show();
}

/** The clipboard API where the page may use it; else the selection and the older copy command. */
async function copy(input) {
  try {
    await navigator.clipboard.writeText(input.value);
    flash('ok', 'Copied the token.');
    return;
  } catch (e) {
    // not allowed here: fall back below
  }
  input.select();
  if (document.execCommand('copy')) flash('ok', 'Copied the token.');
  else flash('error', 'Could not copy: select the token and copy it by hand.');
}
