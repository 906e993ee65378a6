// Calendars: the times jobs must not fire in. A list with each calendar's days, ranges and cron, and a
// form that creates one or replaces the one of its name; the API's 400 is shown next to the field.

import {h, replace, button, confirmButton, flash} from './dom.js';
import {get, post, put, del, enc, ApiError} from './api.js';

export async function calendarsPage(main, ctx) {
  const tbody = h('tbody', {id: 'calendars-body'});
  const error = h('p', {class: 'field-error', id: 'calendar-error', role: 'alert'});
  const input = (id, props = {}) => h('input', {id, type: 'text', autocomplete: 'off', spellcheck: 'false', ...props});
  const f = {
    name: input('c-name', {placeholder: 'holidays', required: true, pattern: '[a-z0-9][a-z0-9._\\-]{0,99}'}),
    timezone: input('c-timezone', {placeholder: 'UTC'}),
    dates: h('textarea', {id: 'c-dates', rows: '3', class: 'mono', placeholder: '2026-12-25\n2026-12-26'}),
    ranges: h('textarea', {id: 'c-ranges', rows: '2', class: 'mono', placeholder: '2026-12-24..2027-01-01'}),
    cron: input('c-cron', {class: 'mono', placeholder: '* * 0-6 * * ?'}),
    description: input('c-description', {placeholder: 'office closed'}),
  };
  const label = (text, control, hint) => h('div', {class: 'field'},
      h('label', {for: control.id}, text), control, hint ? h('div', {class: 'hint'}, hint) : null);
  const submit = h('button', {type: 'submit', class: 'btn primary', id: 'calendar-save'}, 'Save');
  const form = h('form', {class: 'card', id: 'calendar-form', novalidate: true},
      h('h2', null, 'Add or replace'),
      h('div', {class: 'grid3'},
          label('Name', f.name, 'An existing name is replaced.'),
          label('Time zone', f.timezone, 'Its dates and cron are local times here.'),
          label('Description', f.description)),
      h('div', {class: 'grid3'},
          label('Dates', f.dates, 'One YYYY-MM-DD per line: the whole day.'),
          label('Ranges', f.ranges, 'One FROM..TO per line, both days included.'),
          label('Cron', f.cron, 'Excluded times: a 5-field cron excludes whole minutes, 6/7 fields whole seconds.')),
      error,
      h('div', {class: 'form-actions'}, submit));

  replace(main, h('section', {class: 'page'},
      h('div', {class: 'page-head'}, h('h1', null, 'Calendars')),
      h('p', {class: 'muted'}, 'A job that excludes a calendar records its ticks in these times as SKIPPED.'),
      h('div', {class: 'card flush'},
          h('table', {class: 'table calendars-table'},
              h('thead', null, h('tr', null,
                  h('th', null, 'Name'), h('th', null, 'Time zone'), h('th', null, 'Dates'),
                  h('th', null, 'Ranges'), h('th', null, 'Cron'), h('th', null, ''))),
              tbody)),
      form));

  let known = [];

  async function load() {
    known = (await get('/calendars', {signal: ctx.signal})).items;
    replace(tbody, known.length ? known.map(row)
      : h('tr', {class: 'empty'}, h('td', {colspan: '6'}, 'No calendars yet.')));
  }

  function row(c) {
    return h('tr', {dataset: {calendar: c.name}},
        h('td', null, h('strong', null, c.name), c.description ? h('div', {class: 'muted small'}, c.description) : null),
        h('td', null, c.timezone),
        h('td', {class: 'mono'}, c.dates.join(', ') || '—'),
        h('td', {class: 'mono'}, c.ranges.map(r => `${r.from}..${r.to}`).join(', ') || '—'),
        h('td', {class: 'mono'}, c.cron || '—'),
        h('td', {class: 'actions'},
            button('Edit', () => fill(c), {kind: 'small', action: 'edit'}),
            confirmButton('Delete', 'Really delete?', async () => {
              try {
                await del(`/calendars/${enc(c.name)}`, {signal: ctx.signal});
                flash('ok', `Deleted calendar ${c.name}.`);
                await load();
              } catch (e) {
                if (e.name !== 'AbortError') flash('error', e.message);
              }
            }, {kind: 'small danger', action: 'delete'})));
  }

  function fill(c) {
    f.name.value = c.name;
    f.timezone.value = c.timezone;
    f.description.value = c.description || '';
    f.dates.value = c.dates.join('\n');
    f.ranges.value = c.ranges.map(r => `${r.from}..${r.to}`).join('\n');
    f.cron.value = c.cron || '';
    f.name.focus();
  }

  form.addEventListener('submit', async event => {
    event.preventDefault();
    error.textContent = '';
    const lines = text => text.split('\n').map(l => l.trim()).filter(l => l);
    const name = f.name.value.trim();
    const body = {
      name,
      timezone: f.timezone.value.trim() || null,
      description: f.description.value.trim() || null,
      dates: lines(f.dates.value),
      ranges: lines(f.ranges.value).map(l => {
        const [from, to] = l.split('..');
        return {from: from.trim(), to: to == null ? null : to.trim()};
      }),
      cron: f.cron.value.trim() || null,
    };
    submit.disabled = true;
    try {
      const exists = known.some(c => c.name === name);
      const saved = exists
        ? await put(`/calendars/${enc(name)}`, body, {signal: ctx.signal})
        : await post('/calendars', body, {signal: ctx.signal});
      flash('ok', `${exists ? 'Saved' : 'Created'} calendar ${saved.name}.`);
      await load();
    } catch (e) {
      if (e.name === 'AbortError') return;
      error.textContent = e instanceof ApiError && e.field ? `${e.field}: ${e.message}` : e.message;
    } finally {
      submit.disabled = false;
    }
  });

  await load();
}
