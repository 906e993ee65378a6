// The cluster: every node with its roles, membership status, load, runs in progress and labels, kept
// fresh.

import {h, s, replace, badge, labelChips, localText, utcText} from './dom.js';
import {get} from './api.js';

const REFRESH_MS = 3000;

export async function clusterPage(main, ctx) {
  const summary = h('p', {class: 'cluster-summary', id: 'cluster-summary'});
  const tbody = h('tbody', {id: 'nodes-body'});
  const updated = h('span', {class: 'muted small', id: 'nodes-updated'});
  const errorBox = h('div', {class: 'error-box', role: 'alert', hidden: true});
  replace(main, h('section', {class: 'page'},
      h('div', {class: 'page-head'}, h('h1', null, 'Cluster'), updated),
      errorBox,
      summary,
      h('div', {class: 'card flush'},
          h('table', {class: 'table nodes-table'},
              h('thead', null, h('tr', null,
                  h('th', null, 'Node'), h('th', null, 'Roles'), h('th', null, 'Status'),
                  h('th', null, 'Runs in progress'), h('th', null, 'CPU'), h('th', null, 'Labels'))),
              tbody))));

  async function load() {
    let nodes;
    try {
      nodes = (await get('/nodes', {signal: ctx.signal})).items;
    } catch (e) {
      if (e.name === 'AbortError') return;
      errorBox.hidden = false;
      replace(errorBox, 'Could not load the nodes: ' + e.message);
      return;
    }
    errorBox.hidden = true;
    nodes.sort((a, b) => a.address.localeCompare(b.address));
    replace(tbody, nodes.length ? nodes.map(nodeRow)
      : h('tr', {class: 'empty'}, h('td', {colspan: '6'}, 'No members yet.')));
    const executors = nodes.filter(n => n.capacity != null);
    const running = executors.reduce((sum, n) => sum + (n.runsInProgress || 0), 0);
    const capacity = executors.reduce((sum, n) => sum + (n.capacity || 0), 0);
    const up = nodes.filter(n => n.status === 'Up').length;
    replace(summary,
        h('strong', null, `${nodes.length} node${nodes.length === 1 ? '' : 's'}`), ` (${up} up) · `,
        h('strong', null, String(running)), ` run${running === 1 ? '' : 's'} in progress · capacity ${capacity}`);
    const now = new Date();
    updated.textContent = 'updated ' + localText(now).slice(11) + ' · refreshes every 3 s';
    updated.title = utcText(now);
  }

  await load();
  ctx.every(REFRESH_MS, load);
}

function nodeRow(n) {
  const share = n.capacity ? Math.min(1, (n.runsInProgress || 0) / n.capacity) : 0;
  return h('tr', {dataset: {node: n.address}},
      h('td', null, h('code', null, n.address), n.self ? h('span', {class: 'tag'}, 'this node') : null),
      h('td', null, h('span', {class: 'chips'}, (n.roles || []).map(r => h('span', {class: 'chip role'}, r)))),
      h('td', null, badge(String(n.status).toUpperCase(), n.status)),
      h('td', null, n.capacity == null
        ? h('span', {class: 'muted'}, 'runs nothing (no executor role)')
        : h('div', {class: 'meter-line'},
            meter(share, `${n.runsInProgress} of ${n.capacity}`),
            h('span', {class: 'num'}, `${n.runsInProgress} / ${n.capacity}`))),
      h('td', {class: 'num'}, n.cpuLoad == null ? '—' : `${Math.round(n.cpuLoad * 100)} %`),
      h('td', {class: 'node-labels'}, labelChips(n.labels)));
}

/** A bar for a share in [0, 1], drawn as SVG so that no inline style is needed. */
function meter(share, title) {
  return s('svg', {class: 'meter' + (share >= 0.9 ? ' full' : ''), viewBox: '0 0 100 8', preserveAspectRatio: 'none'},
      s('rect', {class: 'meter-bg', width: 100, height: 8, rx: 2}),
      s('rect', {class: 'meter-fg', width: Math.round(share * 100), height: 8, rx: 2}),
      s('title', null, title));
}
