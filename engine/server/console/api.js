// The console's calls to loyaltyd's HTTP/JSON API, its session and small
// helpers every page uses. The API key lives in this tab's session storage
// only and goes out as a header; the server decides what it may do.
'use strict';

const Api = (() => {
  const KEY = 'loyalty-console-key';

  // A refusal from the API: {code, reason, field, message} of its body.
  class ApiError extends Error {
    constructor(status, body) {
      const error = (body && body.error) || body || {};
      super(error.message || `HTTP ${status}`);
      this.status = status;
      this.code = error.code || '';
      this.reason = error.reason || '';
      this.field = error.field || '';
    }
  }

  function key() { return sessionStorage.getItem(KEY) || ''; }
  function setKey(value) { sessionStorage.setItem(KEY, value); }
  function clearKey() { sessionStorage.removeItem(KEY); }

  function headers(body) {
    const h = {Authorization: `Bearer ${key()}`};
    if (body !== undefined) h['Content-Type'] = 'application/json';
    return h;
  }

  // GET `path` with `query` (an object; empty values left out).
  function url(path, query) {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(query || {})) {
      if (value !== '' && value !== undefined && value !== null) params.set(name, value);
    }
    const text = params.toString();
    return text ? `${path}?${text}` : path;
  }

  async function answer(response) {
    const text = await response.text();
    let body = null;
    try { body = text ? JSON.parse(text) : null; } catch (e) { body = {message: text}; }
    if (!response.ok) throw new ApiError(response.status, body);
    return body;
  }

  async function call(method, path, {query, body} = {}) {
    const response = await fetch(url(path, query), {
      method,
      headers: headers(body),
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
    });
    return answer(response);
  }

  // A JSON-lines stream: `onLine` gets each object as it arrives; a last
  // {"error": ...} line is thrown as an ApiError.
  async function stream(method, path, {query, body, onLine}) {
    const response = await fetch(url(path, query), {
      method, headers: headers(body), cache: 'no-store',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) return answer(response);
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let pending = '';
    const take = (line) => {
      if (!line.trim()) return;
      const object = JSON.parse(line);
      if (object.error) throw new ApiError(200, object);
      onLine(object);
    };
    for (;;) {
      const {done, value} = await reader.read();
      if (done) break;
      pending += decoder.decode(value, {stream: true});
      const lines = pending.split('\n');
      pending = lines.pop();
      lines.forEach(take);
    }
    take(pending);
  }

  // A fresh request id for a write the user asked for once.
  function requestId(prefix) {
    const random = crypto.getRandomValues(new Uint32Array(2));
    return `console-${prefix}-${Date.now()}-${random[0].toString(16)}${random[1].toString(16)}`;
  }

  return {ApiError, key, setKey, clearKey, call, stream, requestId,
          get: (path, query) => call('GET', path, {query}),
          post: (path, body) => call('POST', path, {body}),
          put: (path, body) => call('PUT', path, {body})};
})();

// Formatting and DOM helpers shared by the pages.
const Ui = (() => {
  // 1234567 -> "1,234,567" (int64 values arrive as strings).
  function count(value) {
    const text = String(value === undefined ? 0 : value);
    const negative = text.startsWith('-');
    const digits = negative ? text.slice(1) : text;
    return (negative ? '-' : '') + digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  }
  // Minor units with two decimals: 2150 EUR -> "21.50 EUR".
  function money(minor, currency) {
    const value = BigInt(minor || 0);
    const sign = value < 0n ? '-' : '';
    const abs = value < 0n ? -value : value;
    const cents = String(abs % 100n).padStart(2, '0');
    return `${sign}${count(String(abs / 100n))}.${cents} ${currency || ''}`.trim();
  }
  // Basis points -> "12.34%".
  function percent(bp) {
    const value = Number(bp || 0);
    return `${(value / 100).toFixed(2)}%`;
  }
  // Hundredths -> "2.50".
  function centi(value) { return (Number(value || 0) / 100).toFixed(2); }

  // "2026-05-01T10:30:00.123Z" -> "2026-05-01 10:30:00 UTC".
  function time(text) { return text ? text.replace(/(\.\d+)?Z$/, ' UTC').replace('T', ' ') : '-'; }

  // An element with attributes and children (strings become text).
  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (name === 'text') node.textContent = value;
      else if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value);
    }
    for (const child of children) {
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  // Fills `table` with a header row and one row per item of `rows`.
  function table(table, columns, rows) {
    table.replaceChildren(
      el('thead', {}, el('tr', {}, ...columns.map((c) => el('th', {scope: 'col', text: c})))),
      el('tbody', {}, ...rows.map((cells) => el('tr', {}, ...cells.map(
        (cell) => (cell instanceof Node ? el('td', {}, cell) : el('td', {text: cell})))))));
  }

  // Fills a <dl> with [label, value, name] triples; `name` marks the figure
  // (data-figure) for whoever reads the page, tests included.
  function figures(list, items) {
    list.replaceChildren(...items.flatMap(([label, value, name]) => [
      el('dt', {text: label}),
      el('dd', {'data-figure': name || '', text: value})]));
  }

  function show(node, text, isError) {
    node.textContent = text;
    node.classList.toggle('error', Boolean(isError));
  }

  function failure(node, error) {
    const reason = error.reason ? ` (${error.reason}${error.field ? `, ${error.field}` : ''})` : '';
    show(node, `${error.message}${reason}`, true);
  }

  // A file the browser saves: `parts` of text, named `name`.
  function download(link, parts, name, type) {
    if (link.href) URL.revokeObjectURL(link.href);
    link.href = URL.createObjectURL(new Blob(parts, {type}));
    link.download = name;
    link.textContent = `Save ${name}`;
    link.hidden = false;
  }

  // "2026-05-01" (a day, UTC) -> RFC 3339; `next` gives the day after.
  function dayStart(day, next) {
    if (!day) return '';
    const date = new Date(`${day}T00:00:00Z`);
    if (next) date.setUTCDate(date.getUTCDate() + 1);
    return date.toISOString().replace('.000Z', 'Z');
  }

  return {count, money, percent, centi, time, el, table, figures, show, failure,
          download, dayStart};
})();
