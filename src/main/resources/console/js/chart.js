// A small bar chart of recent runs, drawn as inline SVG: one bar per run, oldest left, newest right;
// height is the duration, colour (and the legend's word) the outcome.

import {h, s, badge, duration, localText, utcText, statusClass, TERMINAL} from './dom.js';

const W = 1200;
const H = 170;
const PAD = {left: 64, right: 12, top: 14, bottom: 30};
const MIN_SLOTS = 40;

/** runs: newest first, as the API pages them. onSelect(run) is called when a bar is clicked. */
export function runChart(runs, {onSelect, now = Date.now()} = {}) {
  if (!runs.length) return h('p', {class: 'muted chart-empty'}, 'No runs yet: the chart fills in as the job runs.');
  const data = [...runs].reverse();
  const lengths = data.map(r => runLength(r, now));
  const top = niceCeiling(Math.max(1000, ...lengths.filter(x => x != null)));
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const slots = Math.max(MIN_SLOTS, data.length);
  const slotW = plotW / slots;
  const first = slots - data.length; // few runs sit at the right, where "now" is

  const svg = s('svg', {class: 'run-chart', viewBox: `0 0 ${W} ${H}`, role: 'img',
    'aria-label': `Duration and outcome of the last ${data.length} runs`, preserveAspectRatio: 'xMidYMid meet'});

  for (const fraction of [0, 0.5, 1]) {
    const y = PAD.top + plotH - fraction * plotH;
    svg.append(
        s('line', {class: 'grid', x1: PAD.left, x2: W - PAD.right, y1: y, y2: y}),
        s('text', {class: 'axis', x: PAD.left - 8, y: y + 4, 'text-anchor': 'end'}, duration(top * fraction)));
  }

  data.forEach((run, i) => {
    const len = lengths[i];
    const barH = len == null ? 4 : Math.max(3, (len / top) * plotH);
    const x = PAD.left + (first + i) * slotW + slotW * 0.15;
    const bar = s('rect', {
      class: 'bar ' + statusClass(run.status) + (TERMINAL.has(run.status) ? '' : ' live'),
      x: x.toFixed(1), y: (PAD.top + plotH - barH).toFixed(1),
      width: Math.max(2, slotW * 0.7).toFixed(1), height: barH.toFixed(1), rx: 2,
      dataset: {run: run.id, status: run.status},
    }, s('title', null, describe(run, len)));
    if (onSelect) bar.addEventListener('click', () => onSelect(run));
    svg.append(bar);
  });

  const t0 = when(data[0]);
  const t1 = when(data[data.length - 1]);
  svg.append(s('text', {class: 'axis', x: PAD.left, y: H - 8, 'text-anchor': 'start'},
      t0 ? '← oldest shown: ' + localText(t0) : ''));
  svg.append(s('text', {class: 'axis', x: W - PAD.right, y: H - 8, 'text-anchor': 'end'},
      t1 ? 'newest: ' + localText(t1) + ' →' : ''));

  const counts = new Map();
  data.forEach(r => counts.set(r.status, (counts.get(r.status) || 0) + 1));
  const legend = h('div', {class: 'chart-legend'},
      [...counts.entries()].map(([status, n]) => h('span', {class: 'legend-item'}, badge(status), ` × ${n}`)),
      h('span', {class: 'muted small'}, ' · bar height = duration, oldest left · click a bar for its run'));
  return h('div', {class: 'chart'}, svg, legend);
}

function when(run) {
  const iso = run.startedAt || run.scheduledAt || run.firedAt;
  return iso ? new Date(iso) : null;
}

/** Milliseconds the run took, or has taken so far; null when it never started. */
function runLength(run, now) {
  if (run.durationMs != null) return run.durationMs;
  if (run.startedAt && !TERMINAL.has(run.status)) return Math.max(0, now - new Date(run.startedAt).getTime());
  return null;
}

function describe(run, len) {
  const t = when(run);
  return [
    run.status.replace(/_/g, ' '),
    t ? `${localText(t)} — ${utcText(t)}` : null,
    len == null ? 'did not run' : duration(len) + (TERMINAL.has(run.status) ? '' : ' so far'),
    run.node ? 'on ' + run.node : null,
    run.attempt > 1 ? 'attempt ' + run.attempt : null,
  ].filter(Boolean).join('\n');
}

/** 1, 2, 5 × 10^n at or above ms, so the axis reads in round numbers. */
function niceCeiling(ms) {
  const exp = Math.pow(10, Math.floor(Math.log10(ms)));
  for (const m of [1, 2, 5, 10]) if (m * exp >= ms) return m * exp;
  return 10 * exp;
}
