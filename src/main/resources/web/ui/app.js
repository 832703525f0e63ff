// Spindle's dashboard: a page per hash route (#/queues, #/queues/{q}/tasks, #/queues/{q}/tasks/{id},
// #/schedules, #/topics, #/topics/{topic}), live through the tasks.{queue} event streams, never by fast polling.
// Everything shown from the service goes into the page as text (dom.js), never as HTML.
import {h, show, seg, pretty, time, duration} from './dom.js';
import {api, ApiError, can, forgetKey, saveKey, savedKey, stream, whenUnauthorized, whoAmI} from './api.js';
import {Throughput} from './chart.js';

const view = document.getElementById('view');
const status = document.getElementById('status');
const STATES = ['pending', 'running', 'succeeded', 'failed', 'cancelled'];
const TASK_EVENTS = ['task.created', 'task.started', 'task.retrying', 'task.succeeded', 'task.failed', 'task.cancelled'];
const MAX_LIVE_QUEUES = 4;     // browsers open at most 6 HTTP/1.1 connections to a host; leave room for requests
const LIST_REFRESH_MS = 30_000; // the queue list's slow refresh, for queues without a live stream

let teardown = [];             // what the current page must stop when it is left or hidden

function onLeave(fn) { teardown.push(fn); }
function leave() { teardown.forEach(fn => { try { fn(); } catch (e) { /* already stopped */ } }); teardown = []; }

function every(ms, fn) {
  const t = setInterval(fn, ms);
  onLeave(() => clearInterval(t));
}

/** Runs fn at most once per ms, at the end of a burst (events → one refresh). */
function debounced(ms, fn) {
  let t = null;
  const call = () => { if (!t) t = setTimeout(() => { t = null; fn(); }, ms); };
  onLeave(() => clearTimeout(t));
  return call;
}

function say(message, isError = false) {
  status.textContent = message;
  status.className = isError ? 'status error' : 'status';
}

function failure(e) {
  say(e instanceof ApiError ? `${e.status}: ${e.message}` : String(e.message || e), true);
}

// A page is drawn from reads made before its stream opens; what happened in between reaches it through catchUp,
// called each time the stream opens (and reopens).
function live(topic, listeners, badge, catchUp) {
  const s = stream(topic, listeners, state => {
    if (badge) { badge.textContent = state; badge.dataset.state = state; }
    if (state === 'open' && catchUp) catchUp();
  });
  onLeave(() => s.close());
  return s;
}

function stateBadge(state) {
  return h('span', {class: 'badge state-' + state}, state);
}

function button(label, onclick, attrs = {}) {
  return h('button', {type: 'button', onclick, ...attrs}, label);
}

function table(caption, headings, rows) {
  return h('div', {class: 'scroll', tabindex: '0', role: 'region', 'aria-label': caption},
    h('table', {}, h('caption', {}, caption),
      h('thead', {}, h('tr', {}, headings.map(x => h('th', {scope: 'col'}, x)))),
      h('tbody', {}, rows)));
}

// --- Queues -----------------------------------------------------------------------------------------------

async function queuesPage() {
  const {items} = await api('GET', '/v1/queues');
  const summary = h('p', {class: 'summary', 'aria-live': 'off'});
  const chartBox = h('div', {class: 'chart', role: 'img',
    'aria-label': 'Tasks enqueued and finished per second over the last two minutes'});
  const liveNames = items.slice(0, MAX_LIVE_QUEUES).map(q => q.name);
  const note = items.length > MAX_LIVE_QUEUES
    ? h('p', {class: 'note'}, `Live: ${liveNames.join(', ')}. The other queues refresh every ${LIST_REFRESH_MS / 1000} s.`)
    : null;
  const body = h('tbody');
  const rows = new Map();
  for (const q of items) {
    const row = h('tr', {'data-queue': q.name});
    rows.set(q.name, row);
    fillQueueRow(row, q);
    body.appendChild(row);
  }
  show(view,
    h('h1', {}, 'Queues'),
    h('section', {'aria-labelledby': 'tp'}, h('h2', {id: 'tp'}, 'Throughput'), chartBox, summary, note),
    items.length === 0 ? h('p', {class: 'empty'}, 'No queues yet: create one with PUT /v1/queues/{name}.') :
      h('div', {class: 'scroll', tabindex: '0', role: 'region', 'aria-label': 'Queues'},
        h('table', {}, h('caption', {}, 'Queues and their tasks by state'),
          h('thead', {}, h('tr', {}, ['Queue', 'Status', ...STATES.slice(0, 1), 'scheduled', ...STATES.slice(1),
            'Oldest pending', 'Backends', 'Live', ''].map(x => h('th', {scope: 'col'}, x)))),
          body)));
  const chart = new Throughput(chartBox, summary);
  onLeave(() => chart.destroy());

  for (const name of liveNames) {
    const refresh = debounced(1000, async () => {
      try { fillQueueRow(rows.get(name), await api('GET', '/v1/queues/' + seg(name))); } catch (e) { failure(e); }
    });
    const listeners = {};
    for (const type of TASK_EVENTS) {
      listeners[type] = () => {
        if (type === 'task.created') chart.add('enqueued');
        if (type === 'task.succeeded' || type === 'task.failed' || type === 'task.cancelled') chart.add('finished');
        refresh();
      };
    }
    listeners.lagged = refresh;
    live('tasks.' + name, listeners, rows.get(name).querySelector('.live'), refresh);
  }
  every(LIST_REFRESH_MS, async () => {
    try {
      const fresh = await api('GET', '/v1/queues');
      for (const q of fresh.items) if (rows.has(q.name)) fillQueueRow(rows.get(q.name), q);
    } catch (e) { failure(e); }
  });
}

function fillQueueRow(row, q) {
  const s = q.stats || {};
  const liveCell = row.querySelector('.live');
  const backends = q.backends
    ? q.backends.map(b => h('li', {}, b.url, ' ', h('span', {class: 'badge cb-' + b.state}, b.state)))
    : (q.handler && q.handler.backends ? q.handler.backends.map(b => h('li', {}, b)) : []);
  const actions = can('manage-queues')
    ? button(q.paused ? 'Resume' : 'Pause', () => pauseQueue(q.name, !q.paused, row),
             {'aria-label': (q.paused ? 'Resume ' : 'Pause ') + q.name})
    : null;
  show(row,
    h('th', {scope: 'row'}, h('a', {href: '#/queues/' + seg(q.name) + '/tasks'}, q.name)),
    h('td', {}, q.paused ? h('span', {class: 'badge paused'}, 'paused') : h('span', {class: 'badge active'}, 'active')),
    h('td', {class: 'num', 'data-count': 'pending'}, s.pending),
    h('td', {class: 'num', 'data-count': 'scheduled'}, s.scheduled),
    h('td', {class: 'num', 'data-count': 'running'}, s.running),
    h('td', {class: 'num', 'data-count': 'succeeded'}, s.succeeded),
    h('td', {class: 'num', 'data-count': 'failed'}, s.failed),
    h('td', {class: 'num', 'data-count': 'cancelled'}, s.cancelled),
    h('td', {}, duration(s.oldestPendingAge)),
    h('td', {}, backends.length ? h('ul', {class: 'plain'}, backends) : '—'),
    liveCell || h('td', {class: 'live'}, '—'),
    h('td', {}, actions));
}

async function pauseQueue(name, pause, row) {
  try {
    const q = await api('POST', '/v1/queues/' + seg(name) + (pause ? '/pause' : '/resume'));
    if (row) fillQueueRow(row, q);
    say(`Queue ${name} ${pause ? 'paused' : 'resumed'}.`);
    return q;
  } catch (e) { failure(e); return null; }
}

// --- Tasks of a queue -------------------------------------------------------------------------------------

async function tasksPage(queue, params) {
  const state = STATES.includes(params.get('state')) ? params.get('state') : '';
  const cursor = params.get('cursor') || '';
  let query = '?limit=50' + (state ? '&state=' + state : '') + (cursor ? '&cursor=' + encodeURIComponent(cursor) : '');
  const [q, page] = await Promise.all([api('GET', '/v1/queues/' + seg(queue)),
                                       api('GET', '/v1/queues/' + seg(queue) + '/tasks' + query)]);
  const base = '#/queues/' + seg(queue) + '/tasks';
  const select = h('select', {id: 'state-filter', name: 'state'},
    h('option', {value: ''}, 'all states'), STATES.map(s => h('option', {value: s, selected: s === state}, s)));
  select.addEventListener('change', () => { location.hash = base + (select.value ? '?state=' + select.value : ''); });
  const header = h('div', {class: 'queue-head'});
  const fillHeader = q => show(header,
    h('p', {}, q.paused ? h('span', {class: 'badge paused'}, 'paused') : h('span', {class: 'badge active'}, 'active'), ' ',
      STATES.map(s => h('span', {class: 'count'}, `${s} ${q.stats[s]}`)), ' ',
      h('span', {class: 'count'}, `scheduled ${q.stats.scheduled}`)),
    h('p', {class: 'actions'},
      can('manage-queues') ? button(q.paused ? 'Resume queue' : 'Pause queue', async () => {
        const fresh = await pauseQueue(queue, !q.paused);
        if (fresh) fillHeader(fresh);
      }) : null,
      can('write-tasks') && q.stats.failed > 0 ? button(`Retry all failed (${q.stats.failed})`, () => retryAll(queue)) : null));
  fillHeader(q);
  const banner = h('p', {class: 'banner', hidden: true});
  const rows = new Map();
  const tbody = h('tbody', {}, page.items.map(t => {
    const row = h('tr', {'data-task': t.id});
    rows.set(t.id, row);
    fillTaskRow(row, queue, t);
    return row;
  }));
  show(view,
    h('nav', {class: 'crumbs', 'aria-label': 'Breadcrumb'}, h('a', {href: '#/queues'}, 'Queues'), ' / ', queue),
    h('h1', {}, 'Tasks of ', queue),
    header,
    h('form', {class: 'filters', onsubmit: e => e.preventDefault()}, h('label', {for: 'state-filter'}, 'State'), select),
    banner,
    page.items.length === 0 ? h('p', {class: 'empty'}, 'No tasks' + (state ? ' in state ' + state : '') + '.') :
      h('div', {class: 'scroll', tabindex: '0', role: 'region', 'aria-label': 'Tasks'},
        h('table', {}, h('caption', {}, 'Tasks, newest first'),
          h('thead', {}, h('tr', {}, ['Task', 'State', 'Attempts', 'Priority', 'Run at', 'Created', 'Key', 'Last error']
            .map(x => h('th', {scope: 'col'}, x)))), tbody)),
    h('p', {class: 'pager'},
      cursor ? h('a', {href: base + (state ? '?state=' + state : '')}, '← Newest') : null, ' ',
      page.nextCursor ? h('a', {href: base + '?' + new URLSearchParams({...(state ? {state} : {}), cursor: page.nextCursor})},
        'Older →') : null));

  let created = 0;
  const refreshHeader = debounced(1000, async () => {
    try { fillHeader(await api('GET', '/v1/queues/' + seg(queue))); } catch (e) { failure(e); }
  });
  const listeners = {lagged: refreshHeader};
  for (const type of TASK_EVENTS) {
    listeners[type] = e => {
      const t = JSON.parse(e.data);
      const row = rows.get(t.id);
      if (row) fillTaskRow(row, queue, t);
      else if (type === 'task.created' && !cursor && (!state || state === 'pending')) {
        created++;
        show(banner, button(`${created} new task${created > 1 ? 's' : ''}: show`, () => route()));
        banner.hidden = false;
      }
      refreshHeader();
    };
  }
  const refreshRows = debounced(1000, async () => {
    try {
      const fresh = await api('GET', '/v1/queues/' + seg(queue) + '/tasks' + query);
      for (const t of fresh.items) if (rows.has(t.id)) fillTaskRow(rows.get(t.id), queue, t);
    } catch (e) { failure(e); }
  });
  live('tasks.' + queue, listeners, null, () => { refreshHeader(); refreshRows(); });
}

function fillTaskRow(row, queue, t) {
  show(row,
    h('th', {scope: 'row'}, h('a', {href: '#/queues/' + seg(queue) + '/tasks/' + seg(t.id)}, t.id)),
    h('td', {}, stateBadge(t.state)),
    h('td', {class: 'num'}, `${t.attempts} / ${t.maxAttempts}`),
    h('td', {class: 'num'}, t.priority),
    h('td', {}, time(t.runAt)),
    h('td', {}, time(t.createdAt)),
    h('td', {}, t.key || '—'),
    h('td', {class: 'error-text'}, t.lastError ? (t.lastError.length > 80 ? t.lastError.slice(0, 80) + '…' : t.lastError) : '—'));
}

async function retryAll(queue) {
  if (!confirm(`Send every failed task of ${queue} back to pending?`)) return;
  try {
    const {count} = await api('POST', '/v1/queues/' + seg(queue) + '/tasks/retry', {state: 'failed'});
    say(`${count} failed task${count === 1 ? '' : 's'} of ${queue} sent back to pending.`);
    route();
  } catch (e) { failure(e); }
}

// --- One task ---------------------------------------------------------------------------------------------

async function taskPage(queue, id) {
  const path = '/v1/queues/' + seg(queue) + '/tasks/' + seg(id);
  const details = h('div');
  const render = t => {
    const field = (name, value) => [h('dt', {}, name), h('dd', {}, value)];
    show(details,
      h('p', {class: 'actions'},
        can('write-tasks') && t.state === 'pending' ? button('Cancel task', () => act('DELETE', path, 'cancelled')) : null,
        can('write-tasks') && (t.state === 'failed' || t.state === 'cancelled')
          ? button('Retry task', () => act('POST', path + '/retry', 'sent back to pending')) : null),
      h('dl', {class: 'fields'},
        field('State', stateBadge(t.state)),
        field('Attempts', `${t.attempts} of ${t.maxAttempts}`),
        field('Priority', t.priority),
        field('Key', t.key || '—'),
        field('Schedule', t.schedule || '—'),
        field('Run at', time(t.runAt)),
        field('Created', time(t.createdAt)),
        field('Updated', time(t.updatedAt)),
        field('Finished', time(t.finishedAt))),
      h('h2', {}, 'Payload'), h('pre', {class: 'json', id: 'payload', tabindex: '0'}, pretty(t.payload)),
      h('h2', {}, 'Result'), h('pre', {class: 'json', id: 'result', tabindex: '0'}, pretty(t.result)),
      h('h2', {}, 'Last error'), h('pre', {class: 'json error-text', id: 'last-error', tabindex: '0'}, t.lastError || '—'));
  };
  async function act(method, url, done) {
    try { render(await api(method, url)); say(`Task ${id} ${done}.`); } catch (e) { failure(e); }
  }
  render(await api('GET', path));
  show(view,
    h('nav', {class: 'crumbs', 'aria-label': 'Breadcrumb'}, h('a', {href: '#/queues'}, 'Queues'), ' / ',
      h('a', {href: '#/queues/' + seg(queue) + '/tasks'}, queue), ' / ', id),
    h('h1', {}, 'Task ', id),
    details);
  const refresh = debounced(500, async () => { try { render(await api('GET', path)); } catch (e) { failure(e); } });
  const listeners = {lagged: refresh};
  for (const type of TASK_EVENTS) listeners[type] = e => { if (JSON.parse(e.data).id === id) refresh(); };
  live('tasks.' + queue, listeners, null, refresh);
}

// --- Schedules --------------------------------------------------------------------------------------------

async function schedulesPage() {
  const {items: queues} = await api('GET', '/v1/queues');
  let answered = 0;
  const schedules = [];
  await Promise.all(queues.map(async q => {
    try {
      const {items} = await api('GET', '/v1/queues/' + seg(q.name) + '/schedules');
      answered++;
      schedules.push(...items.map(s => ({queue: q.name, ...s})));
    } catch (e) {
      if (!(e instanceof ApiError && (e.status === 404 || e.status === 405))) throw e;
    }
  }));
  if (answered === 0) {
    show(view, h('h1', {}, 'Schedules'), h('p', {class: 'empty'}, queues.length === 0
      ? 'No queues yet, so no schedules.'
      : 'This Spindle does not offer schedules (GET /v1/queues/{queue}/schedules is not found).'));
    return;
  }
  schedules.sort((a, b) => (a.nextRuns?.[0] || '').localeCompare(b.nextRuns?.[0] || ''));
  const rows = schedules.map(s => h('tr', {'data-schedule': s.queue + '/' + s.name},
    h('th', {scope: 'row'}, s.name),
    h('td', {}, h('a', {href: '#/queues/' + seg(s.queue) + '/tasks'}, s.queue)),
    h('td', {}, h('code', {}, s.cron || ('every ' + duration(s.every)))),
    h('td', {}, s.timezone || 'UTC'),
    h('td', {}, s.paused ? h('span', {class: 'badge paused'}, 'paused') : h('span', {class: 'badge active'}, 'active')),
    h('td', {}, h('ol', {class: 'plain'}, (s.nextRuns || []).slice(0, 3).map(r => h('li', {}, time(r))))),
    h('td', {}, s.lastRun ? [time(s.lastRun.at), ' ', h('a', {href: '#/queues/' + seg(s.queue) + '/tasks/' + seg(s.lastRun.taskId)}, 'task')] : '—'),
    h('td', {}, can('manage-queues') ? button(s.paused ? 'Resume' : 'Pause', async () => {
      try {
        await api('POST', '/v1/queues/' + seg(s.queue) + '/schedules/' + seg(s.name) + (s.paused ? '/resume' : '/pause'));
        say(`Schedule ${s.name} ${s.paused ? 'resumed' : 'paused'}.`);
        route();
      } catch (e) { failure(e); }
    }, {'aria-label': (s.paused ? 'Resume ' : 'Pause ') + s.name}) : null)));
  show(view, h('h1', {}, 'Schedules'),
    schedules.length === 0 ? h('p', {class: 'empty'}, 'No schedules yet.') :
      table('Schedules, next to fire first', ['Schedule', 'Queue', 'When', 'Time zone', 'Status', 'Next runs', 'Last run', ''], rows));
  every(60_000, () => route());
}

// --- Topics -----------------------------------------------------------------------------------------------

const MAX_TAIL = 200;

async function topicsPage(topic, params) {
  const {items} = await api('GET', '/v1/topics');
  const name = h('input', {id: 'topic-name', name: 'topic', required: true, value: topic || '',
    pattern: '[A-Za-z0-9._\\-]{1,128}', autocomplete: 'off'});
  const types = h('input', {id: 'topic-types', name: 'types', autocomplete: 'off',
    value: params.get('types') || 'message, notification, task.payload'});
  const form = h('form', {class: 'tail-form', onsubmit: e => {
    e.preventDefault();
    location.hash = '#/topics/' + seg(name.value) + '?' + new URLSearchParams({types: types.value});
  }},
    h('label', {for: 'topic-name'}, 'Topic'), name,
    h('label', {for: 'topic-types'}, 'Event types (comma-separated; task events and lagged are always shown)'), types,
    h('button', {type: 'submit'}, 'Tail'));
  const list = table('Topics', ['Topic', 'Subscribers', 'Published', 'Dropped'], items.map(t => h('tr', {},
    h('th', {scope: 'row'}, h('a', {href: '#/topics/' + seg(t.name)}, t.name)),
    h('td', {class: 'num'}, t.subscribers), h('td', {class: 'num'}, t.published), h('td', {class: 'num'}, t.dropped))));
  const tail = h('section', {'aria-labelledby': 'tail-title'});
  show(view, h('h1', {}, 'Topics'), form, tail, items.length ? list : h('p', {class: 'empty'}, 'No topic has events yet.'));
  if (!topic) return;

  const badge = h('span', {class: 'badge conn', id: 'tail-state'}, 'connecting');
  const events = h('ol', {class: 'events', id: 'tail-events', 'aria-live': 'polite', 'aria-relevant': 'additions'});
  show(tail, h('h2', {id: 'tail-title'}, 'Live tail of ', topic, ' ', badge),
    h('p', {}, button('Clear', () => events.replaceChildren())), events);
  const add = item => {
    events.prepend(item);
    while (events.children.length > MAX_TAIL) events.lastElementChild.remove();
  };
  const onEvent = e => {
    const data = e.data; // one line of JSON, shown as sent
    add(h('li', {class: 'event', 'data-type': e.type},
      h('span', {class: 'event-id'}, '#' + (e.lastEventId || '?')), ' ',
      h('span', {class: 'event-type'}, e.type), ' ', h('time', {}, new Date().toLocaleTimeString()),
      h('pre', {class: 'json'}, data)));
  };
  const listeners = {};
  const wanted = new Set([...types.value.split(',').map(s => s.trim()).filter(Boolean), ...TASK_EVENTS]);
  for (const type of wanted) listeners[type] = onEvent;
  listeners.lagged = e => {
    let dropped = '?';
    try { dropped = JSON.parse(e.data).dropped; } catch (x) { /* keep ? */ }
    add(h('li', {class: 'event lagged', 'data-type': 'lagged'}, h('strong', {}, 'lagged'),
      `: ${dropped} event${dropped === 1 ? '' : 's'} dropped before this point (the stream fell behind or reconnected too late).`));
  };
  live(topic, listeners, badge);
}

// --- Routing, sign-in, visibility -------------------------------------------------------------------------

async function route() {
  leave();
  const [path, query] = (location.hash.slice(1) || '/queues').split('?');
  const params = new URLSearchParams(query || '');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  document.querySelectorAll('nav a[data-section]').forEach(a => {
    if (a.dataset.section === parts[0]) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  });
  try {
    if (parts[0] === 'queues' && parts.length === 3 && parts[2] === 'tasks') await tasksPage(parts[1], params);
    else if (parts[0] === 'queues' && parts.length === 4 && parts[2] === 'tasks') await taskPage(parts[1], parts[3]);
    else if (parts[0] === 'schedules') await schedulesPage();
    else if (parts[0] === 'topics') await topicsPage(parts[1], params);
    else await queuesPage();
    document.title = (view.querySelector('h1')?.textContent || 'Spindle') + ' — Spindle';
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return;
    show(view, h('h1', {}, 'Something went wrong'), h('p', {class: 'error'}, e.message || String(e)));
  }
}

const dialog = document.getElementById('login');
const loginError = document.getElementById('login-error');

function askForKey(message = '') {
  loginError.textContent = message;
  if (!dialog.open) dialog.showModal();
  document.getElementById('login-key').focus();
}

document.getElementById('login-form').addEventListener('submit', async e => {
  e.preventDefault();
  saveKey(document.getElementById('login-key').value.trim());
  try {
    await whoAmI();
    dialog.close();
    document.getElementById('login-key').value = '';
    await start();
  } catch (err) {
    forgetKey();
    askForKey(err instanceof ApiError && err.status === 401 ? 'That key is not valid.' : 'Sign-in failed: ' + err.message);
  }
});
dialog.addEventListener('cancel', e => e.preventDefault()); // nothing to see without a key

document.getElementById('signout').addEventListener('click', () => {
  forgetKey();
  leave();
  show(view, h('p', {}, 'Signed out.'));
  document.getElementById('who').textContent = '';
  document.getElementById('signout').hidden = true;
  askForKey();
});

whenUnauthorized(() => {
  const hadKey = Boolean(savedKey());
  forgetKey();
  leave();
  askForKey(hadKey ? 'The key was refused.' : '');
});

async function start() {
  let me;
  try {
    me = await whoAmI();
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) { askForKey(); return; }
    show(view, h('p', {class: 'error'}, 'Spindle did not answer: ' + e.message));
    return;
  }
  document.body.dataset.roles = me.roles.join(' ');
  document.getElementById('who').textContent = me.key ? `${me.key} (${me.roles.join(', ')})` : 'anonymous access';
  document.getElementById('signout').hidden = !me.key;
  await route();
}

window.addEventListener('hashchange', route);
// A hidden tab holds no stream and runs no timer; it catches up when shown again.
document.addEventListener('visibilitychange', () => { if (document.hidden) leave(); else route(); });
start();
