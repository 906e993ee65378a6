// The console's only way to the node: the public HTTP API, relative to the page (so it also works
// behind a proxy that serves the console under a prefix).

const BASE = 'api/v1';
const TOKEN_KEY = 'distcron.token';

// ----- the bearer token, when the node asks for one (DISTCRON_ADMIN_TOKEN set) -----
// Kept for this tab (sessionStorage), or on this browser (localStorage) when the user asks for that.

export function token() {
  return sessionStorage.getItem(TOKEN_KEY) || localStorage.getItem(TOKEN_KEY) || '';
}

export function setToken(value, remember) {
  clearToken();
  (remember ? localStorage : sessionStorage).setItem(TOKEN_KEY, value);
}

export function clearToken() {
  sessionStorage.removeItem(TOKEN_KEY);
  localStorage.removeItem(TOKEN_KEY);
}

function authHeaders(candidate) {
  const t = candidate === undefined ? token() : candidate;
  return t ? {Authorization: 'Bearer ' + t} : {};
}

let unauthorized = () => {};

/** Who to tell when the node answers 401: the app asks for a token. */
export function onUnauthorized(handler) {
  unauthorized = handler;
}

/** A refusal from the API: its {"error", "field"} body, or the HTTP status when there is none. */
export class ApiError extends Error {
  constructor(status, message, field) {
    super(message);
    this.status = status;
    this.field = field || null;
  }
}

/** Calls the API; resolves to the parsed JSON (null for 204), rejects with an ApiError. */
export async function api(method, path, body, {signal, withToken} = {}) {
  const init = {method, signal, headers: {Accept: 'application/json', ...authHeaders(withToken)}};
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(BASE + path, init);
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, 'cannot reach the node: ' + e.message, null);
  }
  if (res.status === 204) return null;
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch (e) {
    data = null;
  }
  if (!res.ok) {
    const message = data && typeof data.error === 'string' ? data.error : `${res.status} ${res.statusText}`;
    if (res.status === 401 && withToken === undefined) unauthorized();
    throw new ApiError(res.status, message, data ? data.field : null);
  }
  return data;
}

export const get = (path, opts) => api('GET', path, undefined, opts);
export const post = (path, body, opts) => api('POST', path, body, opts);
export const put = (path, body, opts) => api('PUT', path, body, opts);
export const del = (path, opts) => api('DELETE', path, undefined, opts);

export const enc = encodeURIComponent;

/**
 * Streams a run's output (?follow=true): calls onText with each piece as it arrives and resolves when
 * the node ends the stream (the run has finished).
 */
export async function followOutput(runId, onText, {signal} = {}) {
  const res = await fetch(`${BASE}/runs/${enc(runId)}/output?follow=true`, {signal, headers: authHeaders()});
  if (!res.ok) {
    if (res.status === 401) unauthorized();
    let message = `${res.status} ${res.statusText}`;
    try {
      message = (await res.json()).error || message;
    } catch (e) {
      // keep the status line
    }
    throw new ApiError(res.status, message, null);
  }
  const reader = res.body.getReader();
  const decoder = new TextDecoder('utf-8');
  for (;;) {
    const {value, done} = await reader.read();
    if (done) break;
    const text = decoder.decode(value, {stream: true});
    if (text) onText(text);
  }
  const rest = decoder.decode();
  if (rest) onText(rest);
}

/** A run's whole stored output as a Blob (for a download: a plain link could not carry the token). */
export async function outputBlob(runId, {signal} = {}) {
  const res = await fetch(`${BASE}/runs/${enc(runId)}/output`, {signal, headers: authHeaders()});
  if (!res.ok) {
    if (res.status === 401) unauthorized();
    throw new ApiError(res.status, `${res.status} ${res.statusText}`, null);
  }
  return res.blob();
}
