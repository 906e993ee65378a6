// The audit log: who changed what, newest first, filtered by job, token and time, paged with the API's
// cursor.

import {h, replace, link, time, button} from './dom.js';
import {get} from './api.js';

const PAGE_SIZE = 50;

export async function auditPage(main, ctx) {
  const jobInput = h('input', {type: 'search', id: 'audit-job', placeholder: 'Job name', 'aria-label': 'Job',
    autocomplete: 'off', spellcheck: 'false'});
  const actorInput = h('input', {type: 'search', id: 'audit-actor', placeholder: 'Token name (admin, …)',
    'aria-label': 'Who', autocomplete: 'off', spellcheck: 'false'});
  const sinceInput = h('input', {type: 'datetime-local', id: 'audit-since', step: '1', 'aria-label': 'From'});
  const untilInput = h('input', {type: 'datetime-local', id: 'audit-until', step: '1', 'aria-label': 'Until'});
  const error = h('p', {class: 'field-error', id: 'audit-error', role: 'alert'});
  const form = h('form', {class: 'card audit-filters', id: 'audit-filters'},
      h('div', {class: 'grid4'},
          field('Job', jobInput), field('Who', actorInput),
          field('From (your time)', sinceInput), field('Until (your time)', untilInput)),
      error,
      h('div', {class: 'form-actions'},
          h('button', {type: 'submit', class: 'btn primary', id: 'audit-apply'}, 'Filter'),
          button('Clear', clear, {action: 'clear'})));
  const tbody = h('tbody', {id: 'audit-body'});
  const pager = h('div', {class: 'pager'});
  replace(main, h('section', {class: 'page'},
      h('div', {class: 'page-head'}, h('h1', null, 'Audit log')),
      form,
      h('div', {class: 'card flush'},
          h('div', {class: 'card-head'}, h('h2', null, 'Changes, newest first'), pager),
          h('table', {class: 'table audit-table'},
              h('thead', null, h('tr', null,
                  h('th', null, 'When'), h('th', null, 'Who'), h('th', null, 'Role'), h('th', null, 'Action'),
                  h('th', null, 'Job'), h('th', null, 'Answer'), h('th', null, 'From'))),
              tbody))));

  // befores[i]: the cursor of page i (null for the first); the API's `next` is the following page's.
  let befores = [null];
  let pageIndex = 0;
  let next = null;
  let filter = {};

  async function load() {
    const q = new URLSearchParams({limit: String(PAGE_SIZE), ...filter});
    if (befores[pageIndex]) q.set('before', befores[pageIndex]);
    const page = await get('/audit?' + q, {signal: ctx.signal});
    next = page.next;
    replace(tbody, page.items.length ? page.items.map(row)
      : h('tr', {class: 'empty'}, h('td', {colspan: '7'},
          pageIndex === 0 ? 'No change matches.' : 'No older changes.')));
    const from = pageIndex * PAGE_SIZE + (page.items.length ? 1 : 0);
    replace(pager,
        h('span', {class: 'muted small', id: 'audit-count'},
            page.items.length ? `changes ${from}–${pageIndex * PAGE_SIZE + page.items.length}` : ''),
        button('← Newer', () => go(pageIndex - 1), {action: 'newer', kind: 'small', disabled: pageIndex === 0}),
        button('Older →', () => go(pageIndex + 1), {action: 'older', kind: 'small', disabled: !next}));
  }

  async function go(index) {
    if (index < 0 || (index > pageIndex && !next)) return;
    if (index > pageIndex) befores[index] = next;
    pageIndex = index;
    befores.length = index + 1;
    await load();
  }

  /** The form's fields as the API's parameters; times typed in the browser's zone, sent as instants. */
  function readFilter() {
    const f = {};
    if (jobInput.value.trim()) f.job = jobInput.value.trim();
    if (actorInput.value.trim()) f.actor = actorInput.value.trim();
    for (const [key, input] of [['since', sinceInput], ['until', untilInput]]) {
      if (!input.value) continue;
      const date = new Date(input.value);
      if (isNaN(date)) throw new Error(`"${input.value}" is not a time`);
      f[key] = date.toISOString();
    }
    return f;
  }

  async function apply() {
    error.textContent = '';
    try {
      filter = readFilter();
      befores = [null];
      pageIndex = 0;
      await load();
    } catch (e) {
      if (e.name !== 'AbortError') error.textContent = e.message;
    }
  }

  function clear() {
    form.reset();
    apply();
  }

  form.addEventListener('submit', event => {
    event.preventDefault();
    apply();
  });

  await load();
}

function field(label, input) {
  return h('div', {class: 'field'}, h('label', {for: input.id}, label), input);
}

function row(e) {
  const ok = e.status < 400;
  return h('tr', {dataset: {audit: String(e.id), actor: e.actor}},
      h('td', {class: 'nowrap'}, time(e.at)),
      h('td', null, e.actor),
      h('td', {class: 'small'}, String(e.role).toLowerCase()),
      h('td', null, h('code', {class: 'action'}, e.action)),
      h('td', null, e.job ? link(['jobs', e.job], e.job) : h('span', {class: 'muted'}, '—')),
      h('td', null, h('span', {class: 'badge ' + (ok ? 'st-ok' : 'st-bad'), title: ok ? 'done' : 'refused'},
          String(e.status))),
      h('td', {class: 'mono small'}, e.remote || '—'));
}
