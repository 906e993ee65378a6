// One job: its definition, a chart of recent runs, and its run history paged with the API's cursor.

import {h, replace, route, link, badge, time, duration, labelChips, button, confirmButton, flash, refreshRelative,
  TERMINAL} from './dom.js';
import {get, post, del, enc, ApiError} from './api.js';
import {runChart} from './chart.js';

const PAGE_SIZE = 20;
const CHART_RUNS = 60;
const REFRESH_MS = 2500;

export async function jobPage(main, ctx, name) {
  let job;
  try {
    job = await get(`/jobs/${enc(name)}`, {signal: ctx.signal});
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) {
      replace(main, h('section', {class: 'page'}, h('h1', null, 'No such job'),
          h('p', null, 'There is no job called ', h('code', null, name), '. ', link(['jobs'], 'Back to the jobs.'))));
      return;
    }
    throw e;
  }

  const head = h('div', {class: 'page-head'});
  const summary = h('div', {class: 'card summary'});
  const statsBox = h('div', {class: 'card', id: 'job-stats'});
  const backfillProgress = h('div', {class: 'backfill-progress', id: 'backfill-progress'});
  const backfillFrom = h('input', {type: 'text', class: 'mono', name: 'from', id: 'backfill-from',
    placeholder: '2026-11-01T00:00:00Z', 'aria-label': 'From (UTC, inclusive)'});
  const backfillTo = h('input', {type: 'text', class: 'mono', name: 'to', id: 'backfill-to',
    placeholder: '2026-11-02T00:00:00Z', 'aria-label': 'To (UTC, exclusive)'});
  const backfillOverlap = h('select', {name: 'overlap', id: 'backfill-overlap', 'aria-label': 'Overlap'},
      ['QUEUE', 'SKIP', 'ALLOW'].map(o => h('option', {value: o}, o)));
  const chartBox = h('div', {class: 'chart-box', id: 'run-chart'});
  const runsBody = h('tbody', {id: 'runs-body'});
  const pager = h('div', {class: 'pager'});
  replace(main, h('section', {class: 'page'},
      h('nav', {class: 'crumbs'}, link(['jobs'], 'Jobs'), ' / ', h('span', null, name)),
      head,
      summary,
      statsBox,
      h('div', {class: 'card backfill', id: 'backfill'},
          h('h2', null, 'Backfill'),
          h('p', {class: 'muted small'}, 'Run the ticks in [from, to) that never ran: before the job existed, ',
              'or while it was paused. Ticks the schedule ran or skipped are left out.'),
          h('div', {class: 'tools'}, backfillFrom, backfillTo, backfillOverlap,
              button('Backfill', backfill, {action: 'backfill'})),
          backfillProgress),
      h('div', {class: 'card'}, h('h2', null, 'Recent runs'), chartBox),
      h('div', {class: 'card flush'},
          h('div', {class: 'card-head'}, h('h2', null, 'Run history'), pager),
          h('table', {class: 'table runs-table'},
              h('thead', null, h('tr', null,
                  h('th', null, 'Status'), h('th', null, 'Scheduled'), h('th', null, 'Started'),
                  h('th', null, 'Duration'), h('th', null, 'Node'), h('th', null, 'Attempt'),
                  h('th', null, 'Reason'), h('th', null, 'Exit'), h('th', null, 'Message'), h('th', null, ''))),
              runsBody))));

  // ----- the job -----
  let headSig = null;
  let jobSig = null;
  function showJob() {
    // The buttons are redrawn only when what they do changes, not on every tick of a busy job.
    const paused = job.status === 'PAUSED';
    const hs = JSON.stringify([job.status, job.enabled]);
    if (hs !== headSig) {
      headSig = hs;
      showHead(paused);
    }
    const sig = JSON.stringify(job);
    if (sig === jobSig) return refreshRelative(summary);
    jobSig = sig;
    showSummary();
    replace(statsBox, statsView(job.stats));
    showBackfill();
  }

  function showBackfill() {
    const b = job.backfill;
    if (!b) return replace(backfillProgress);
    replace(backfillProgress,
        h('span', null, `${b.going ? 'Going' : 'Done'}: ${b.decided} of ${b.ticks} ticks run or skipped `,
            `(${b.overlap}, from `, time(b.from), ' to ', time(b.to), ') '),
        h('progress', {max: String(Math.max(b.ticks, 1)), value: String(b.decided)}),
        b.going ? button('Cancel backfill', cancelBackfill, {action: 'cancel-backfill', kind: 'small'}) : null);
  }

  async function backfill() {
    try {
      const body = {from: backfillFrom.value.trim(), to: backfillTo.value.trim(), overlap: backfillOverlap.value};
      const r = await post(`/jobs/${enc(name)}/backfill`, body, {signal: ctx.signal});
      flash('ok', `Backfill of ${name}: ${r.ticks} ticks to run, ${r.leftOut} left out.`);
      await refresh();
    } catch (e) {
      if (e.name !== 'AbortError') flash('error', `Could not backfill ${name}: ${e.message}`);
    }
  }

  async function cancelBackfill() {
    try {
      const r = await del(`/jobs/${enc(name)}/backfill`, {signal: ctx.signal});
      flash('ok', `Cancelled the backfill of ${name}: ${r.cancelled} ticks skipped.`);
      await refresh();
    } catch (e) {
      if (e.name !== 'AbortError') flash('error', `Could not cancel the backfill of ${name}: ${e.message}`);
    }
  }

  function showHead(paused) {
    replace(head,
        h('h1', null, h('span', {class: 'mono', id: 'job-name'}, job.name), ' ', badge(job.status),
            job.enabled ? null : [' ', badge('DISABLED')]),
        h('div', {class: 'tools'},
            h('a', {class: 'btn', href: route('jobs', name, 'edit'), dataset: {action: 'edit'}}, 'Edit'),
            paused
              ? button('Resume', () => act('resume', 'Resumed'), {action: 'resume'})
              : button('Pause', () => act('pause', 'Paused'), {action: 'pause'}),
            button('Trigger now', trigger, {action: 'trigger', kind: 'primary'}),
            confirmButton('Delete', 'Really delete?', remove, {action: 'delete', kind: 'danger'})));
  }

  function showSummary() {
    replace(summary,
        job.description ? h('p', {class: 'description', id: 'job-description'}, job.description) : null,
        h('dl', {class: 'facts'},
            fact('Schedule', h('code', {class: 'schedule'}, job.schedule), ' ',
                h('span', {class: 'muted'}, job.scheduleDescription || '')),
            fact('Time zone', job.timezone),
            fact('Action', actionView(job)),
            fact('Labels', labelChips(job.labels)),
            fact('Runs on', job.target
              ? h('span', {id: 'job-target'}, labelChips(job.target.nodeSelector))
              : h('span', {class: 'muted', id: 'job-target'}, 'any executor')),
            fact('Next fires', nextFires(job)),
            fact('Timeout', duration(job.timeoutSeconds * 1000)),
            fact('Overlap', job.overlap),
            job.jitter ? fact('Jitter', `up to ${job.jitter} after each tick`) : null,
            job.startAt || job.endAt
              ? fact('Runs', [job.startAt ? ['from ', time(job.startAt)] : null,
                  job.endAt ? [job.startAt ? ' until ' : 'until ', time(job.endAt)] : null]) : null,
            fact('Catch-up', job.catchUp
              ? `${job.catchUp.policy}, window ${job.catchUp.window}, at most ${job.catchUp.maxRuns} runs` : '—'),
            fact('Retry', retryText(job.retry)),
            fact('Alerts', notifyView(job.notify)),
            fact('Last tick', time(job.lastScheduled, {rel: true}))));
  }

  async function act(verb, done) {
    try {
      job = await post(`/jobs/${enc(name)}/${verb}`, undefined, {signal: ctx.signal});
      flash('ok', `${done} ${name}.`);
      showJob();
    } catch (e) {
      if (e.name !== 'AbortError') flash('error', `Could not ${verb} ${name}: ${e.message}`);
    }
  }

  async function trigger() {
    try {
      const r = await post(`/jobs/${enc(name)}/trigger`, undefined, {signal: ctx.signal});
      flash('ok', `Triggered ${name}: `, link(['runs', r.runId], 'run ' + r.runId.slice(0, 8)), '.');
      await refresh();
    } catch (e) {
      if (e.name !== 'AbortError') flash('error', `Could not trigger ${name}: ${e.message}`);
    }
  }

  async function remove() {
    try {
      await del(`/jobs/${enc(name)}`, {signal: ctx.signal});
      flash('ok', `Deleted ${name}.`);
      location.hash = '#/jobs';
    } catch (e) {
      if (e.name !== 'AbortError') flash('error', `Could not delete ${name}: ${e.message}`);
    }
  }

  // ----- runs: pages by cursor; the first page follows new runs on its own -----
  const cursors = [null];
  let pageIndex = 0;
  let nextCursor = null;
  let runsSig = null;

  async function loadRuns() {
    const q = new URLSearchParams({limit: String(PAGE_SIZE)});
    if (cursors[pageIndex]) q.set('cursor', cursors[pageIndex]);
    const page = await get(`/jobs/${enc(name)}/runs?${q}`, {signal: ctx.signal});
    nextCursor = page.next;
    const sig = JSON.stringify(page);
    const live = page.items.some(r => !TERMINAL.has(r.status));
    if (sig !== runsSig || live) {
      runsSig = sig;
      replace(runsBody, page.items.length
        ? page.items.map(runRow)
        : h('tr', {class: 'empty'}, h('td', {colspan: '10'},
            pageIndex === 0 ? 'No runs yet. They appear here as the job fires (or press “Trigger now”).' : 'No older runs.')));
    }
    refreshRelative(runsBody);
    showPager(page.items.length);
  }

  function showPager(count) {
    const from = pageIndex * PAGE_SIZE + (count ? 1 : 0);
    const to = pageIndex * PAGE_SIZE + count;
    replace(pager,
        h('span', {class: 'muted small'}, count ? `runs ${from}–${to}, newest first` : ''),
        button('← Newer', () => go(pageIndex - 1), {action: 'newer', kind: 'small', disabled: pageIndex === 0}),
        button('Older →', () => go(pageIndex + 1), {action: 'older', kind: 'small', disabled: !nextCursor}));
  }

  async function go(index) {
    if (index < 0) return;
    if (index > pageIndex) {
      if (!nextCursor) return;
      cursors[index] = nextCursor;
    }
    pageIndex = index;
    cursors.length = index + 1;
    runsSig = null;
    try {
      await loadRuns();
    } catch (e) {
      if (e.name !== 'AbortError') flash('error', 'Could not load runs: ' + e.message);
    }
  }

  let chartSig = null;
  async function loadChart() {
    const page = await get(`/jobs/${enc(name)}/runs?limit=${CHART_RUNS}`, {signal: ctx.signal});
    const live = page.items.some(r => !TERMINAL.has(r.status));
    const sig = JSON.stringify(page.items);
    if (sig === chartSig && !live) return;
    chartSig = sig;
    replace(chartBox, runChart(page.items, {onSelect: run => { location.hash = route('runs', run.id); }}));
  }

  async function refresh() {
    job = await get(`/jobs/${enc(name)}`, {signal: ctx.signal});
    showJob();
    await Promise.all([loadChart(), pageIndex === 0 ? loadRuns() : null]);
  }

  showJob();
  await Promise.all([loadChart(), loadRuns()]);
  ctx.every(REFRESH_MS, async () => {
    if (head.querySelector('.armed')) return;
    try {
      await refresh();
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) {
        replace(head, h('h1', null, h('span', {class: 'mono'}, name), ' ', badge('DELETED')));
      } else {
        throw e;
      }
    }
  });
}

function fact(label, ...value) {
  return h('div', {class: 'fact'}, h('dt', null, label), h('dd', null, ...value));
}

/** The last day in figures: how often the job ran, how it ended, how late its ticks started. */
function statsView(stats) {
  if (!stats) return null;
  const figure = (key, label, value, title) => h('div', {class: 'figure', dataset: {stat: key}, title: title || null},
      h('div', {class: 'figure-value num'}, value), h('div', {class: 'figure-label'}, label));
  const ms = v => v == null ? '—' : duration(v);
  return [
    h('h2', null, 'Last 24 hours ', h('span', {class: 'muted small'}, 'ticks since ', time(stats.since))),
    h('div', {class: 'figures'},
        figure('runs', 'runs', String(stats.runs)),
        figure('succeeded', 'succeeded', String(stats.succeeded)),
        figure('failed', 'failed', String(stats.failed), 'failed, timed out, killed or lost'),
        figure('skipped', 'ticks skipped', String(stats.skipped), 'ticks decided not to run: overlap, catch-up'),
        figure('unfinished', 'in progress', String(stats.unfinished)),
        figure('latenessP50', 'lateness p50', ms(stats.latenessP50Ms),
            'start of a tick\'s first run minus the tick and its jitter'),
        figure('latenessP99', 'lateness p99', ms(stats.latenessP99Ms)),
        figure('latenessMax', 'lateness max', ms(stats.latenessMaxMs)),
        figure('meanDuration', 'mean duration', ms(stats.meanDurationMs))),
  ];
}

function actionView(job) {
  if (job.shell) {
    const env = Object.entries(job.shell.env || {});
    return h('div', null,
        h('span', {class: 'muted small'}, 'shell'),
        h('pre', {class: 'command', id: 'job-command'}, job.shell.command),
        env.length ? h('div', {class: 'small'}, 'env: ', labelChips(job.shell.env)) : null,
        job.shell.workingDir ? h('div', {class: 'small'}, 'in ', h('code', null, job.shell.workingDir)) : null);
  }
  if (job.http) {
    return h('div', null,
        h('span', {class: 'muted small'}, 'http '),
        h('code', null, `${job.http.method || 'GET'} ${job.http.url}`),
        job.http.expectStatus && job.http.expectStatus.length
          ? h('div', {class: 'small muted'}, 'expects ' + job.http.expectStatus.join(', ')) : null);
  }
  return h('span', {class: 'muted'}, 'no-op (records the tick only)');
}

/** The job's notify rules, each to its channel; none: only the cluster's default rule, if any, applies. */
function notifyView(rules) {
  if (!rules || !rules.length) return h('span', {class: 'muted', id: 'job-notify'}, 'no rules of its own');
  return h('ul', {class: 'notify-rules', id: 'job-notify'}, rules.map(r => h('li', {dataset: {channel: r.channel}},
      h('a', {href: '#/channels'}, r.channel), ': ', h('code', null, r.on.join(', ')),
      r.lateAfter ? h('span', {class: 'muted'}, ` (late after ${r.lateAfter})`) : null)));
}

function nextFires(job) {
  const times = job.nextFireTimes || [];
  if (!job.enabled) return h('span', {class: 'muted'}, 'disabled: never ticks');
  if (job.status === 'PAUSED') return h('span', {class: 'muted'}, 'paused');
  if (job.status === 'ENDED') return h('span', {class: 'muted'}, `ended: no ticks after ${job.endAt}`);
  if (!times.length) return h('span', {class: 'muted'}, 'never again');
  return h('ol', {class: 'fires'}, times.map(t => h('li', null, time(t, {rel: true}))));
}

function retryText(r) {
  if (!r) return '—';
  if (r.maxAttempts <= 1) return 'none (1 attempt)';
  return `${r.maxAttempts} attempts, backoff ${r.backoff} × ${r.multiplier}, at most ${r.maxBackoff}`;
}

function runRow(run) {
  const running = !TERMINAL.has(run.status);
  const started = run.startedAt ? new Date(run.startedAt) : null;
  const delay = started && run.scheduledAt ? started - new Date(run.scheduledAt) : null;
  const length = run.durationMs != null ? duration(run.durationMs)
    : running && started ? duration(Date.now() - started) + ' so far' : '—';
  const tr = h('tr', {class: 'run-row clickable', dataset: {run: run.id, status: run.status}},
      h('td', null, badge(run.status)),
      h('td', {class: 'nowrap'}, time(run.scheduledAt)),
      h('td', {class: 'nowrap'}, time(run.startedAt),
          delay != null && Math.abs(delay) >= 1000 ? h('span', {class: 'muted small'}, ` (+${duration(delay)})`) : null),
      h('td', {class: 'nowrap num'}, length),
      h('td', {class: 'mono small'}, run.node || '—'),
      h('td', {class: 'num'}, String(run.attempt)),
      h('td', null, run.reason || '—'),
      h('td', {class: 'num'}, run.exitCode == null ? '—' : String(run.exitCode)),
      run.message ? h('td', {class: 'small'}, h('div', {class: 'clamp', title: run.message}, run.message))
        : h('td', {class: 'muted'}, '—'),
      h('td', {class: 'nowrap'}, h('a', {href: route('runs', run.id), class: 'run-link'}, 'Output →')));
  tr.addEventListener('click', e => {
    if (!e.target.closest('a')) location.hash = route('runs', run.id);
  });
  return tr;
}
