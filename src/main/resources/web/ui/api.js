// The dashboard's only way to the service: the public /v1 API, with the key of this tab (if any) as a
// Bearer header, and event streams opened with a short-lived stream token (EventSource sends no headers).

const KEY = 'spindle.apiKey';
let identity = null;        // {key, roles, token, expiresAt} from POST /v1/stream-tokens
let onUnauthorized = () => {};

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem && (problem.detail || problem.title) || ('HTTP ' + status));
    this.status = status;
    this.problem = problem;
  }
}

export function whenUnauthorized(handler) { onUnauthorized = handler; }
export function savedKey() { return sessionStorage.getItem(KEY); }
export function saveKey(key) { sessionStorage.setItem(KEY, key); identity = null; }
export function forgetKey() { sessionStorage.removeItem(KEY); identity = null; }

export async function api(method, path, body) {
  const headers = {Accept: 'application/json'};
  const key = savedKey();
  if (key) headers.Authorization = 'Bearer ' + key;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(path, {method, headers, body: body === undefined ? undefined : JSON.stringify(body)});
  if (res.status === 401) onUnauthorized();
  const text = await res.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch (e) { json = null; }
  if (!res.ok) throw new ApiError(res.status, json);
  return json;
}

/** Who this tab is ({key, roles}), and a fresh stream token; cached until a minute before it expires. */
export async function whoAmI() {
  const fresh = identity && (!identity.expiresAt || Date.parse(identity.expiresAt) - Date.now() > 60_000);
  if (!fresh) identity = await api('POST', '/v1/stream-tokens');
  return identity;
}

export function can(action) {
  const roles = identity ? identity.roles : [];
  const has = r => roles.includes(r);
  switch (action) {
    case 'manage-queues': return has('admin');            // pause, resume, schedules
    case 'write-tasks': return has('admin') || has('producer'); // cancel, retry, retry all
    default: return false;
  }
}

/**
 * A live stream of a topic, reconnecting by itself (EventSource resends Last-Event-ID); when the server
 * refuses it (an expired token) it asks for a new token and opens again. listeners: {type: fn(event)}.
 * onState gets 'connecting' | 'open' | 'reconnecting' | 'closed'.
 */
export function stream(topic, listeners, onState = () => {}) {
  let source = null;
  let stopped = false;
  let retryTimer = null;
  async function open() {
    onState('connecting');
    let url = '/v1/topics/' + encodeURIComponent(topic) + '/events';
    try {
      const me = await whoAmI();
      if (me.token) url += '?access_token=' + encodeURIComponent(me.token);
    } catch (e) {
      onState('closed');
      retryTimer = setTimeout(open, 10_000);
      return;
    }
    if (stopped) return;
    source = new EventSource(url);
    source.onopen = () => onState('open');
    source.onerror = () => {
      if (source.readyState === EventSource.CLOSED) {
        // refused (401/403/429) or not a stream: try again later with a fresh token, slowly
        identity = null;
        onState('closed');
        if (!stopped) retryTimer = setTimeout(open, 10_000);
      } else {
        onState('reconnecting');
      }
    };
    for (const [type, fn] of Object.entries(listeners)) source.addEventListener(type, fn);
  }
  open();
  return {
    close() {
      stopped = true;
      clearTimeout(retryTimer);
      if (source) source.close();
    }
  };
}
