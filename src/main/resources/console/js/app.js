// The console's entry point: hash routes to pages, and the life of a page (its timers and requests end
// when another page replaces it).

import {h, replace, browserZone, link} from './dom.js';
import {get, token, setToken, clearToken, onUnauthorized} from './api.js';
import {jobsPage} from './jobs.js';
import {formPage} from './form.js';
import {jobPage} from './job.js';
import {runPage} from './run.js';
import {clusterPage} from './cluster.js';
import {auditPage} from './audit.js';
import {tokensPage} from './tokens.js';
import {calendarsPage} from './calendars.js';
import {channelsPage} from './channels.js';

/** What a page gets: an abort signal for its requests and timers that stop with it. */
export class PageContext {
  constructor() {
    this.controller = new AbortController();
    this.timers = new Set();
  }

  get signal() {
    return this.controller.signal;
  }

  get active() {
    return !this.controller.signal.aborted;
  }

  /** Runs fn every ms milliseconds, one call at a time, while the page is shown. */
  every(ms, fn) {
    const loop = async () => {
      if (!this.active) return;
      try {
        await fn();
      } catch (e) {
        if (this.active && e.name !== 'AbortError') console.warn('refresh failed', e);
      }
      this.after(ms, loop);
    };
    this.after(ms, loop);
  }

  after(ms, fn) {
    if (!this.active) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (this.active) fn();
    }, ms);
    this.timers.add(t);
  }

  dispose() {
    this.controller.abort();
    this.timers.forEach(clearTimeout);
    this.timers.clear();
  }
}

const ROUTES = [
  [/^\/?$/, () => jobsPage, 'jobs'],
  [/^\/jobs\/?$/, () => jobsPage, 'jobs'],
  [/^\/new$/, () => formPage, 'new'],
  [/^\/jobs\/([^/]+)\/edit$/, () => formPage, 'jobs'],
  [/^\/jobs\/([^/]+)$/, () => jobPage, 'jobs'],
  [/^\/runs\/([^/]+)$/, () => runPage, 'jobs'],
  [/^\/cluster$/, () => clusterPage, 'cluster'],
  [/^\/audit$/, () => auditPage, 'audit'],
  [/^\/tokens$/, () => tokensPage, 'tokens'],
  [/^\/calendars$/, () => calendarsPage, 'calendars'],
  [/^\/channels$/, () => channelsPage, 'channels'],
];

let current = null;

function notFound(main) {
  replace(main, h('section', {class: 'page'},
      h('h1', null, 'Not found'),
      h('p', null, 'There is no page here. ', link(['jobs'], 'Back to the jobs.'))));
}

function render() {
  const main = document.getElementById('main');
  const path = location.hash.replace(/^#/, '').split('?')[0];
  if (current) current.dispose();
  current = new PageContext();
  window.scrollTo(0, 0);
  for (const [pattern, page, nav] of ROUTES) {
    const m = path.match(pattern);
    if (!m) continue;
    document.querySelectorAll('[data-nav]').forEach(a =>
      a.classList.toggle('active', a.dataset.nav === nav));
    const params = m.slice(1).map(decodeURIComponent);
    replace(main);
    Promise.resolve(page()(main, current, ...params)).catch(e => {
      if (e.name === 'AbortError') return;
      if (e.status === 401) {
        replace(main, h('section', {class: 'page'}, h('h1', null, 'Sign in'),
            h('p', {class: 'muted'}, 'This node needs an API token to show this page.')));
        return;
      }
      if (e.status === 403) {
        replace(main, h('section', {class: 'page', id: 'forbidden'}, h('h1', null, 'Not allowed'),
            h('p', null, 'Your token may not see this page: ', e.message, '.'),
            h('p', {class: 'muted'}, 'Sign out and sign in with a token that has the role. ',
                link(['jobs'], 'Back to the jobs.'))));
        return;
      }
      console.error(e);
      replace(main, h('section', {class: 'page'},
          h('h1', null, 'Something went wrong'),
          h('p', {class: 'error-text'}, String(e.message || e)),
          h('p', null, link(['jobs'], 'Back to the jobs.'))));
    });
    return;
  }
  notFound(main);
}

// ----- the token, for a node that asks for one -----

let dialog = null;

/** Asks for an API token; the node's 401 brings this up, a token it accepts takes it away. */
function askForToken() {
  if (dialog) return;
  const input = h('input', {type: 'password', id: 'token-input', autocomplete: 'current-password',
    placeholder: 'API token', 'aria-label': 'API token', required: true});
  const remember = h('input', {type: 'checkbox', id: 'token-remember'});
  const error = h('p', {class: 'field-error', id: 'token-error', role: 'alert'});
  const submit = h('button', {type: 'submit', class: 'btn primary', id: 'token-submit'}, 'Sign in');
  const form = h('form', {class: 'card dialog', id: 'token-dialog', 'aria-labelledby': 'token-title'},
      h('h2', {id: 'token-title'}, 'Sign in'),
      h('p', null, 'This node needs an API token: the admin token it was started with ',
          h('code', null, 'DISTCRON_ADMIN_TOKEN'), ', or one made with ', h('code', null, 'POST /api/v1/tokens'), '.'),
      input,
      h('label', {class: 'check', for: 'token-remember'}, remember, ' Remember on this browser'),
      error,
      h('div', {class: 'form-actions'}, submit));
  form.addEventListener('submit', async event => {
    event.preventDefault();
    const candidate = input.value.trim();
    if (!candidate) return;
    submit.disabled = true;
    error.textContent = '';
    try {
      await get('/nodes', {withToken: candidate});
      setToken(candidate, remember.checked);
      dialog.remove();
      dialog = null;
      showSignOut();
      render();
    } catch (e) {
      error.textContent = e.status === 401 ? 'The node does not accept this token.' : 'Could not check the token: ' + e.message;
    } finally {
      submit.disabled = false;
    }
  });
  dialog = h('div', {class: 'overlay'}, form);
  document.body.append(dialog);
  input.focus();
}

function showSignOut() {
  document.getElementById('sign-out').hidden = !token();
}

document.getElementById('sign-out').addEventListener('click', () => {
  clearToken();
  showSignOut();
  render();
});

onUnauthorized(askForToken);
showSignOut();
document.getElementById('zone-note').textContent = 'Times in ' + browserZone + ' · hover for UTC';
window.addEventListener('hashchange', render);
render();
