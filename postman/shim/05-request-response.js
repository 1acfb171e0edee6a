/*
 * The pm shim, part 5 (see 01-values.js): pm.request over the run state's request (a
 * script's changes reach the request that goes out) and pm.response.
 */
(function (shim) {
  'use strict';

  const { UnsupportedError, strict, RESPONSE, inspect, asText, expect } = shim;

  // --- request and response ----------------------------------------------------------------

  /** A header list shared with the state, so changes made by scripts reach the request. */
  class HeaderList {
    constructor(list) {
      this._list = list;
    }
    _find(name) {
      const wanted = String(name).toLowerCase();
      return this._list.find((h) => !h.disabled && String(h.key).toLowerCase() === wanted);
    }
    static _parse(header, value) {
      if (typeof header === 'string' && value !== undefined) return { key: header, value: String(value) };
      if (typeof header === 'string') {
        const at = header.indexOf(':');
        if (at < 1) throw new TypeError(`not a header: ${inspect(header)}`);
        return { key: header.slice(0, at).trim(), value: header.slice(at + 1).trim() };
      }
      if (header && typeof header.key === 'string') {
        return { key: header.key, value: asText(header.value), disabled: !!header.disabled };
      }
      throw new TypeError(`not a header: ${inspect(header)}`);
    }
    get(name) {
      const header = this._find(name);
      return header ? header.value : undefined;
    }
    one(name) {
      const header = this._find(name);
      return header ? { key: header.key, value: header.value } : undefined;
    }
    has(name, value) {
      const header = this._find(name);
      return !!header && (value === undefined || header.value === value);
    }
    add(header, value) {
      this._list.push(HeaderList._parse(header, value));
    }
    upsert(header, value) {
      const parsed = HeaderList._parse(header, value);
      const existing = this._find(parsed.key);
      if (existing) existing.value = parsed.value;
      else this._list.push(parsed);
    }
    remove(name) {
      const matches =
        typeof name === 'function'
          ? name
          : (h) => String(h.key).toLowerCase() === String(name).toLowerCase();
      for (let i = this._list.length - 1; i >= 0; i--) {
        if (matches(this._list[i])) this._list.splice(i, 1);
      }
    }
    all() {
      return this._list.filter((h) => !h.disabled).map((h) => ({ key: h.key, value: h.value }));
    }
    each(callback) {
      this.all().forEach(callback);
    }
    count() {
      return this.all().length;
    }
    toObject() {
      const out = {}; // keys in lower case, as Postman's header list gives them
      this.all().forEach((h) => {
        out[String(h.key).toLowerCase()] = h.value;
      });
      return out;
    }
    toJSON() {
      return this.all();
    }
  }

  const URL_PARTS = /^(?:([A-Za-z][A-Za-z0-9+.-]*):\/\/)?([^/?#]*)([^?#]*)(?:\?([^#]*))?(?:#(.*))?$/;

  /** pm.request.url over the (unresolved) URL template, as Postman's Url object reads it. */
  function urlApi(request) {
    const parts = () => URL_PARTS.exec(request.url) || [];
    const queryPairs = () =>
      (parts()[4] || '')
        .split('&')
        .filter(Boolean)
        .map((pair) => {
          const at = pair.indexOf('=');
          return at < 0 ? { key: pair, value: null } : { key: pair.slice(0, at), value: pair.slice(at + 1) };
        });
    const query = strict(
      {
        get: (key) => (queryPairs().find((q) => q.key === key) || {}).value,
        has: (key) => queryPairs().some((q) => q.key === key),
        all: () => queryPairs(),
        toObject: () => Object.fromEntries(queryPairs().map((q) => [q.key, q.value])),
      },
      'pm.request.url.query',
    );
    return strict(
      {
        toString: () => request.url,
        getRaw: () => request.url,
        update(url) {
          request.url = String(url);
        },
        getHost: () => parts()[2] || '',
        getPath: () => parts()[3] || '/',
        getQueryString: () => parts()[4] || '',
        getPathWithQuery: () => (parts()[3] || '/') + (parts()[4] ? `?${parts()[4]}` : ''),
        query,
      },
      'pm.request.url',
    );
  }

  function bodyApi(request) {
    return strict(
      {
        get mode() {
          return request.body ? request.body.mode : undefined;
        },
        get raw() {
          return request.body ? request.body.raw : undefined;
        },
        set raw(text) {
          request.body = Object.assign(request.body || {}, { mode: 'raw', raw: String(text) });
        },
        update(options) {
          const next = typeof options === 'string' ? { mode: 'raw', raw: options } : options;
          if (!next || next.mode !== 'raw') {
            throw new UnsupportedError('pm.request.body.update() with a non-raw body');
          }
          request.body = { mode: 'raw', raw: String(next.raw), options: next.options };
        },
        isEmpty: () => !request.body || !request.body.raw,
        toString: () => (request.body && request.body.raw) || '',
      },
      'pm.request.body',
    );
  }

  function requestApi(request) {
    const headers = new HeaderList(request.headers);
    const url = urlApi(request);
    return strict(
      {
        get id() {
          return request.id;
        },
        get name() {
          return request.name;
        },
        get method() {
          return request.method;
        },
        set method(method) {
          request.method = String(method).toUpperCase();
        },
        get url() {
          return url;
        },
        set url(value) {
          request.url = String(value);
        },
        headers,
        get body() {
          return request.body ? bodyApi(request) : undefined;
        },
        addHeader: (header) => headers.add(header),
        upsertHeader: (header) => headers.upsert(header),
        removeHeader: (name) => headers.remove(name),
      },
      'pm.request',
    );
  }

  function responseApi(response) {
    const headers = new HeaderList(response.headers.map(([key, value]) => ({ key, value })));
    const api = {
      [RESPONSE]: true,
      code: response.code,
      status: response.status,
      headers,
      responseTime: response.responseTime,
      responseSize: response.responseSize,
      text: () => response.body,
      json() {
        try {
          return JSON.parse(response.body);
        } catch (e) {
          const error = new SyntaxError(`${e.message} (response body: ${inspect(response.body)})`);
          error.name = 'JSONError';
          throw error;
        }
      },
      reason: () => response.status,
    };
    Object.defineProperty(api, 'to', { get: () => expect(proxy).to });
    Object.defineProperty(api, 'not', { get: () => expect(proxy).not });
    const proxy = strict(api, 'pm.response');
    return proxy;
  }

  Object.assign(shim, { requestApi, responseApi });
})(globalThis.__pmShim);
