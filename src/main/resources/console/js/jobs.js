// The jobs page: every job in a table, searchable by name and label, with its next tick and last run.

import {h, replace, link, route, badge, time, labelChips, button, confirmButton, flash, debounce, refreshRelative}
  from './dom.js';
import {get, post, del, enc} from './api.js';

const PAGE_SIZE = 500;
const MAX_PAGES = 20;
const MAX_ROWS = 200;
const REFRESH_MS = 5000;

export async function jobsPage(main, ctx) {
  const nameInput = h('input', {type: 'search', id: 'search-name', placeholder: 'Search by name',
    'aria-label': 'Search by name', autocomplete: 'off', spellcheck: 'false'});
  const labelInput = h('input', {type: 'search', id: 'search-label', placeholder: 'Label: team=ops, or any part',
    'aria-label': 'Search by label', autocomplete: 'off', spellcheck: 'false'});
  const tbody = h('tbody', {id: 'jobs-body'});
  const footer = h('p', {class: 'muted small', id: 'jobs-count'});
  const errorBox = h('div', {class: 'error-box', role: 'alert', hidden: true});

  replace(main, h('section', {class: 'page'},
      h('div', {class: 'page-head'},
          h('h1', null, 'Jobs'),
          h('div', {class: 'tools'}, nameInput, labelInput,
              h('a', {class: 'btn primary', href: '#/new', id: 'new-job'}, '+ New job'))),
      errorBox,
      h('div', {class: 'card flush'},
          h('table', {class: 'table jobs-table'},
              h('thead', null, h('tr', null,
                  h('th', null, 'Name'), h('th', null, 'Schedule'), h('th', null, 'Time zone'),
                  h('th', null, 'Next fire'), h('th', null, 'Last run'), h('th', null, 'Labels'),
                  h('th', {class: 'actions-head'}, 'Actions'))),
              tbody)),
      footer));

  let jobs = [];
  let truncated = false;

  async function load() {
    const all = [];
    let after = null;
    let pages = 0;
    do {
      const q = new URLSearchParams({limit: String(PAGE_SIZE)});
      if (after) q.set('after', after);
      const page = await get('/jobs?' + q, {signal: ctx.signal});
      all.push(...page.items);
      after = page.next;
      pages++;
    } while (after && pages < MAX_PAGES);
    truncated = Boolean(after);
    jobs = all;
    errorBox.hidden = true;
    show();
  }

  function matches(job) {
    const name = nameInput.value.trim().toLowerCase();
    if (name && !job.name.toLowerCase().includes(name)) return false;
    const label = labelInput.value.trim().toLowerCase();
    if (!label) return true;
    const entries = Object.entries(job.labels || {}).map(([k, v]) => [k.toLowerCase(), String(v).toLowerCase()]);
    const eq = label.indexOf('=');
    if (eq > 0) {
      const key = label.slice(0, eq).trim();
      const value = label.slice(eq + 1).trim();
      return entries.some(([k, v]) => k === key && v.includes(value));
    }
    return entries.some(([k, v]) => k.includes(label) || v.includes(label));
  }

  const rowCache = new Map(); // job name -> {sig, tr}: unchanged jobs keep their row (and its buttons)

  function show() {
    const shown = jobs.filter(matches);
    const rows = shown.slice(0, MAX_ROWS);
    if (!jobs.length) {
      replace(tbody, h('tr', {class: 'empty'}, h('td', {colspan: '7'},
          'No jobs yet. ', h('a', {href: '#/new'}, 'Create the first one'), '.')));
    } else if (!rows.length) {
      replace(tbody, h('tr', {class: 'empty'}, h('td', {colspan: '7'}, 'No job matches the search.')));
    } else {
      const seen = new Set();
      const trs = rows.map(job => {
        seen.add(job.name);
        const sig = JSON.stringify(job);
        const cached = rowCache.get(job.name);
        if (cached && cached.sig === sig) return cached.tr;
        const tr = row(job);
        rowCache.set(job.name, {sig, tr});
        return tr;
      });
      for (const name of [...rowCache.keys()]) if (!seen.has(name)) rowCache.delete(name);
      tbody.replaceChildren(...trs);
    }
    refreshRelative(tbody);
    replace(footer,
        `${shown.length} of ${jobs.length}${truncated ? '+' : ''} job${jobs.length === 1 ? '' : 's'}`,
        shown.length > rows.length ? ` · showing the first ${rows.length}; narrow the search to see the rest` : '');
  }

  function row(job) {
    const paused = job.status === 'PAUSED';
    return h('tr', {dataset: {job: job.name}},
        h('td', {class: 'name-cell'},
            h('div', {class: 'name-line'},
                h('a', {href: route('jobs', job.name), class: 'job-link'}, job.name),
                paused ? badge('PAUSED') : null,
                job.status === 'ENDED' ? badge('ENDED', 'past its endAt: no more ticks') : null,
                job.enabled ? null : badge('DISABLED', 'a disabled job never ticks')),
            job.description ? h('div', {class: 'muted small clamp desc', title: job.description}, job.description) : null),
        h('td', null,
            h('code', {class: 'schedule'}, job.schedule),
            h('div', {class: 'muted small'}, job.scheduleDescription || '')),
        h('td', {class: 'nowrap'}, job.timezone),
        h('td', {class: 'nowrap'}, nextFire(job)),
        h('td', {class: 'last-run'}, lastRunView(job.lastRun)),
        h('td', null, labelChips(job.labels)),
        h('td', {class: 'actions'},
            paused
              ? button('Resume', () => act(job.name, 'resume', 'Resumed'), {action: 'resume', kind: 'small'})
              : button('Pause', () => act(job.name, 'pause', 'Paused'), {action: 'pause', kind: 'small'}),
            button('Trigger', () => trigger(job.name), {action: 'trigger', kind: 'small', title: 'Run now'}),
            h('a', {class: 'btn small', href: route('jobs', job.name, 'edit'), dataset: {action: 'edit'}}, 'Edit'),
            confirmButton('Delete', 'Really delete?', () => remove(job.name), {action: 'delete', kind: 'small danger'})));
  }

  function nextFire(job) {
    if (!job.enabled) return h('span', {class: 'muted'}, 'disabled');
    if (job.status === 'PAUSED') return h('span', {class: 'muted'}, 'paused');
    const next = (job.nextFireTimes || [])[0];
    return next ? time(next, {rel: true}) : h('span', {class: 'muted'}, 'never again');
  }

  function lastRunView(run) {
    if (!run) return h('span', {class: 'muted'}, 'never ran');
    return h('a', {href: route('runs', run.id), class: 'last-run-link'},
        badge(run.status), ' ', time(run.finishedAt || run.startedAt || run.scheduledAt, {rel: true}));
  }

  async function act(name, verb, done) {
    try {
      await post(`/jobs/${enc(name)}/${verb}`, undefined, {signal: ctx.signal});
      flash('ok', `${done} ${name}.`);
      await load();
    } catch (e) {
      if (e.name !== 'AbortError') flash('error', `Could not ${verb} ${name}: ${e.message}`);
    }
  }

  async function trigger(name) {
    try {
      const r = await post(`/jobs/${enc(name)}/trigger`, undefined, {signal: ctx.signal});
      flash('ok', `Triggered ${name}: `, link(['runs', r.runId], 'run ' + r.runId.slice(0, 8)), '.');
      ctx.after(700, () => load().catch(() => {}));
    } catch (e) {
      if (e.name !== 'AbortError') flash('error', `Could not trigger ${name}: ${e.message}`);
    }
  }

  async function remove(name) {
    try {
      await del(`/jobs/${enc(name)}`, {signal: ctx.signal});
      flash('ok', `Deleted ${name}.`);
      await load();
    } catch (e) {
      if (e.name !== 'AbortError') flash('error', `Could not delete ${name}: ${e.message}`);
    }
  }

  const research = debounce(show, 150);
  nameInput.addEventListener('input', research);
  labelInput.addEventListener('input', research);
  nameInput.addEventListener('search', research);
  labelInput.addEventListener('search', research);

  try {
    await load();
  } catch (e) {
    if (e.name === 'AbortError') return;
    errorBox.hidden = false;
    replace(errorBox, 'Could not load the jobs: ' + e.message);
  }
  ctx.every(REFRESH_MS, async () => {
    // Not while a delete waits for its confirmation or a field has focus in the table.
    if (tbody.querySelector('.armed')) return;
    try {
      await load();
    } catch (e) {
      if (e.name === 'AbortError') return;
      errorBox.hidden = false;
      replace(errorBox, 'Could not refresh the jobs: ' + e.message);
    }
  });
}
