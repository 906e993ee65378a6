// Building the page. Every string that comes from the API (names, labels, descriptions, commands,
// output) enters the DOM as a text node or an attribute value: nothing in the console parses HTML, so
// a job called "<img onerror=...>" is shown, never run. Keep it that way: no innerHTML, outerHTML,
// insertAdjacentHTML or document.write anywhere (ConsoleRoutesTest checks).

const SVG_NS = 'http://www.w3.org/2000/svg';

/** An element: h('a', {href: '#/jobs', class: 'x', onclick: fn}, 'text', otherNode, [more]). */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  setProps(el, props);
  append(el, children);
  return el;
}

/** An SVG element, same shape as h(). */
export function s(tag, props, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  setProps(el, props);
  append(el, children);
  return el;
}

function setProps(el, props) {
  if (!props) return;
  for (const [key, value] of Object.entries(props)) {
    if (value == null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2), value);
    } else if (key === 'text') {
      el.textContent = String(value);
    } else if (key === 'value') {
      el.value = String(value);
    } else if (key === 'checked') {
      el.checked = Boolean(value);
    } else if (key === 'dataset') {
      for (const [k, v] of Object.entries(value)) el.dataset[k] = String(v);
    } else if (key === 'href') {
      el.setAttribute('href', safeHref(value));
    } else if (key.startsWith('on') || key === 'style' || key === 'srcdoc') {
      throw new Error('refusing attribute ' + key);
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
}

/** Links are the console's own routes or its own API: never javascript: or another origin. */
function safeHref(href) {
  const v = String(href);
  if (v.startsWith('#') || v.startsWith('api/') || v.startsWith('/')) return v.startsWith('//') ? '#' : v;
  return '#';
}

/** Appends children: nodes as they are, anything else as text. */
export function append(el, children) {
  for (const c of [children].flat(Infinity)) {
    if (c == null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** Replaces an element's content. */
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

export const $ = (sel, root = document) => root.querySelector(sel);

/** An in-app link to a route, e.g. link(['jobs', name], name). Path segments are URI-encoded. */
export function route(...segments) {
  return '#/' + segments.map(encodeURIComponent).join('/');
}

export function link(segments, ...children) {
  return h('a', {href: route(...segments)}, ...children);
}

// ----- statuses: colour and word, always both -----

const STATUS_CLASS = {
  SUCCEEDED: 'ok', ACTIVE: 'ok', UP: 'ok',
  FAILED: 'bad', TIMED_OUT: 'warn', KILLED: 'killed', LOST: 'lost',
  RUNNING: 'running', PENDING: 'pending', SKIPPED: 'muted',
  PAUSED: 'paused', DISABLED: 'muted', ENDED: 'muted', JOINING: 'pending', WEAKLY_UP: 'pending',
  LEAVING: 'warn', EXITING: 'warn', DOWN: 'bad', REMOVED: 'muted',
  HEALTHY: 'ok', UNHEALTHY: 'bad', DELIVERED: 'ok', NOT_DELIVERED: 'bad',
};

export function statusClass(status) {
  return 'st-' + (STATUS_CLASS[String(status).toUpperCase().replace(/[^A-Z_]/g, '_')] || 'muted');
}

/** A status badge: a coloured dot and the word, e.g. "● SUCCEEDED". */
export function badge(status, title) {
  const word = String(status || 'UNKNOWN');
  return h('span', {class: 'badge ' + statusClass(word), title: title || null, dataset: {status: word}},
      h('span', {class: 'dot', 'aria-hidden': 'true'}), word.replace(/_/g, ' '));
}

export const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'KILLED', 'LOST', 'SKIPPED']);

// ----- time: shown in the browser's zone, the UTC instant on hover -----

export const browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone || 'local time';

const pad = (n, w = 2) => String(n).padStart(w, '0');

/** "2026-11-26 07:05:03" in the browser's zone. */
export function localText(date) {
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} `
      + `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/** The same instant in another IANA zone, e.g. the job's own. */
export function zonedText(date, zone) {
  try {
    const parts = Object.fromEntries(new Intl.DateTimeFormat('en-GB', {
      timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit', weekday: 'short',
      hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
    }).formatToParts(date).map(p => [p.type, p.value]));
    return `${parts.weekday} ${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second}`;
  } catch (e) {
    return date.toISOString();
  }
}

export function utcText(date) {
  return date.toISOString().replace('.000Z', 'Z') + ' (UTC)';
}

/** "in 4 s", "12 min ago". */
export function relative(date, now = Date.now()) {
  const diff = date.getTime() - now;
  const abs = Math.abs(diff);
  let text;
  if (abs < 1000) return 'now';
  if (abs < 60_000) text = Math.round(abs / 1000) + ' s';
  else if (abs < 3_600_000) text = Math.round(abs / 60_000) + ' min';
  else if (abs < 86_400_000) text = (abs / 3_600_000).toFixed(abs < 36_000_000 ? 1 : 0) + ' h';
  else text = Math.round(abs / 86_400_000) + ' d';
  return diff > 0 ? 'in ' + text : text + ' ago';
}

/** A <time>: local time as text, the UTC instant as its title; "—" for no time. */
export function time(iso, {rel = false} = {}) {
  if (!iso) return h('span', {class: 'muted'}, '—');
  const date = new Date(iso);
  if (isNaN(date)) return h('span', null, String(iso));
  return h('time', {datetime: iso, title: utcText(date), class: 'ts'},
      localText(date), rel ? h('span', {class: 'rel'}, relative(date)) : null);
}

/** "850 ms", "12.3 s", "4 min 03 s", "2 h 05 min". */
export function duration(ms) {
  if (ms == null || isNaN(ms)) return '—';
  if (ms < 1000) return Math.round(ms) + ' ms';
  if (ms < 60_000) return (ms / 1000).toFixed(ms < 10_000 ? 2 : 1) + ' s';
  const sec = Math.round(ms / 1000);
  if (sec < 3600) return `${Math.floor(sec / 60)} min ${pad(sec % 60)} s`;
  return `${Math.floor(sec / 3600)} h ${pad(Math.floor((sec % 3600) / 60))} min`;
}

/** Labels as chips "key=value". */
export function labelChips(labels) {
  const entries = Object.entries(labels || {});
  if (!entries.length) return h('span', {class: 'muted'}, '—');
  return h('span', {class: 'chips'},
      entries.map(([k, v]) => h('span', {class: 'chip', title: `${k}=${v}`}, `${k}=${v}`)));
}

// ----- small widgets -----

export function button(text, onclick, {kind = '', action, title, disabled} = {}) {
  return h('button', {type: 'button', class: ('btn ' + kind).trim(), onclick, title,
    disabled: disabled || null, dataset: action ? {action} : undefined}, text);
}

/** A button that asks again before it acts ("Delete" → "Really delete?"). */
export function confirmButton(text, confirmText, onconfirm, opts = {}) {
  let armed = null;
  const btn = button(text, async () => {
    if (!armed) {
      btn.textContent = confirmText;
      btn.classList.add('armed');
      armed = setTimeout(() => { armed = null; btn.textContent = text; btn.classList.remove('armed'); }, 4000);
      return;
    }
    clearTimeout(armed);
    armed = null;
    btn.disabled = true;
    try {
      await onconfirm();
    } finally {
      btn.disabled = false;
      btn.textContent = text;
      btn.classList.remove('armed');
    }
  }, opts);
  return btn;
}

let flashTimer = null;

/** A message at the top of the page; kind is 'ok' or 'error'. */
export function flash(kind, ...content) {
  const area = document.getElementById('flash');
  const msg = h('div', {class: 'flash flash-' + kind, role: kind === 'error' ? 'alert' : 'status'},
      h('span', {class: 'flash-text'}, ...content),
      h('button', {type: 'button', class: 'flash-close', title: 'Dismiss', 'aria-label': 'Dismiss',
        onclick: () => msg.remove()}, '×'));
  replace(area, msg);
  clearTimeout(flashTimer);
  flashTimer = setTimeout(() => msg.remove(), kind === 'error' ? 15000 : 6000);
}

export function debounce(fn, ms) {
  let t = null;
  return (...args) => {
    clearTimeout(t);
    t = setTimeout(() => fn(...args), ms);
  };
}

/** Brings the "in 4 s" / "3 min ago" parts of the times under root up to date. */
export function refreshRelative(root) {
  const now = Date.now();
  root.querySelectorAll('time.ts[datetime]').forEach(t => {
    const rel = t.querySelector('.rel');
    if (rel) rel.textContent = relative(new Date(t.getAttribute('datetime')), now);
  });
}
