/*
 * The part of Postman's script sandbox that postman/run.py offers to collection scripts:
 * `pm` (tests, a chai-style `pm.expect`, request, response, variable scopes, info),
 * `{{…}}` substitution with dynamic variables, and `console`. `CryptoJS` is the real
 * crypto-js (postman/vendor/crypto-js.js), loaded into the same V8 context before this file.
 *
 * Python owns the run state. Each script call hands it in as JSON (`__pm_run`), the script
 * works on it through `pm`, and the updated state goes back as JSON: variables, request
 * changes, test results, console lines and the script error, if any.
 *
 * Anything this file does not implement throws an UnsupportedError naming the feature, so a
 * script that relies on it fails loudly instead of silently doing nothing.
 */
(function (global) {
  'use strict';

  class UnsupportedError extends Error {
    constructor(feature, hint) {
      super(`${feature} is not supported by postman/run.py${hint ? ` (${hint})` : ''}`);
      this.name = 'UnsupportedError';
    }
  }

  class AssertionError extends Error {
    constructor(message) {
      super(message);
      this.name = 'AssertionError';
    }
  }

  /** Throws on any property the target does not define (a typo or an unsupported API). */
  function strict(target, what) {
    return new Proxy(target, {
      get(obj, prop, receiver) {
        if (typeof prop === 'symbol' || prop in obj) return Reflect.get(obj, prop, receiver);
        if (prop === 'then' || prop === 'toJSON') return undefined; // probed by JS itself
        throw new UnsupportedError(`${what}.${prop}`);
      },
    });
  }

  // --- values ---------------------------------------------------------------------------

  function typeOf(value) {
    if (value === null) return 'null';
    if (Array.isArray(value)) return 'array';
    if (value instanceof RegExp) return 'regexp';
    if (value instanceof Date) return 'date';
    return typeof value;
  }

  function inspect(value) {
    if (value === undefined) return 'undefined';
    if (typeof value === 'function') return '[Function]';
    if (value instanceof RegExp) return String(value);
    if (value && value[RESPONSE]) return `response ${value.code} ${value.status}`;
    let text;
    try {
      text = JSON.stringify(value);
    } catch (e) {
      text = String(value);
    }
    if (text === undefined) text = String(value);
    return text.length > 300 ? `${text.slice(0, 300)}…` : text;
  }

  function deepEqual(a, b) {
    if (a === b) return true;
    if (typeof a === 'number' && typeof b === 'number') return Number.isNaN(a) && Number.isNaN(b);
    if (typeOf(a) !== typeOf(b)) return false;
    if (a instanceof Date) return a.getTime() === b.getTime();
    if (Array.isArray(a)) {
      return a.length === b.length && a.every((item, i) => deepEqual(item, b[i]));
    }
    if (a && typeof a === 'object') {
      const keys = Object.keys(a);
      if (keys.length !== Object.keys(b).length) return false;
      return keys.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual(a[k], b[k]));
    }
    return false;
  }

  // A sourceURL ends at whitespace: encode the label so stack frames name the whole script.
  const sourceUrl = (label) => encodeURIComponent(label);

  function describeError(error, label) {
    if (!(error instanceof Error)) return `Error: ${inspect(error)}`;
    let where = '';
    const url = sourceUrl(label);
    const frame = String(error.stack || '')
      .split('\n')
      .find((line) => label && line.includes(`${url}:`));
    if (frame) {
      // The Function constructor adds two lines before the script body.
      const match = frame.match(/:(\d+):(\d+)\)?\s*$/);
      if (match) where = ` (line ${Number(match[1]) - 2})`;
    }
    return `${error.name}: ${error.message}${where}`;
  }

  // --- variables and {{…}} substitution --------------------------------------------------

  function uuid4() {
    const hex = [];
    for (let i = 0; i < 32; i++) hex.push(Math.floor(Math.random() * 16).toString(16));
    hex[12] = '4';
    hex[16] = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
    const s = hex.join('');
    return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
  }

  /** The dynamic variables this runner implements (Postman has many more: they throw). */
  const DYNAMIC = {
    $guid: uuid4,
    $randomUUID: uuid4,
    $timestamp: () => String(Math.floor(Date.now() / 1000)),
    $isoTimestamp: () => new Date().toISOString(),
    $randomInt: () => String(Math.floor(Math.random() * 1001)),
  };

  // Same pattern as Postman's substitutor; nested references resolve up to 19 levels deep.
  const VARIABLE = /\{\{([^{}]*?)}}/g;
  const MAX_DEPTH = 19;

  function asText(value) {
    if (value === null || value === undefined) return '';
    return typeof value === 'object' ? JSON.stringify(value) : String(value);
  }

  function replaceIn(template, lookup) {
    if (typeof template !== 'string') return template;
    let text = template;
    for (let depth = 0; depth < MAX_DEPTH; depth++) {
      let changed = false;
      text = text.replace(VARIABLE, (match, name) => {
        const value = lookup(name);
        if (value !== undefined) {
          changed = true;
          return asText(value);
        }
        if (name.startsWith('$')) {
          if (!Object.prototype.hasOwnProperty.call(DYNAMIC, name)) {
            throw new UnsupportedError(
              `dynamic variable {{${name}}}`,
              `implemented: ${Object.keys(DYNAMIC).join(', ')}`,
            );
          }
          changed = true;
          return DYNAMIC[name]();
        }
        return match; // unresolved: left as it is, as Postman does
      });
      if (!changed) break;
    }
    return text;
  }

  // Lowest to highest precedence, as Postman resolves them.
  const PRECEDENCE = ['globals', 'collection', 'environment', 'data', 'local'];

  function resolver(scopes) {
    return (name) => {
      for (let i = PRECEDENCE.length - 1; i >= 0; i--) {
        const scope = scopes[PRECEDENCE[i]];
        if (Object.prototype.hasOwnProperty.call(scope, name)) return scope[name];
      }
      return undefined;
    };
  }

  function storable(key, value) {
    if (typeof value === 'function' || typeof value === 'symbol') {
      throw new TypeError(`cannot store a ${typeof value} in variable '${key}'`);
    }
    return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
  }

  /** pm.collectionVariables, pm.environment, pm.globals: one scope each. */
  function scopeApi(values, extra) {
    return strict(
      Object.assign(
        {
          get: (key) => values[key],
          has: (key) => Object.prototype.hasOwnProperty.call(values, key),
          set(key, value) {
            const stored = storable(key, value);
            if (stored === undefined) delete values[key];
            else values[key] = stored;
          },
          unset(key) {
            delete values[key];
          },
          clear() {
            Object.keys(values).forEach((key) => delete values[key]);
          },
          toObject: () => JSON.parse(JSON.stringify(values)),
          replaceIn: (template) => replaceIn(template, (name) => values[name]),
        },
        extra,
      ),
      'scope',
    );
  }

  /** pm.variables: reads through every scope, writes the local one (kept for the whole run). */
  function variablesApi(scopes) {
    const lookup = resolver(scopes);
    const local = scopes.local;
    return strict(
      {
        get: (key) => lookup(key),
        has: (key) => lookup(key) !== undefined,
        set(key, value) {
          const stored = storable(key, value);
          if (stored === undefined) delete local[key];
          else local[key] = stored;
        },
        unset(key) {
          delete local[key];
        },
        toObject: () => Object.assign({}, ...PRECEDENCE.map((name) => scopes[name])),
        replaceIn: (template) => replaceIn(template, lookup),
      },
      'pm.variables',
    );
  }

  function iterationDataApi(data) {
    return strict(
      {
        get: (key) => data[key],
        has: (key) => Object.prototype.hasOwnProperty.call(data, key),
        toObject: () => JSON.parse(JSON.stringify(data)),
      },
      'pm.iterationData',
    );
  }

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
      const out = {};
      this.all().forEach((h) => {
        out[h.key] = h.value;
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

  const RESPONSE = Symbol('response');

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

  // --- pm.expect: a chai subset --------------------------------------------------------

  const CHAINS = [
    'to', 'be', 'been', 'is', 'that', 'which', 'and', 'has', 'have', 'with', 'at', 'of', 'same',
    'but', 'does', 'still', 'also',
  ];
  const STATUS_CLASSES = {
    info: [100, 199],
    success: [200, 299],
    redirection: [300, 399],
    clientError: [400, 499],
    serverError: [500, 599],
    error: [400, 599],
  };
  const STATUS_CODES = {
    accepted: 202,
    badRequest: 400,
    unauthorized: 401,
    forbidden: 403,
    notFound: 404,
    rateLimited: 429,
  };

  class Assertion {
    constructor(subject, message) {
      this._subject = subject;
      this._message = message;
      this._negate = false;
      this._deep = false;
      this._own = false;
      this._any = false;
    }

    _check(pass, message, negatedMessage) {
      if (this._negate ? pass : !pass) {
        const text = this._negate ? negatedMessage : message;
        throw new AssertionError(this._message ? `${this._message}: ${text}` : text);
      }
      return this;
    }

    _expected(verb, expected) {
      const subject = inspect(this._subject);
      const tail = expected === undefined ? '' : ` ${expected}`;
      return [`expected ${subject} to ${verb}${tail}`, `expected ${subject} to not ${verb}${tail}`];
    }

    _response(what) {
      if (!this._subject || !this._subject[RESPONSE]) {
        throw new UnsupportedError(`.${what} on anything but pm.response`);
      }
      return this._subject;
    }

    _number(name) {
      if (typeof this._subject !== 'number' && !(this._subject instanceof Date)) {
        throw new AssertionError(`expected ${inspect(this._subject)} to be a number or a date for .${name}`);
      }
    }

    get not() {
      this._negate = !this._negate;
      return this;
    }
    get deep() {
      this._deep = true;
      return this;
    }
    get own() {
      this._own = true;
      return this;
    }
    get any() {
      this._any = true;
      return this;
    }
    get all() {
      this._any = false;
      return this;
    }

    get ok() {
      if (this._subject && this._subject[RESPONSE]) return this.status(200);
      return this._check(!!this._subject, ...this._expected('be truthy'));
    }
    get true() {
      return this._check(this._subject === true, ...this._expected('be true'));
    }
    get false() {
      return this._check(this._subject === false, ...this._expected('be false'));
    }
    get null() {
      return this._check(this._subject === null, ...this._expected('be null'));
    }
    get undefined() {
      return this._check(this._subject === undefined, ...this._expected('be undefined'));
    }
    get NaN() {
      return this._check(Number.isNaN(this._subject), ...this._expected('be NaN'));
    }
    get exist() {
      return this._check(this._subject !== null && this._subject !== undefined, ...this._expected('exist'));
    }
    get empty() {
      const s = this._subject;
      let isEmpty;
      if (typeof s === 'string' || Array.isArray(s)) isEmpty = s.length === 0;
      else if (s instanceof Map || s instanceof Set) isEmpty = s.size === 0;
      else if (s && typeof s === 'object') isEmpty = Object.keys(s).length === 0;
      else throw new AssertionError(`.empty was given a non-string, non-array, non-object: ${inspect(s)}`);
      return this._check(isEmpty, ...this._expected('be empty'));
    }

    equal(expected) {
      const pass = this._deep ? deepEqual(this._subject, expected) : this._subject === expected;
      return this._check(pass, ...this._expected(this._deep ? 'deeply equal' : 'equal', inspect(expected)));
    }
    eql(expected) {
      const pass = deepEqual(this._subject, expected);
      return this._check(pass, ...this._expected('deeply equal', inspect(expected)));
    }
    a(type) {
      const wanted = String(type).toLowerCase();
      return this._check(typeOf(this._subject) === wanted, ...this._expected('be a', wanted));
    }
    include(value) {
      const s = this._subject;
      const same = (a, b) => (this._deep ? deepEqual(a, b) : a === b);
      let pass;
      if (typeof s === 'string') pass = typeof value === 'string' && s.includes(value);
      else if (Array.isArray(s)) pass = s.some((item) => same(item, value));
      else if (s && typeof s === 'object' && value && typeof value === 'object') {
        pass = Object.keys(value).every((k) => k in s && same(s[k], value[k]));
      } else {
        throw new AssertionError(`.include cannot look for ${inspect(value)} in ${inspect(s)}`);
      }
      return this._check(pass, ...this._expected('include', inspect(value)));
    }
    property(name, ...value) {
      const s = this._subject;
      const has =
        s !== null &&
        s !== undefined &&
        (this._own ? Object.prototype.hasOwnProperty.call(s, name) : name in Object(s));
      if (value.length === 0) {
        this._check(has, ...this._expected('have property', inspect(name)));
      } else {
        const pass = has && (this._deep ? deepEqual(s[name], value[0]) : s[name] === value[0]);
        const actual = has ? ` but got ${inspect(s[name])}` : ' but it is missing';
        const [positive, negative] = this._expected(`have property ${inspect(name)} of`, inspect(value[0]));
        this._check(pass, positive + actual, negative);
      }
      if (!this._negate && has) this._subject = s[name];
      return this;
    }
    lengthOf(n) {
      const s = this._subject;
      let size;
      if (s instanceof Map || s instanceof Set) size = s.size;
      else if (s !== null && s !== undefined) size = s.length;
      return this._check(size === n, ...this._expected(`have length ${n} but got ${inspect(size)}`));
    }
    length(n) {
      return this.lengthOf(n);
    }
    keys(...names) {
      const wanted = names.length === 1 && Array.isArray(names[0]) ? names[0] : names;
      const actual = Object.keys(Object(this._subject));
      const pass = this._any
        ? wanted.some((k) => actual.includes(k))
        : wanted.length === actual.length && wanted.every((k) => actual.includes(k));
      const verb = `have ${this._any ? 'any' : 'all'} of keys`;
      return this._check(pass, ...this._expected(verb, inspect(wanted)));
    }
    above(n) {
      this._number('above');
      return this._check(this._subject > n, ...this._expected('be above', inspect(n)));
    }
    least(n) {
      this._number('least');
      return this._check(this._subject >= n, ...this._expected('be at least', inspect(n)));
    }
    below(n) {
      this._number('below');
      return this._check(this._subject < n, ...this._expected('be below', inspect(n)));
    }
    most(n) {
      this._number('most');
      return this._check(this._subject <= n, ...this._expected('be at most', inspect(n)));
    }
    within(low, high) {
      this._number('within');
      const pass = this._subject >= low && this._subject <= high;
      return this._check(pass, ...this._expected('be within', `${inspect(low)}..${inspect(high)}`));
    }
    closeTo(expected, delta) {
      this._number('closeTo');
      const pass = Math.abs(this._subject - expected) <= delta;
      return this._check(pass, ...this._expected('be close to', `${inspect(expected)} ±${delta}`));
    }
    oneOf(list) {
      const same = (item) => (this._deep ? deepEqual(item, this._subject) : item === this._subject);
      const pass = list.some(same);
      return this._check(pass, ...this._expected('be one of', inspect(list)));
    }
    members(list) {
      const s = this._subject;
      const pass =
        Array.isArray(s) &&
        s.length === list.length &&
        list.every((item) => s.some((x) => deepEqual(x, item))) &&
        s.every((item) => list.some((x) => deepEqual(x, item)));
      return this._check(pass, ...this._expected('have the same members as', inspect(list)));
    }
    match(pattern) {
      const pass = typeof this._subject === 'string' && pattern.test(this._subject);
      return this._check(pass, ...this._expected('match', String(pattern)));
    }
    string(part) {
      const pass = typeof this._subject === 'string' && this._subject.includes(part);
      return this._check(pass, ...this._expected('contain', inspect(part)));
    }
    satisfy(predicate) {
      return this._check(!!predicate(this._subject), ...this._expected('satisfy', String(predicate)));
    }
    instanceOf(constructor) {
      const pass = this._subject instanceof constructor;
      return this._check(pass, ...this._expected('be an instance of', constructor.name));
    }

    // Postman's response assertions (pm.response.to.…)
    status(expected) {
      const response = this._response('status');
      const byCode = typeof expected === 'number';
      const actual = byCode ? response.code : response.status;
      const what = byCode ? 'code' : 'reason';
      return this._check(
        actual === expected,
        `expected response to have status ${what} ${inspect(expected)} but got ${inspect(actual)}`,
        `expected response to not have status ${what} ${inspect(expected)}`,
      );
    }
    header(name, ...value) {
      const headers = this._response('header').headers;
      if (value.length === 0) {
        return this._check(
          headers.has(name),
          `expected response to have header with key '${name}'`,
          `expected response to not have header with key '${name}'`,
        );
      }
      return this._check(
        headers.get(name) === value[0],
        `expected response to have header '${name}' with value ${inspect(value[0])}` +
          ` but got ${inspect(headers.get(name))}`,
        `expected response to not have header '${name}' with value ${inspect(value[0])}`,
      );
    }
    get json() {
      const response = this._response('json');
      const type = response.headers.get('Content-Type') || '';
      let parses = true;
      try {
        JSON.parse(response.text());
      } catch (e) {
        parses = false;
      }
      return this._check(
        /[/+]json\b/i.test(type) && parses,
        `expected response to have a JSON body (content-type ${inspect(type)})`,
        'expected response to not have a JSON body',
      );
    }
    body(expected) {
      const text = this._response('body').text();
      if (expected === undefined) {
        const messages = ['expected response to have a body', 'expected response to have no body'];
        return this._check(text.length > 0, ...messages);
      }
      return this._check(
        text === expected,
        `expected response body to equal ${inspect(expected)} but got ${inspect(text)}`,
        `expected response body to not equal ${inspect(expected)}`,
      );
    }
  }

  ['eq', 'equals'].forEach((alias) => (Assertion.prototype[alias] = Assertion.prototype.equal));
  ['eqls'].forEach((alias) => (Assertion.prototype[alias] = Assertion.prototype.eql));
  ['an'].forEach((alias) => (Assertion.prototype[alias] = Assertion.prototype.a));
  ['includes', 'contain', 'contains'].forEach(
    (alias) => (Assertion.prototype[alias] = Assertion.prototype.include),
  );
  ['gt', 'greaterThan'].forEach((alias) => (Assertion.prototype[alias] = Assertion.prototype.above));
  ['gte'].forEach((alias) => (Assertion.prototype[alias] = Assertion.prototype.least));
  ['lt', 'lessThan'].forEach((alias) => (Assertion.prototype[alias] = Assertion.prototype.below));
  ['lte'].forEach((alias) => (Assertion.prototype[alias] = Assertion.prototype.most));
  ['matches'].forEach((alias) => (Assertion.prototype[alias] = Assertion.prototype.match));
  ['key'].forEach((alias) => (Assertion.prototype[alias] = Assertion.prototype.keys));
  ['approximately'].forEach((alias) => (Assertion.prototype[alias] = Assertion.prototype.closeTo));
  CHAINS.forEach((word) =>
    Object.defineProperty(Assertion.prototype, word, {
      get() {
        return this;
      },
    }),
  );
  Object.entries(STATUS_CLASSES).forEach(([name, [low, high]]) =>
    Object.defineProperty(Assertion.prototype, name, {
      get() {
        const code = this._response(name).code;
        return this._check(
          code >= low && code <= high,
          `expected response code to be ${low / 100}XX but found ${code}`,
          `expected response code to not be ${low / 100}XX`,
        );
      },
    }),
  );
  Object.entries(STATUS_CODES).forEach(([name, code]) =>
    Object.defineProperty(Assertion.prototype, name, {
      get() {
        this._response(name);
        return this.status(code);
      },
    }),
  );

  function expect(subject, message) {
    return strict(new Assertion(subject, message), 'pm.expect(…)');
  }

  // --- pm -----------------------------------------------------------------------------------

  function unsupported(feature, hint) {
    return () => {
      throw new UnsupportedError(feature, hint);
    };
  }

  function makePm(state) {
    const results = state.tests;
    function test(name, fn) {
      if (typeof fn !== 'function') {
        results.push({ name: String(name), passed: false, skipped: true, error: null });
        return pm;
      }
      if (fn.length > 0) {
        results.push({
          name: String(name),
          passed: false,
          skipped: false,
          error: String(new UnsupportedError('an asynchronous pm.test (with a done callback)')),
        });
        return pm;
      }
      try {
        const outcome = fn();
        if (outcome && typeof outcome.then === 'function') {
          throw new UnsupportedError('a pm.test function that returns a Promise');
        }
        results.push({ name: String(name), passed: true, skipped: false, error: null });
      } catch (error) {
        const message = describeError(error, state.label);
        results.push({ name: String(name), passed: false, skipped: false, error: message });
      }
      return pm;
    }
    test.skip = (name) => {
      results.push({ name: String(name), passed: false, skipped: true, error: null });
      return pm;
    };

    const pm = strict(
      {
        test,
        expect,
        info: strict(Object.assign({}, state.info), 'pm.info'),
        request: requestApi(state.request),
        response: state.response ? responseApi(state.response) : undefined,
        variables: variablesApi(state.scopes),
        collectionVariables: scopeApi(state.scopes.collection),
        environment: scopeApi(state.scopes.environment, { name: state.environmentName }),
        globals: scopeApi(state.scopes.globals),
        iterationData: iterationDataApi(state.scopes.data),
        sendRequest: unsupported('pm.sendRequest', 'the runner sends only the collection\'s own requests'),
        require: unsupported('pm.require'),
        execution: strict(
          {
            setNextRequest: unsupported('pm.execution.setNextRequest', 'requests run in collection order'),
            skipRequest: unsupported('pm.execution.skipRequest'),
          },
          'pm.execution',
        ),
      },
      'pm',
    );
    return pm;
  }

  function makeConsole(lines) {
    const log = (level) => (...args) =>
      lines.push(`${level}: ${args.map((a) => (typeof a === 'string' ? a : inspect(a))).join(' ')}`);
    const levels = ['log', 'info', 'warn', 'error', 'debug'];
    return Object.fromEntries(levels.map((level) => [level, log(level)]));
  }

  // Postman's legacy script API (`postman.*`, `tests[…]`, `responseBody`, …): loud, not silent.
  const LEGACY = strict({}, 'postman');
  const LEGACY_GLOBALS = [
    'tests', 'responseBody', 'responseCode', 'responseHeaders', 'request', 'environment',
    'globals', 'data', 'iteration',
  ];
  LEGACY_GLOBALS.forEach(
    (name) =>
      Object.defineProperty(global, name, {
        get: unsupported(`the legacy Postman global '${name}'`, 'use the pm.* API'),
        configurable: true,
      }),
  );
  global.require = unsupported('require()', 'no modules are available in this sandbox');
  global.setTimeout = unsupported('setTimeout', 'scripts run synchronously');
  global.setInterval = unsupported('setInterval', 'scripts run synchronously');
  global.postman = LEGACY;

  // --- entry points called from postman/sandbox.py -------------------------------------------

  /** Run one script against the state; return the updated state (tests, error, console). */
  global.__pm_run = function (stateJson, source, label) {
    const state = JSON.parse(stateJson);
    Object.assign(state, { label, tests: [], console: [], error: null });
    try {
      const pm = makePm(state);
      global.pm = pm;
      global.console = makeConsole(state.console);
      // A fresh function scope per script, as in Postman: `const` names do not collide.
      const script = new Function(`${source}\n//# sourceURL=${sourceUrl(label)}`);
      script();
    } catch (error) {
      state.error = describeError(error, label);
    } finally {
      delete global.pm;
    }
    return JSON.stringify(state);
  };

  /** Resolve {{…}} in a request's URL, headers and raw body with the state's scopes. */
  global.__pm_resolve = function (stateJson) {
    const state = JSON.parse(stateJson);
    const lookup = resolver(state.scopes);
    const request = state.request;
    const resolve = (text) => replaceIn(text, lookup);
    return JSON.stringify({
      method: request.method,
      url: resolve(request.url),
      headers: request.headers.filter((h) => !h.disabled).map((h) => [resolve(h.key), resolve(h.value)]),
      body: request.body && request.body.raw !== undefined ? resolve(request.body.raw) : null,
    });
  };
})(globalThis);
