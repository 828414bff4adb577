// Talking to the server: the bearer token (kept in IndexedDB for the app only), reads that
// fall back to the last good answer without signal, and the outbox's sending.

import { kv } from "./store.js";
import { buildRequest, classify, classifyError } from "./requests.js";
import { Outcome } from "./outbox.js";
import { BLOB_PREFIX } from "./verifypack.js";

export class AuthLost extends Error {}
export class Offline extends Error {}

export class Api {
  constructor({ base, onAuthLost }) {
    this.base = base;
    this.onAuthLost = onAuthLost;
    this.token = null;
    this.chain = Promise.resolve();
  }

  // One request at a time: gentle on a weak link and on a small server.
  exclusive(fn) {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => null);
    return run;
  }

  async load() {
    const auth = await kv.get("auth");
    if (auth && auth.expires_at && Date.parse(auth.expires_at) <= Date.now()) {
      await kv.delete("auth");
      this.token = null;
      return null;
    }
    this.token = auth ? auth.token : null;
    return auth || null;
  }

  async login(username, password) {
    const response = await fetch(`${this.base}/auth/token`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ username, password, name: "phone app" }),
    });
    const body = await response.json().catch(() => null);
    if (response.status !== 201) {
      const error = new Error((body && body.error && body.error.message) || `HTTP ${response.status}`);
      error.status = response.status;
      throw error;
    }
    this.token = body.token;
    await kv.set("auth", { token: body.token, expires_at: body.expires_at, username });
    return body;
  }

  // Forget the token (the outbox stays). `revoke` also ends it on the server when online.
  async logout({ revoke = false } = {}) {
    const token = this.token;
    this.token = null;
    await kv.delete("auth");
    if (revoke && token) {
      await fetch(`${this.base}/auth/token`, { method: "DELETE", headers: { Authorization: `Bearer ${token}` } }).catch(() => null);
    }
  }

  headers() {
    return this.token ? { Authorization: `Bearer ${this.token}`, Accept: "application/json" } : { Accept: "application/json" };
  }

  async lost() {
    await this.logout();
    this.onAuthLost();
    throw new AuthLost();
  }

  // A read: the network first; without signal the copy kept from the last good answer
  // ({data, offline: true, at}). 401 sends the worker to the login screen.
  read(url, options = {}) {
    return this.exclusive(() => this.readNow(url, options));
  }

  async readNow(url, { cacheKey = url, keep = true } = {}) {
    const full = url.startsWith("/") ? url : `${this.base}/${url}`;
    let response;
    try {
      response = await fetch(full, { headers: this.headers() });
    } catch (error) {
      const kept = await kv.get(`cache:${cacheKey}`);
      if (kept) return { data: kept.data, offline: true, at: kept.at };
      throw new Offline();
    }
    if (response.status === 401) return this.lost();
    if (!response.ok) {
      const body = await response.json().catch(() => null);
      const error = new Error((body && body.error && body.error.message) || `HTTP ${response.status}`);
      error.status = response.status;
      throw error;
    }
    const data = await response.json();
    const at = Date.now();
    const offline = response.headers.get("X-Gridgov-Offline") === "1";
    if (!offline && keep) await kv.set(`cache:${cacheKey}`, { data, at });
    return { data, offline, at };
  }

  blobUrl(url) {
    return this.exclusive(() => this.blobUrlNow(url));
  }

  // A photo as an object URL: the thumbnail kept for verifying without signal when there is
  // one, else from the server.
  async blobUrlNow(url) {
    const kept = await kv.get(BLOB_PREFIX + url);
    return URL.createObjectURL(kept || (await this.fetchBlobNow(url)));
  }

  fetchBlob(url) {
    return this.exclusive(() => this.fetchBlobNow(url));
  }

  async fetchBlobNow(url) {
    const response = await fetch(url, { headers: this.headers() });
    if (response.status === 401) return this.lost();
    if (!response.ok) {
      const error = new Error(`HTTP ${response.status}`);
      error.status = response.status;
      throw error;
    }
    return response.blob();
  }

  // Send one outbox record; answers an outcome for the state machine.
  send(record) {
    return this.exclusive(() => this.sendNow(record));
  }

  async sendNow(record) {
    if (!this.token) return { type: Outcome.AUTH, status: 401 };
    const request = buildRequest(record, { api: this.base, token: this.token });
    let response;
    let body = null;
    try {
      response = await fetch(request.url, { method: request.method, headers: request.headers, body: request.body });
      body = await response.json().catch(() => null);
    } catch (error) {
      return classifyError(error);
    }
    const outcome = classify({ status: response.status, headers: response.headers, body });
    if (outcome.type === Outcome.AUTH) {
      await this.logout();
      this.onAuthLost();
    }
    return outcome;
  }
}
