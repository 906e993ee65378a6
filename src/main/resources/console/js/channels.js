// Alert channels: where a job's notify rules send alerts. A list with each channel's target and health,
// a test send per channel, and a form that creates one or replaces the one of its name. Secrets are
// write-only: the form never shows them, and an empty secret input leaves the stored one as it is.

import {h, replace, badge, time, button, confirmButton, flash} from './dom.js';
import {get, post, put, del, enc, ApiError} from './api.js';

const TYPES = [
  ['webhook', 'webhook — the alert as signed JSON'],
  ['slack', 'slack — an incoming webhook'],
  ['email', 'email — over SMTP'],
];
const TLS = [['starttls', 'STARTTLS'], ['smtps', 'SMTPS'], ['none', 'none']];

// The API's field names, the form's element ids: "email.to[2]" → "ch-email-to".
const idOf = field => 'ch-' + field.replace(/\[\d+\]/g, '').replace(/\./g, '-');
const errIdOf = field => idOf(field) + '-error';

export async function channelsPage(main, ctx) {
  const tbody = h('tbody', {id: 'channels-body'});
  const formError = h('p', {class: 'field-error', id: 'channel-error', role: 'alert'});
  const input = (field, props = {}) => h('input', {id: idOf(field), type: 'text', autocomplete: 'off',
    spellcheck: 'false', ...props});
  const secretInput = field => input(field, {type: 'password', autocomplete: 'new-password'});
  const select = (field, options) => h('select', {id: idOf(field)},
      options.map(([value, text]) => h('option', {value}, text)));
  const f = {
    name: input('name', {placeholder: 'ops', required: true, pattern: '[a-z0-9][a-z0-9._\\-]{0,99}'}),
    type: select('type', TYPES),
    url: input('url', {class: 'mono', placeholder: 'https://hooks.example.org/distcron'}),
    secret: secretInput('secret'),
    host: input('email.host', {placeholder: 'smtp.example.org'}),
    port: input('email.port', {type: 'number', min: '1', max: '65535', placeholder: 'by TLS: 587, 465 or 25'}),
    tls: select('email.tls', TLS),
    username: input('email.username', {placeholder: 'distcron'}),
    password: secretInput('email.password'),
    from: input('email.from', {placeholder: 'distcron@example.org'}),
    to: h('textarea', {id: idOf('email.to'), rows: '2', class: 'mono', spellcheck: 'false',
      placeholder: 'oncall@example.org'}),
  };
  const clearSecrets = h('input', {type: 'checkbox', id: 'ch-clear-secrets'});
  const field = (name, text, control, hint) => h('div', {class: 'field', id: idOf(name) + '-field'},
      h('label', {for: control.id}, text), control, hint ? h('div', {class: 'hint'}, hint) : null,
      h('div', {class: 'field-error', id: errIdOf(name), role: 'alert'}));
  const urlBox = h('div', {class: 'grid2'},
      field('url', 'URL', f.url, 'Where the alert is POSTed: http:// or https://.'),
      h('div', {id: 'ch-secret-box'},
          field('secret', 'Secret', f.secret, 'Signs each alert (HMAC-SHA256). Empty: unchanged.')));
  const emailBox = h('div', {id: 'ch-email-box'},
      h('div', {class: 'grid3'},
          field('email.host', 'SMTP host', f.host),
          field('email.port', 'Port', f.port),
          field('email.tls', 'TLS', f.tls)),
      h('div', {class: 'grid2'},
          field('email.username', 'Username', f.username, 'Empty: no login.'),
          field('email.password', 'Password', f.password, 'Empty: unchanged.')),
      h('div', {class: 'grid2'},
          field('email.from', 'From', f.from),
          field('email.to', 'To', f.to, 'One address per line.')));
  const clearBox = h('div', {class: 'field', id: 'ch-clear-box', hidden: true},
      h('label', {class: 'check', for: clearSecrets.id}, clearSecrets, ' Remove the stored secret'));
  const submit = h('button', {type: 'submit', class: 'btn primary', id: 'channel-save'}, 'Save');
  const form = h('form', {class: 'card', id: 'channel-form', novalidate: true},
      h('h2', null, 'Add or replace'),
      h('div', {class: 'grid2'},
          field('name', 'Name', f.name, 'An existing name is replaced.'),
          field('type', 'Type', f.type)),
      urlBox, emailBox, clearBox,
      formError,
      h('div', {class: 'form-actions'}, submit));

  replace(main, h('section', {class: 'page'},
      h('div', {class: 'page-head'}, h('h1', null, 'Alert channels'),
          button('Refresh', () => load().catch(showFailure), {action: 'refresh'})),
      h('p', {class: 'muted'}, 'A job\'s notify rules send its alerts to these channels. A channel is ',
          'unhealthy after several failed sends in a row; alerts to it are sent again later.'),
      h('div', {class: 'card flush'},
          h('table', {class: 'table channels-table'},
              h('thead', null, h('tr', null,
                  h('th', null, 'Name'), h('th', null, 'Type'), h('th', null, 'Target'),
                  h('th', null, 'Health'), h('th', null, 'Test'), h('th', {class: 'actions-head'}, ''))),
              tbody)),
      form));

  let known = [];
  // A test send's outcome by channel, kept across reloads of the list.
  const tests = new Map();

  async function load() {
    known = (await get('/channels', {signal: ctx.signal})).items;
    replace(tbody, known.length ? known.map(row)
      : h('tr', {class: 'empty'}, h('td', {colspan: '6'}, 'No channels yet.')));
  }

  function showFailure(e) {
    if (e.name !== 'AbortError') flash('error', e.message);
  }

  function row(c) {
    return h('tr', {dataset: {channel: c.name}},
        h('td', null, h('strong', null, c.name)),
        h('td', null, c.type, c.secretSet ? h('div', {class: 'muted small'}, c.type === 'email'
          ? 'password set' : 'secret set') : null),
        h('td', {class: 'mono small'}, target(c)),
        h('td', {class: 'health'}, health(c.health)),
        h('td', {class: 'test-result', dataset: {testResult: c.name}}, testResult(tests.get(c.name))),
        h('td', {class: 'actions'},
            button('Test', () => test(c), {kind: 'small', action: 'test'}),
            button('Edit', () => fill(c), {kind: 'small', action: 'edit'}),
            confirmButton('Delete', 'Really delete?', () => remove(c), {kind: 'small danger', action: 'delete'})));
  }

  async function test(c) {
    tests.set(c.name, {pending: true});
    redrawTest(c.name);
    try {
      tests.set(c.name, await post(`/channels/${enc(c.name)}/test`, undefined, {signal: ctx.signal}));
    } catch (e) {
      if (e.name === 'AbortError') return;
      tests.set(c.name, {delivered: false, error: e.message});
    }
    // The send changed the channel's health.
    await load().catch(showFailure);
    redrawTest(c.name);
  }

  function redrawTest(name) {
    const cell = tbody.querySelector(`td[data-test-result="${CSS.escape(name)}"]`);
    if (cell) replace(cell, testResult(tests.get(name)));
  }

  async function remove(c) {
    try {
      await del(`/channels/${enc(c.name)}`, {signal: ctx.signal});
      tests.delete(c.name);
      flash('ok', `Deleted channel ${c.name}.`);
      await load();
    } catch (e) {
      // A 409 says which jobs' rules (or the cluster's default rule) still name it.
      if (e.name !== 'AbortError') flash('error', `Could not delete ${c.name}: ${e.message}`);
    }
  }

  function showType() {
    const type = f.type.value;
    urlBox.hidden = type === 'email';
    emailBox.hidden = type !== 'email';
    document.getElementById('ch-secret-box').hidden = type !== 'webhook';
  }
  f.type.addEventListener('change', showType);
  showType();

  function fill(c) {
    clearErrors();
    f.name.value = c.name;
    f.type.value = c.type;
    f.url.value = c.url || '';
    const e = c.email || {};
    f.host.value = e.host || '';
    f.port.value = e.port == null ? '' : e.port;
    f.tls.value = e.tls || 'starttls';
    f.username.value = e.username || '';
    f.from.value = e.from || '';
    f.to.value = (e.to || []).join('\n');
    f.secret.value = '';
    f.password.value = '';
    const placeholder = c.secretSet ? 'set: empty leaves it unchanged' : '';
    f.secret.placeholder = placeholder;
    f.password.placeholder = placeholder;
    clearSecrets.checked = false;
    clearBox.hidden = !c.secretSet;
    showType();
    f.name.scrollIntoView({block: 'center'});
    f.name.focus({preventScroll: true});
  }

  /** The request: only the type's fields; a secret left empty is left out, so the API keeps it. */
  function collect() {
    const type = f.type.value;
    const secret = input => clearSecrets.checked ? '' : input.value || undefined;
    const body = {name: f.name.value.trim(), type};
    if (type === 'email') {
      const port = f.port.value.trim();
      body.email = {
        host: f.host.value.trim(),
        port: port ? Number(port) : null,
        tls: f.tls.value,
        username: f.username.value.trim() || null,
        password: secret(f.password),
        from: f.from.value.trim(),
        to: f.to.value.split('\n').map(l => l.trim()).filter(l => l),
      };
    } else {
      body.url = f.url.value.trim();
      if (type === 'webhook') body.secret = secret(f.secret);
    }
    return body;
  }

  form.addEventListener('submit', async event => {
    event.preventDefault();
    clearErrors();
    const body = collect();
    const exists = known.some(c => c.name === body.name);
    submit.disabled = true;
    try {
      const saved = exists
        ? await put(`/channels/${enc(body.name)}`, body, {signal: ctx.signal})
        : await post('/channels', body, {signal: ctx.signal});
      flash('ok', `${exists ? 'Saved' : 'Created'} channel ${saved.name}.`);
      tests.delete(saved.name);
      form.reset();
      f.secret.placeholder = '';
      f.password.placeholder = '';
      clearBox.hidden = true;
      showType();
      await load();
    } catch (e) {
      if (e.name === 'AbortError') return;
      showError(e);
    } finally {
      submit.disabled = false;
    }
  });

  /** At the field the API names (or the nearest one it belongs to), else under the form. */
  function showError(e) {
    const slot = e instanceof ApiError && e.field ? slotFor(e.field) : null;
    if (!slot) {
      formError.textContent = e instanceof ApiError && e.field ? `${e.field}: ${e.message}` : e.message;
      return;
    }
    slot.textContent = e.message;
    slot.closest('.field').classList.add('invalid');
    const control = document.getElementById(idOf(e.field));
    if (control) {
      control.setAttribute('aria-invalid', 'true');
      control.focus();
    }
  }

  function slotFor(apiField) {
    // "email" itself (missing settings) is shown at the host, the first of them.
    const name = apiField === 'email' ? 'email.host' : apiField;
    const slot = document.getElementById(errIdOf(name));
    return slot && !slot.closest('[hidden]') ? slot : null;
  }

  function clearErrors() {
    formError.textContent = '';
    form.querySelectorAll('.field-error').forEach(e => { e.textContent = ''; });
    form.querySelectorAll('.invalid').forEach(e => e.classList.remove('invalid'));
    form.querySelectorAll('[aria-invalid]').forEach(e => e.removeAttribute('aria-invalid'));
  }

  await load();
}

function target(c) {
  if (c.type !== 'email') return c.url;
  const e = c.email;
  return [h('div', null, e.to.join(', ')),
    h('div', {class: 'muted'}, `from ${e.from} via ${e.host}:${e.port} (${e.tls})`)];
}

function health(hl) {
  const failures = hl.consecutiveFailures;
  return [
    badge(hl.healthy ? 'HEALTHY' : 'UNHEALTHY'),
    failures ? h('div', {class: 'small', dataset: {failures: String(failures)}},
        `${failures} failed send${failures === 1 ? '' : 's'} in a row`) : null,
    hl.lastError ? h('div', {class: 'small error-text last-error'}, hl.lastError) : null,
    hl.lastSuccessAt ? h('div', {class: 'small muted'}, 'last delivered ', time(hl.lastSuccessAt)) : null,
    hl.lastFailureAt ? h('div', {class: 'small muted'}, 'last failed ', time(hl.lastFailureAt)) : null,
  ];
}

function testResult(r) {
  if (!r) return h('span', {class: 'muted'}, '—');
  if (r.pending) return h('span', {class: 'muted'}, 'sending…');
  if (r.delivered) return badge('DELIVERED', r.key ? `key ${r.key}` : null);
  return [badge('NOT_DELIVERED'), h('div', {class: 'small error-text'}, r.error || 'not delivered')];
}
