// Create and edit a job: one form for every field of the API's job, the API's 400 shown next to the
// field it names, and the next fire times previewed while the schedule is typed.

import {h, replace, route, link, time, zonedText, flash, debounce, browserZone} from './dom.js';
import {get, post, put, enc, ApiError} from './api.js';

const OVERLAP = [
  ['SKIP', 'SKIP — skip the tick while a run is active'],
  ['ALLOW', 'ALLOW — start anyway, runs may overlap'],
  ['QUEUE_ONE', 'QUEUE_ONE — start when the active run ends (one waits)'],
  ['REPLACE', 'REPLACE — kill the active run, then start'],
];
const CATCH_UP = [
  ['ALL', 'ALL — fire every missed tick in the window (up to max runs)'],
  ['LATEST', 'LATEST — fire only the newest missed tick'],
  ['NONE', 'NONE — skip missed ticks'],
];
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'];
const DEFAULTS = {
  timezone: 'UTC', timeoutSeconds: 3600, enabled: true, overlap: 'SKIP',
  catchUp: {policy: 'ALL', window: 'PT1H', maxRuns: 100},
  retry: {maxAttempts: 1, backoff: 'PT10S', multiplier: 2.0, maxBackoff: 'PT5M'},
};

// API field names that have no input of their own, and where their message goes instead.
const ERROR_ALIASES = {shell: 'action', http: 'action', noop: 'action', catchUp: 'catchUp.policy',
  retry: 'retry.maxAttempts', target: 'target.nodeSelector'};

const idOf = field => 'f-' + field.replace(/\./g, '-');
const errIdOf = field => 'err-' + field.replace(/\./g, '-');

/** The page: #/new, or #/jobs/{name}/edit. */
export async function formPage(main, ctx, editName) {
  const editing = editName != null;
  const job = editing ? await get(`/jobs/${enc(editName)}`, {signal: ctx.signal}) : null;
  const v = job || DEFAULTS;

  const formError = h('div', {class: 'error-box', id: 'form-error', role: 'alert', hidden: true});
  const calendarNames = h('datalist', {id: 'calendar-names'});
  get('/calendars', {signal: ctx.signal})
      .then(r => replace(calendarNames, r.items.map(c => h('option', {value: c.name}))))
      .catch(() => {});
  const preview = h('div', {class: 'preview', id: 'schedule-preview', 'aria-live': 'polite'});

  // ----- inputs -----
  const input = (field, props = {}) => h('input', {id: idOf(field), name: field, type: 'text',
    autocomplete: 'off', spellcheck: 'false', ...props});
  const textarea = (field, props = {}) => h('textarea', {id: idOf(field), name: field, rows: '3',
    spellcheck: 'false', ...props});
  const select = (field, options, selected) => h('select', {id: idOf(field), name: field},
      options.map(([value, text]) => h('option', {value, selected: value === selected || null}, text)));

  const f = {
    name: input('name', {value: v.name || '', placeholder: 'backup-db', readonly: editing || null,
      pattern: '[a-z0-9][a-z0-9._\\-]{0,99}', required: true}),
    description: textarea('description', {rows: '2', placeholder: 'What this job does, for the next person'}),
    labels: textarea('labels', {rows: '2', placeholder: 'team=ops\ntier=critical'}),
    schedule: input('schedule', {value: v.schedule || '', placeholder: '*/5 * * * *', required: true,
      class: 'mono'}),
    timezone: input('timezone', {value: v.timezone || 'UTC', list: 'zones', placeholder: 'UTC'}),
    shellCommand: textarea('shell.command', {rows: '3', class: 'mono', placeholder: 'pg_dump app > /backups/app.sql'}),
    shellEnv: textarea('shell.env', {rows: '2', class: 'mono', placeholder: 'PGHOST=db'}),
    shellWorkingDir: input('shell.workingDir', {placeholder: '/tmp', class: 'mono'}),
    shellUser: input('shell.user', {placeholder: 'backup', class: 'mono'}),
    httpMethod: select('http.method', METHODS.map(m => [m, m]), (v.http && v.http.method) || 'GET'),
    httpUrl: input('http.url', {placeholder: 'https://example.com/hook', class: 'mono'}),
    httpHeaders: textarea('http.headers', {rows: '2', class: 'mono', placeholder: 'Authorization: Bearer …'}),
    httpBody: textarea('http.body', {rows: '3', class: 'mono'}),
    httpExpectStatus: input('http.expectStatus', {placeholder: '200, 204 (empty: any 2xx)'}),
    httpTimeoutSeconds: input('http.timeoutSeconds', {type: 'number', min: '1', placeholder: 'the job timeout'}),
    timeoutSeconds: input('timeoutSeconds', {type: 'number', min: '1', value: v.timeoutSeconds}),
    enabled: h('input', {id: idOf('enabled'), name: 'enabled', type: 'checkbox', checked: v.enabled !== false}),
    overlap: select('overlap', OVERLAP, v.overlap || 'SKIP'),
    jitter: input('jitter', {value: v.jitter, placeholder: 'PT5M or 5m'}),
    startAt: input('startAt', {value: v.startAt, placeholder: '2027-01-01T00:00:00Z', class: 'mono'}),
    endAt: input('endAt', {value: v.endAt, placeholder: '2027-12-31T23:59:59Z', class: 'mono'}),
    catchUpPolicy: select('catchUp.policy', CATCH_UP, (v.catchUp && v.catchUp.policy) || 'ALL'),
    catchUpWindow: input('catchUp.window', {value: v.catchUp && v.catchUp.window, placeholder: 'PT1H or 1h'}),
    catchUpMaxRuns: input('catchUp.maxRuns', {type: 'number', min: '1', value: v.catchUp && v.catchUp.maxRuns}),
    retryMaxAttempts: input('retry.maxAttempts', {type: 'number', min: '1', value: v.retry && v.retry.maxAttempts}),
    retryBackoff: input('retry.backoff', {value: v.retry && v.retry.backoff, placeholder: 'PT10S or 10s'}),
    retryMultiplier: input('retry.multiplier', {type: 'number', min: '1', max: '10', step: '0.1',
      value: v.retry && v.retry.multiplier}),
    retryMaxBackoff: input('retry.maxBackoff', {value: v.retry && v.retry.maxBackoff, placeholder: 'PT5M or 5m'}),
    targetSelector: textarea('target.nodeSelector', {rows: '2', class: 'mono', placeholder: 'zone=eu1\nhost=web1'}),
    excludeCalendars: input('excludeCalendars', {value: ((job && job.excludeCalendars) || []).join(', '),
      placeholder: 'holidays, nights', list: 'calendar-names', class: 'mono'}),
    notify: textarea('notify', {rows: '2', class: 'mono', placeholder: 'ops: FAILED, LOST, RECOVERED\noncall: LATE lateAfter=PT10M'}),
  };
  // Text areas take their content as a value, never as markup.
  f.description.value = (job && job.description) || '';
  f.labels.value = linesOf(job && job.labels, '=');
  f.targetSelector.value = linesOf(job && job.target && job.target.nodeSelector, '=');
  f.notify.value = ((job && job.notify) || [])
      .map(r => `${r.channel}: ${r.on.join(', ')}${r.lateAfter ? ' lateAfter=' + r.lateAfter : ''}`).join('\n');
  if (job && job.shell) {
    f.shellCommand.value = job.shell.command || '';
    f.shellEnv.value = linesOf(job.shell.env, '=');
    f.shellWorkingDir.value = job.shell.workingDir || '';
    f.shellUser.value = job.shell.user || '';
  }
  if (job && job.http) {
    f.httpUrl.value = job.http.url || '';
    f.httpHeaders.value = linesOf(job.http.headers, ': ');
    f.httpBody.value = job.http.body || '';
    f.httpExpectStatus.value = (job.http.expectStatus || []).join(', ');
    f.httpTimeoutSeconds.value = job.http.timeoutSeconds == null ? '' : job.http.timeoutSeconds;
  }

  const actionKind = job ? (job.shell ? 'shell' : job.http ? 'http' : 'noop') : 'shell';
  const radios = ['shell', 'http', 'noop'].map(kind => h('label', {class: 'radio'},
      h('input', {type: 'radio', name: 'action', value: kind, id: 'f-action-' + kind,
        checked: kind === actionKind, onchange: () => showAction(kind)}),
      {shell: ' Shell command', http: ' HTTP request', noop: ' No-op (record the tick only)'}[kind]));
  const shellBox = h('div', {class: 'action-box', id: 'action-shell'},
      field('shell.command', 'Command', f.shellCommand, 'Run with /bin/sh -c.'),
      h('div', {class: 'grid2'},
          field('shell.env', 'Environment', f.shellEnv, 'One NAME=value per line.'),
          field('shell.workingDir', 'Working directory', f.shellWorkingDir, 'Empty: the node’s own.'),
          field('shell.user', 'Run as user', f.shellUser, 'Empty: the node’s own user. Needs nodes running as root.')));
  const httpBox = h('div', {class: 'action-box', id: 'action-http'},
      h('div', {class: 'grid-method'},
          field('http.method', 'Method', f.httpMethod),
          field('http.url', 'URL', f.httpUrl)),
      h('div', {class: 'grid2'},
          field('http.headers', 'Headers', f.httpHeaders, 'One "Name: value" per line.'),
          field('http.body', 'Body', f.httpBody)),
      h('div', {class: 'grid2'},
          field('http.expectStatus', 'Expected status', f.httpExpectStatus, 'Comma-separated codes.'),
          field('http.timeoutSeconds', 'Request timeout (s)', f.httpTimeoutSeconds)));
  const noopBox = h('div', {class: 'action-box muted', id: 'action-noop'},
      'Records the tick and succeeds at once; no process runs. Good for heartbeats.');
  function showAction(kind) {
    shellBox.hidden = kind !== 'shell';
    httpBox.hidden = kind !== 'http';
    noopBox.hidden = kind !== 'noop';
  }
  showAction(actionKind);

  const zones = h('datalist', {id: 'zones'},
      (Intl.supportedValuesOf ? Intl.supportedValuesOf('timeZone') : ['UTC']).concat(['UTC'])
          .map(z => h('option', {value: z})));

  const submit = h('button', {type: 'submit', class: 'btn primary', id: 'save-job'},
      editing ? 'Save changes' : 'Create job');
  const form = h('form', {class: 'job-form', id: 'job-form', novalidate: true},
      formError,
      h('div', {class: 'card'},
          h('h2', null, 'Job'),
          h('div', {class: 'grid2'},
              field('name', 'Name', f.name, editing ? 'The name is the job’s id; it cannot change.'
                : 'Lower-case letters, digits, “.”, “_” and “-”.'),
              field('labels', 'Labels', f.labels, 'One key=value per line; search by them on the jobs page.')),
          field('description', 'Description', f.description)),
      h('div', {class: 'card'},
          h('h2', null, 'Schedule'),
          h('div', {class: 'grid-schedule'},
              h('div', null,
                  field('schedule', 'Schedule', f.schedule,
                      'Cron (5 fields, or 6–7 with seconds), @hourly, @daily, @every 30s …;'
                      + ' H for a slot hashed from the name (H H(1-5) * * *).'),
                  field('timezone', 'Time zone', f.timezone, `IANA zone the schedule is read in. Yours: ${browserZone}.`),
                  zones),
              h('div', null, h('div', {class: 'label-like'}, 'Next fire times'), preview))),
      h('div', {class: 'card'},
          h('h2', null, 'Action'),
          h('div', {class: 'field', id: 'field-action'},
              h('div', {class: 'radios', role: 'radiogroup'}, radios),
              h('div', {class: 'field-error', id: errIdOf('action'), role: 'alert'})),
          shellBox, httpBox, noopBox),
      h('div', {class: 'card'},
          h('h2', null, 'Policies'),
          h('div', {class: 'grid3'},
              field('timeoutSeconds', 'Timeout (s)', f.timeoutSeconds, 'Killed and TIMED_OUT after this.'),
              field('overlap', 'Overlap', f.overlap, 'When a tick comes while a run is still active.'),
              h('div', {class: 'field check-field', id: 'field-enabled'},
                  h('label', {for: idOf('enabled'), class: 'check'}, f.enabled, ' Enabled'),
                  h('div', {class: 'hint'}, 'A disabled job keeps its definition and never ticks.'),
                  h('div', {class: 'field-error', id: errIdOf('enabled'), role: 'alert'}))),
          h('h3', null, 'Timing', h('span', {class: 'muted small'}, ' — spread runs, bound the schedule')),
          h('div', {class: 'grid3'},
              field('jitter', 'Jitter', f.jitter, 'Each run starts up to this long after its tick.'),
              field('startAt', 'Start at', f.startAt, 'No ticks before this instant.'),
              field('endAt', 'End at', f.endAt, 'No ticks after this instant.')),
          h('h3', null, 'Catch-up', h('span', {class: 'muted small'}, ' — ticks missed while no node ran the job')),
          h('div', {class: 'grid3'},
              field('catchUp.policy', 'Policy', f.catchUpPolicy),
              field('catchUp.window', 'Window', f.catchUpWindow, 'ISO-8601 (PT1H) or 90s, 5m, 1h30m.'),
              field('catchUp.maxRuns', 'Max runs', f.catchUpMaxRuns)),
          h('h3', null, 'Retry', h('span', {class: 'muted small'}, ' — of FAILED, TIMED_OUT and LOST runs')),
          h('div', {class: 'grid4'},
              field('retry.maxAttempts', 'Max attempts', f.retryMaxAttempts, '1 = no retry.'),
              field('retry.backoff', 'Backoff', f.retryBackoff, 'Before the 2nd attempt.'),
              field('retry.multiplier', 'Multiplier', f.retryMultiplier, '1.0 to 10.0'),
              field('retry.maxBackoff', 'Max backoff', f.retryMaxBackoff)),
          h('h3', null, 'Where it runs', h('span', {class: 'muted small'}, ' — by node labels (see Cluster)')),
          field('target.nodeSelector', 'Node selector', f.targetSelector,
              'One key=value per line: only executors with every one of these labels run it, the least'
              + ' loaded first. Empty: any executor. No match: the run fails and is retried per the policy.'),
          h('h3', null, 'Calendars', h('span', {class: 'muted small'}, ' — times it must not fire in')),
          field('excludeCalendars', 'Exclude calendars', f.excludeCalendars,
              'Names, comma-separated (see Calendars): a tick in a time one of them excludes is SKIPPED.'),
          calendarNames,
          h('h3', null, 'Alerts', h('span', {class: 'muted small'}, ' — who hears when it goes wrong')),
          field('notify', 'Notify', f.notify,
              'One rule per line, "channel: KINDS" (see Channels): FAILED, TIMED_OUT, LOST, MISSED, LATE,'
              + ' RECOVERED; with LATE, lateAfter=PT5M says how late. Empty: the cluster\'s default rule only.')),
      h('div', {class: 'form-actions'},
          submit,
          h('a', {class: 'btn', href: editing ? route('jobs', editName) : '#/jobs'}, 'Cancel')));

  replace(main, h('section', {class: 'page narrow'},
      h('div', {class: 'page-head'},
          h('h1', null, editing ? 'Edit ' : 'New job', editing ? h('span', {class: 'mono'}, editName) : null),
          editing ? link(['jobs', editName], '← back to the job') : null),
      form));

  // ----- schedule preview, debounced, newest answer wins -----
  let previewSeq = 0;
  async function updatePreview() {
    const seq = ++previewSeq;
    const schedule = f.schedule.value.trim();
    const zone = f.timezone.value.trim() || 'UTC';
    if (!schedule) {
      replace(preview, h('p', {class: 'muted'}, 'Type a schedule to see when it fires.'));
      setError('schedule', null);
      return;
    }
    try {
      const name = f.name.value.trim() || null;
      const p = await post('/schedule/preview', {schedule, timezone: zone, count: 5, name}, {signal: ctx.signal});
      if (seq !== previewSeq) return;
      setError('schedule', null);
      setError('timezone', null);
      const otherZone = zone !== browserZone;
      replace(preview,
          h('p', {class: 'preview-description', id: 'schedule-description'}, p.description || ''),
          otherZone && p.next.length
            ? h('p', {class: 'muted small'}, `Your time (${browserZone}) · in ${zone}`) : null,
          p.next.length
            ? h('ol', {class: 'preview-times', id: 'preview-times'}, p.next.map(t => h('li', null,
                time(t, {rel: true}),
                otherZone ? h('span', {class: 'muted small'}, ` · ${zonedText(new Date(t), zone)}`) : null)))
            : h('p', {class: 'muted'}, 'This schedule never fires again.'));
    } catch (e) {
      if (e.name === 'AbortError' || seq !== previewSeq) return;
      replace(preview, h('p', {class: 'muted'}, 'No preview: fix the schedule.'));
      if (e instanceof ApiError && e.status === 400) setError(e.field === 'timezone' ? 'timezone' : 'schedule', e.message);
    }
  }
  const previewSoon = debounce(updatePreview, 300);
  f.schedule.addEventListener('input', previewSoon);
  f.timezone.addEventListener('input', previewSoon);
  f.name.addEventListener('input', previewSoon);
  f.timezone.addEventListener('change', previewSoon);
  updatePreview();

  // ----- submit -----
  form.addEventListener('submit', async event => {
    event.preventDefault();
    clearErrors(form);
    let body;
    try {
      body = collect();
    } catch (e) {
      if (e instanceof ApiError) return showError(e);
      throw e;
    }
    submit.disabled = true;
    try {
      const saved = editing
        ? await put(`/jobs/${enc(editName)}`, body, {signal: ctx.signal})
        : await post('/jobs', body, {signal: ctx.signal});
      flash('ok', `${editing ? 'Saved' : 'Created'} ${saved.name}.`);
      location.hash = route('jobs', saved.name);
    } catch (e) {
      if (e.name === 'AbortError') return;
      showError(e);
    } finally {
      submit.disabled = false;
    }
  });

  function showError(e) {
    const slot = e instanceof ApiError && e.field ? slotFor(e.field) : null;
    if (slot) {
      setError(slot, e.message);
      const el = document.getElementById(idOf(slot)) || document.getElementById(errIdOf(slot));
      if (el) {
        el.scrollIntoView({block: 'center'});
        if (el.focus) el.focus({preventScroll: true});
      }
    } else {
      formError.hidden = false;
      replace(formError, e.message || String(e));
      formError.scrollIntoView({block: 'center'});
    }
  }

  /** The request body: every field the API takes, parsed from the inputs. */
  function collect() {
    const body = {
      name: f.name.value.trim(),
      description: f.description.value.trim() || null,
      labels: parseLines(f.labels.value, '=', 'labels'),
      schedule: f.schedule.value.trim(),
      timezone: f.timezone.value.trim() || 'UTC',
      timeoutSeconds: int(f.timeoutSeconds, 'timeoutSeconds'),
      enabled: f.enabled.checked,
      overlap: f.overlap.value,
      jitter: isoDuration(f.jitter.value),
      startAt: f.startAt.value.trim() || null,
      endAt: f.endAt.value.trim() || null,
      catchUp: {
        policy: f.catchUpPolicy.value,
        window: isoDuration(f.catchUpWindow.value),
        maxRuns: int(f.catchUpMaxRuns, 'catchUp.maxRuns'),
      },
      retry: {
        maxAttempts: int(f.retryMaxAttempts, 'retry.maxAttempts'),
        backoff: isoDuration(f.retryBackoff.value),
        multiplier: num(f.retryMultiplier, 'retry.multiplier'),
        maxBackoff: isoDuration(f.retryMaxBackoff.value),
      },
      target: {nodeSelector: parseLines(f.targetSelector.value, '=', 'target.nodeSelector')},
      excludeCalendars: f.excludeCalendars.value.split(',').map(n => n.trim()).filter(n => n),
      notify: notifyRules(f.notify.value),
    };
    const kind = (form.querySelector('input[name=action]:checked') || {}).value;
    if (kind === 'shell') {
      body.shell = {
        command: f.shellCommand.value,
        env: parseLines(f.shellEnv.value, '=', 'shell.env'),
        workingDir: f.shellWorkingDir.value.trim() || null,
        user: f.shellUser.value.trim() || null,
      };
    } else if (kind === 'http') {
      body.http = {
        method: f.httpMethod.value,
        url: f.httpUrl.value.trim(),
        headers: parseLines(f.httpHeaders.value, ':', 'http.headers'),
        body: f.httpBody.value || null,
        expectStatus: statusList(f.httpExpectStatus.value),
        timeoutSeconds: int(f.httpTimeoutSeconds, 'http.timeoutSeconds'),
      };
    } else {
      body.noop = {};
    }
    return prune(body);
  }
}

/** One labelled input with its hint and the slot for its error message. */
function field(name, label, control, hint) {
  return h('div', {class: 'field', id: 'field-' + name.replace(/\./g, '-')},
      h('label', {for: control.id}, label),
      control,
      hint ? h('div', {class: 'hint'}, hint) : null,
      h('div', {class: 'field-error', id: errIdOf(name), role: 'alert'}));
}

/** The error slot for an API field: itself, else its nearest parent that has one, else an alias. */
function slotFor(field) {
  // excludeCalendars[1] is shown at the list's one input.
  const parts = String(field).replace(/\[\d+\]/g, '').split('.');
  for (let n = parts.length; n > 0; n--) {
    const candidate = parts.slice(0, n).join('.');
    if (document.getElementById(errIdOf(candidate))) return candidate;
    if (ERROR_ALIASES[candidate] && document.getElementById(errIdOf(ERROR_ALIASES[candidate]))) {
      return ERROR_ALIASES[candidate];
    }
  }
  return null;
}

function setError(field, message) {
  const slot = document.getElementById(errIdOf(field));
  if (!slot) return;
  slot.textContent = message || '';
  const box = slot.closest('.field');
  if (box) box.classList.toggle('invalid', Boolean(message));
  const control = document.getElementById(idOf(field));
  if (control) {
    if (message) control.setAttribute('aria-invalid', 'true');
    else control.removeAttribute('aria-invalid');
  }
}

function clearErrors(form) {
  form.querySelectorAll('.field-error').forEach(e => { e.textContent = ''; });
  form.querySelectorAll('.invalid').forEach(e => e.classList.remove('invalid'));
  form.querySelectorAll('[aria-invalid]').forEach(e => e.removeAttribute('aria-invalid'));
  const top = document.getElementById('form-error');
  top.hidden = true;
  top.textContent = '';
}

function linesOf(map, sep) {
  return Object.entries(map || {}).map(([k, v]) => `${k}${sep}${v}`).join('\n');
}

/** "key=value" lines (or "Name: value") into an object; a line without the separator is an error. */
function parseLines(text, sep, field) {
  const out = {};
  let count = 0;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    const at = line.indexOf(sep);
    if (at <= 0) throw new ApiError(400, `each line must be ${sep === '=' ? 'key=value' : 'Name: value'}: "${line}"`, field);
    out[line.slice(0, at).trim()] = line.slice(at + 1).trim();
    count++;
  }
  return count ? out : null;
}

/** "ops: FAILED, LOST" and "oncall: LATE lateAfter=PT5M" lines into the API's rules; the API judges names and kinds. */
function notifyRules(text) {
  const rules = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    const at = line.indexOf(':');
    if (at <= 0) throw new ApiError(400, `each line must be "channel: KINDS": "${line}"`, 'notify');
    const rule = {channel: line.slice(0, at).trim(), on: []};
    for (const word of line.slice(at + 1).split(/[\s,]+/).filter(Boolean)) {
      const late = word.match(/^lateAfter=(.+)$/i);
      if (late) rule.lateAfter = isoDuration(late[1]);
      else rule.on.push(word.toUpperCase());
    }
    rules.push(rule);
  }
  return rules;
}

function int(input, field) {
  const text = input.value.trim();
  if (!text) return null;
  const n = Number(text);
  if (!Number.isInteger(n)) throw new ApiError(400, `${field} must be a whole number`, field);
  return n;
}

function num(input, field) {
  const text = input.value.trim();
  if (!text) return null;
  const n = Number(text);
  if (!Number.isFinite(n)) throw new ApiError(400, `${field} must be a number`, field);
  return n;
}

function statusList(text) {
  const codes = text.split(/[\s,]+/).filter(Boolean);
  if (!codes.length) return null;
  return codes.map(c => {
    const n = Number(c);
    if (!Number.isInteger(n)) throw new ApiError(400, `"${c}" is not an HTTP status code`, 'http.expectStatus');
    return n;
  });
}

/** "90s", "5m", "1h30m", "2d" → ISO-8601; ISO text is passed as it is; the API judges the rest. */
export function isoDuration(text) {
  const t = text.trim();
  if (!t) return null;
  if (/^p/i.test(t)) return t.toUpperCase();
  const m = t.toLowerCase().match(/^(?:(\d+)d)?\s*(?:(\d+)h)?\s*(?:(\d+)m)?\s*(?:(\d+)s)?$/);
  if (!m || !m.slice(1).some(Boolean)) return t;
  const [, d, hh, mm, ss] = m;
  let iso = 'P' + (d ? d + 'D' : '');
  if (hh || mm || ss) iso += 'T' + (hh ? hh + 'H' : '') + (mm ? mm + 'M' : '') + (ss ? ss + 'S' : '');
  return iso;
}

/** Drops null fields (and objects left empty) so the API applies its defaults. */
function prune(obj) {
  const out = {};
  for (const [k, v] of Object.entries(obj)) {
    if (v == null) continue;
    if (typeof v === 'object' && !Array.isArray(v) && k !== 'noop') {
      const inner = prune(v);
      if (Object.keys(inner).length || k === 'shell' || k === 'http') out[k] = inner;
    } else {
      out[k] = v;
    }
  }
  return out;
}
