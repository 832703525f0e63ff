// Builds DOM nodes from data without ever parsing it as HTML: strings become text nodes, attributes are set
// one by one, and links only ever point into this dashboard or at this origin.

/** h('td', {class: 'x'}, 'text', child) — children may be strings, numbers, nodes, arrays, null. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      el.addEventListener(name.slice(2), value);
    } else if (name === 'href' && !isLocal(String(value))) {
      throw new Error('refusing a link outside this dashboard');
    } else {
      el.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else if (child instanceof Node) el.appendChild(child);
    else el.appendChild(document.createTextNode(String(child)));
  }
}

function isLocal(href) {
  return href.startsWith('#/') || (href.startsWith('/') && !href.startsWith('//'));
}

/** Replaces the children of el. */
export function show(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

/** A path segment for a link built from user data. */
export const seg = encodeURIComponent;

/** JSON shown as text, indented. */
export function pretty(value) {
  return value === null || value === undefined ? '—' : JSON.stringify(value, null, 2);
}

/** An RFC 3339 instant in the reader's locale, with the instant itself as the title. */
export function time(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  return h('time', {datetime: iso, title: iso}, isNaN(d) ? iso : d.toLocaleString());
}

/** "PT1M30.5S" → "1m 30s". */
export function duration(iso) {
  if (!iso) return '—';
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:([\d.]+)S)?)?$/.exec(iso);
  if (!m) return iso;
  const [d, hh, mm, ss] = [m[1], m[2], m[3], m[4]].map(x => Number(x || 0));
  const parts = [];
  if (d) parts.push(d + 'd');
  if (hh) parts.push(hh + 'h');
  if (mm) parts.push(mm + 'm');
  if (ss || !parts.length) parts.push(Math.floor(ss) + 's');
  return parts.join(' ');
}
