// One run: what happened, and its output — tailed live while the run goes on — with a Kill button.

import {h, replace, link, badge, time, duration, button, flash, TERMINAL} from './dom.js';
import {get, post, enc, followOutput, outputBlob, ApiError} from './api.js';

const POLL_MS = 1000;

export async function runPage(main, ctx, id) {
  let run;
  try {
    run = await get(`/runs/${enc(id)}`, {signal: ctx.signal});
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) {
      replace(main, h('section', {class: 'page'}, h('h1', null, 'No such run'),
          h('p', null, 'There is no run ', h('code', null, id), ' (finished runs are kept for a while, then removed). ',
              link(['jobs'], 'Back to the jobs.'))));
      return;
    }
    throw e;
  }

  const crumbs = h('nav', {class: 'crumbs'});
  const head = h('div', {class: 'page-head'});
  const facts = h('dl', {class: 'facts'});
  const output = h('pre', {class: 'output', id: 'output', tabindex: '0', 'aria-label': 'Run output'});
  const outputNote = h('p', {class: 'muted small output-note', id: 'output-note'});
  const live = h('span', {class: 'live-indicator', id: 'live', hidden: true}, h('span', {class: 'pulse'}), ' live');
  let killing = false;

  replace(main, h('section', {class: 'page'},
      crumbs,
      head,
      h('div', {class: 'card summary'}, facts),
      h('div', {class: 'card flush'},
          h('div', {class: 'card-head'}, h('h2', null, 'Output ', live),
              button('Download', download, {action: 'download', kind: 'small', title: 'The stored output as a text file'})),
          output,
          outputNote)));

  const durationText = h('span', {id: 'run-duration'});
  /** A running run's "so far" moves on with every poll, without redrawing the rest. */
  function showDuration() {
    durationText.textContent = run.durationMs != null ? duration(run.durationMs)
      : run.startedAt && !TERMINAL.has(run.status) ? duration(Date.now() - new Date(run.startedAt)) + ' so far' : '—';
  }

  let sig = null;
  function showRun() {
    const s = JSON.stringify({...run, outputTail: null, killing});
    if (s === sig) return showDuration();
    sig = s;
    const finished = TERMINAL.has(run.status);
    replace(crumbs, link(['jobs'], 'Jobs'), ' / ', link(['jobs', run.job], run.job), ' / ',
        h('span', null, 'run ' + run.id.slice(0, 8)));
    replace(head,
        h('h1', null, 'Run of ', link(['jobs', run.job], h('span', {class: 'mono'}, run.job)), ' ',
            h('span', {id: 'run-status'}, badge(run.status))),
        h('div', {class: 'tools'},
            finished ? null : button(killing ? 'Killing…' : 'Kill', kill,
                {action: 'kill', kind: 'danger', disabled: killing, title: 'TERM the whole process tree, then KILL'})));
    replace(facts,
        fact('Status', badge(run.status)),
        fact('Run id', h('code', null, run.id)),
        fact('Reason', run.reason || '—'),
        fact('Attempt', String(run.attempt)),
        fact('Scheduled', time(run.scheduledAt)),
        run.jitter ? fact('Jitter', `${run.jitter} after the tick, on purpose`) : null,
        fact('Fired', time(run.firedAt)),
        fact('Started', time(run.startedAt)),
        fact('Finished', time(run.finishedAt)),
        fact('Duration', durationText),
        fact('Node', run.node ? h('code', null, run.node) : '—'),
        fact('Exit code', run.exitCode == null ? '—' : String(run.exitCode)),
        fact('Message', run.message ? h('span', {id: 'run-message'}, run.message) : '—'));
    showDuration();
  }

  async function kill() {
    killing = true;
    showRun();
    try {
      await post(`/runs/${enc(id)}/kill`, undefined, {signal: ctx.signal});
      flash('ok', 'Kill sent: the run’s process tree gets TERM, then KILL after a grace.');
    } catch (e) {
      if (e.name === 'AbortError') return;
      killing = false;
      flash('error', 'Could not kill the run: ' + e.message);
    }
    await reload();
  }

  async function download() {
    try {
      const url = URL.createObjectURL(await outputBlob(id, {signal: ctx.signal}));
      const a = h('a', {href: '#', download: `${run.job}-${id}.log`});
      a.href = url; // a blob: URL of this origin, made here; h() only lets in-app links through
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (e) {
      if (e.name !== 'AbortError') flash('error', 'Could not download the output: ' + e.message);
    }
  }

  async function reload() {
    run = await get(`/runs/${enc(id)}`, {signal: ctx.signal});
    if (TERMINAL.has(run.status)) killing = false;
    showRun();
  }

  let streamed = 0;
  function appendOutput(text) {
    const atBottom = output.scrollTop + output.clientHeight >= output.scrollHeight - 8;
    output.append(text); // a text node: output is never markup
    streamed += text.length;
    output.classList.remove('empty');
    if (atBottom) output.scrollTop = output.scrollHeight;
  }

  function showFinalOutput() {
    if (!streamed && run.outputTail) appendOutput(run.outputTail);
    if (!output.textContent) {
      output.classList.add('empty');
      outputNote.textContent = 'The run printed nothing.';
    } else {
      outputNote.textContent = `${output.textContent.length.toLocaleString()} characters` +
          (TERMINAL.has(run.status) ? ' · the end of the output is kept with the run (at most its last 64 KiB).' : '');
    }
  }

  /** Tails the output until the node ends the stream (the run finished), then shows the final state. */
  async function follow() {
    live.hidden = false;
    outputNote.textContent = 'Following the output as the run writes it…';
    try {
      await followOutput(id, appendOutput, {signal: ctx.signal});
    } catch (e) {
      if (e.name === 'AbortError' || !ctx.active) return;
      outputNote.textContent = 'The live output stopped: ' + e.message + '. Reload the page to follow again.';
      live.hidden = true;
      return;
    }
    live.hidden = true;
    await reload();
    while (!TERMINAL.has(run.status) && ctx.active) {
      await new Promise(resolve => ctx.after(POLL_MS, resolve));
      await reload();
    }
    showFinalOutput();
  }

  showRun();
  if (TERMINAL.has(run.status)) {
    showFinalOutput();
  } else {
    // Status and kill button follow the run while its output streams in.
    ctx.every(POLL_MS, async () => {
      if (!TERMINAL.has(run.status)) await reload();
    });
    await follow();
  }
}

function fact(label, ...value) {
  return h('div', {class: 'fact'}, h('dt', null, label), h('dd', null, ...value));
}
