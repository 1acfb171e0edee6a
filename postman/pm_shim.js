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

  function asText(value) {
    if (value === null || value === undefined) return '';
    return typeof value === 'object' ? JSON.stringify(value) : String(value);
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

  // --- variables: Postman's typed scopes ---------------------------------------------------
  //
  // What Postman does (postman-collection's Variable/VariableScope, postman-sandbox and
  // postman-runtime; the tests in tests/test_postman_scopes.py pin each point against Newman):
  // - a variable has a type: string, number, boolean, array, object or any. The declared type
  //   casts the value on `set` and on `get`; an unknown type ("default", "secret" in
  //   environment files) is `any`. A variable created by `set` is `any` unless `set` names
  //   a type as its third argument.
  // - environment, globals and collection variables reach the next script the way Postman
  //   carries them: the script's changes are replayed, last one per key, as `set(key, value)`
  //   or `unset(key)` on the scope as it was before the script, so the type the scope had
  //   decides (a type given to `set` lasts for the rest of that script only), and a value
  //   travels as JSON (undefined and NaN arrive as null, a Date as its ISO text). Postman
  //   also stores a function and calls it on `get`: this runner refuses it, loudly.
  // - local variables (pm.variables.set) are carried as the script left them, types included,
  //   for the rest of the run; iteration data can be changed by a script for that script only.
  // - pm.variables reads local, iteration data, environment, collection, globals, in that
  //   order; it writes (and unsets) local variables only.
  //
  // In the run state a scope is {key: {type, value}}; iteration data is a plain object.

  /** JSON text for the array/object types, as Postman keeps them. */
  function jsonIn(value) {
    try {
      return typeof value === 'string' ? value : JSON.stringify(value);
    } catch (e) {
      return 'null';
    }
  }

  function jsonOut(value, accept) {
    let parsed;
    try {
      parsed = JSON.parse(value);
    } catch (e) {
      return undefined;
    }
    return accept(parsed) ? parsed : undefined;
  }

  const TYPES = {
    string: { in: String, out: String },
    number: { in: Number, out: Number },
    boolean: { in: Boolean, out: Boolean },
    array: { in: jsonIn, out: (v) => jsonOut(v, Array.isArray) },
    object: { in: jsonIn, out: (v) => jsonOut(v, (p) => p instanceof Object && !Array.isArray(p)) },
    any: { in: (v) => v, out: (v) => v },
  };

  /** A declared type as Postman reads it (case-insensitive); null for one it does not know. */
  function typeName(type) {
    if (type === null || type === undefined) return null;
    const name = String(type).toLowerCase();
    return Object.prototype.hasOwnProperty.call(TYPES, name) ? name : null;
  }

  const has = (object, key) => Object.prototype.hasOwnProperty.call(object, key);
  const viaJson = (value) => JSON.parse(JSON.stringify([value]))[0];
  const castIn = (entry, value) => TYPES[entry.type].in(value);
  const castOut = (entry) => TYPES[entry.type].out(entry.value);

  function refuseFunction(key, value) {
    if (typeof value === 'function') {
      throw new UnsupportedError(`storing a function in variable '${key}'`);
    }
  }

  /** One variable scope inside a script: pm.environment, pm.collectionVariables, …  */
  class Scope {
    constructor(entries, layers = []) {
      this.entries = entries; // {key: {type, value}}
      this.layers = layers; // scopes read after this one (pm.variables only)
      this.mutations = {}; // the last change per key: [key, value] for set, [key] for unset
    }
    find(key) {
      if (has(this.entries, key)) return this.entries[key];
      for (const layer of this.layers) {
        if (has(layer.entries, key)) return layer.entries[key];
      }
      return undefined;
    }
    get(key) {
      const entry = this.find(key);
      return entry ? castOut(entry) : undefined;
    }
    has(key) {
      return this.find(key) !== undefined;
    }
    set(key, value, type) {
      refuseFunction(key, value);
      const named = typeof type === 'string' ? typeName(type) : null;
      if (has(this.entries, key)) {
        const entry = this.entries[key];
        if (named) entry.type = named;
        entry.value = castIn(entry, value);
      } else {
        const entry = { type: named || 'any' };
        entry.value = castIn(entry, value);
        this.entries[key] = entry;
      }
      this.mutations[key] = [key, value];
    }
    unset(key) {
      delete this.entries[key];
      this.mutations[key] = [key];
    }
    clear() {
      Object.keys(this.entries).forEach((key) => this.unset(key));
    }
    toObject() {
      const out = {};
      [...this.layers].reverse().forEach((layer) => Object.assign(out, layer.toObject()));
      Object.keys(this.entries).forEach((key) => {
        out[key] = castOut(this.entries[key]);
      });
      return out;
    }
    replaceIn(template) {
      return replaceDeep(template, scopeLookup(this));
    }
    /** The scope as Postman hands it to the next script: `before` plus the replayed changes. */
    replayOn(before) {
      Object.values(this.mutations).forEach(([key, ...value]) => {
        if (value.length === 0) {
          delete before[key];
        } else if (has(before, key)) {
          before[key].value = castIn(before[key], viaJson(value[0]));
        } else {
          before[key] = { type: 'any', value: viaJson(value[0]) };
        }
      });
      return before;
    }
  }

  /** Declared variables (a collection's `variable`, an environment file) as Postman loads them. */
  function declare(values, types, sets) {
    const entries = {};
    Object.keys(Object.assign({}, types, values)).forEach((key) => {
      const entry = { type: typeName(types[key]) || 'any' };
      entry.value = castIn(entry, has(values, key) ? values[key] : undefined);
      entries[key] = entry;
    });
    const scope = new Scope(entries);
    Object.keys(sets || {}).forEach((key) => scope.set(key, sets[key]));
    return scope.entries;
  }

  // --- {{…}} substitution ------------------------------------------------------------------

  function uuid4() {
    const hex = [];
    for (let i = 0; i < 32; i++) hex.push(Math.floor(Math.random() * 16).toString(16));
    hex[12] = '4';
    hex[16] = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
    const s = hex.join('');
    return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
  }

  /** The dynamic variables this runner implements. */
  const DYNAMIC = {
    $guid: uuid4,
    $randomUUID: uuid4,
    $timestamp: () => String(Math.floor(Date.now() / 1000)),
    $isoTimestamp: () => new Date().toISOString(),
    $randomInt: () => String(Math.floor(Math.random() * 1001)),
  };
  /** Postman's other dynamic variables (postman-collection 4.4): they throw, loudly. A `{{$name}}`
   * that is in neither list is no dynamic variable and stays as it is, as in Postman. */
  const POSTMAN_DYNAMIC = new Set(
    ('$randomPhoneNumber $randomPhoneNumberExt $randomLocale $randomWords $randomFilePath ' +
      '$randomDirectoryPath $randomCity $randomStreetName $randomStreetAddress $randomCountry ' +
      '$randomCountryCode $randomLatitude $randomLongitude $randomColor $randomDepartment ' +
      '$randomProductName $randomProductAdjective $randomProductMaterial $randomProduct ' +
      '$randomCompanyName $randomCompanySuffix $randomCatchPhrase $randomBs ' +
      '$randomCatchPhraseAdjective $randomCatchPhraseDescriptor $randomCatchPhraseNoun ' +
      '$randomBsAdjective $randomBsBuzz $randomBsNoun $randomDatabaseColumn $randomDatabaseType ' +
      '$randomDatabaseCollation $randomDatabaseEngine $randomDatePast $randomDateFuture ' +
      '$randomDateRecent $randomMonth $randomWeekday $randomBankAccount $randomBankAccountName ' +
      '$randomCreditCardMask $randomPrice $randomTransactionType $randomCurrencyCode ' +
      '$randomCurrencyName $randomCurrencySymbol $randomBitcoin $randomBankAccountIban ' +
      '$randomBankAccountBic $randomAbbreviation $randomAdjective $randomNoun $randomVerb ' +
      '$randomIngverb $randomPhrase $randomAvatarImage $randomImageUrl $randomAbstractImage ' +
      '$randomAnimalsImage $randomBusinessImage $randomCatsImage $randomCityImage ' +
      '$randomFoodImage $randomNightlifeImage $randomFashionImage $randomPeopleImage ' +
      '$randomNatureImage $randomSportsImage $randomTransportImage $randomImageDataUri ' +
      '$randomEmail $randomExampleEmail $randomUserName $randomProtocol $randomUrl ' +
      '$randomDomainName $randomDomainSuffix $randomDomainWord $randomIP $randomIPV6 ' +
      '$randomUserAgent $randomHexColor $randomMACAddress $randomPassword $randomLoremWord ' +
      '$randomLoremWords $randomLoremSentence $randomLoremSlug $randomLoremSentences ' +
      '$randomLoremParagraph $randomLoremParagraphs $randomLoremText $randomLoremLines ' +
      '$randomFirstName $randomLastName $randomFullName $randomJobTitle $randomNamePrefix ' +
      '$randomNameSuffix $randomJobDescriptor $randomJobArea $randomJobType $randomBoolean ' +
      '$randomWord $randomAlphaNumeric $randomFileName $randomCommonFileName $randomMimeType ' +
      '$randomCommonFileType $randomCommonFileExt $randomFileType $randomFileExt $randomSemver'
    ).split(' '),
  );

  // Postman's pattern; a pass replaces every reference, and passes repeat (up to 19 in all)
  // while references remain, so nested references resolve.
  const VARIABLE = /\{\{([^{}]*?)}}/g;
  const MAX_PASSES = 19;
  const KEEP = Symbol('unresolved');

  /** A variable's text in a URL, header or body: null is 'null', undefined is '', an object
   * is its toString() ('[object Object]', '1,2' for an array), as Postman substitutes. */
  function variableText(value) {
    if (value === null) return 'null';
    if (value === undefined || typeof value.toString !== 'function') return '';
    return String(value.toString());
  }

  /** Text for `{{name}}` from one scope and the ones it reads through; undefined if unknown. */
  function scopeLookup(scope) {
    return (name) => {
      const entry = scope.find(name);
      return entry === undefined ? undefined : variableText(castOut(entry));
    };
  }

  /** `lookup(name)` gives the text for a reference, undefined when no variable has that name,
   * or KEEP to leave the reference as it is. */
  function replaceIn(template, lookup) {
    if (typeof template !== 'string') return template;
    let text = template;
    for (let pass = 0; pass < MAX_PASSES; pass++) {
      let references = 0;
      text = text.replace(VARIABLE, (match, name) => {
        references += 1;
        const found = lookup(name);
        if (found === KEEP) return match;
        if (found !== undefined) return found;
        if (has(DYNAMIC, name)) return DYNAMIC[name]();
        if (POSTMAN_DYNAMIC.has(name)) {
          throw new UnsupportedError(
            `dynamic variable {{${name}}}`,
            `implemented: ${Object.keys(DYNAMIC).join(', ')}`,
          );
        }
        return match; // unresolved: left as it is, as Postman does
      });
      if (references === 0) break;
    }
    return text;
  }

  /** How postman-runtime resolves a request: local, iteration data, environment, collection,
   * globals. It reads iteration data as a plain object: a null there stays unresolved. */
  function requestLookup(scopes) {
    const scoped = (entries) => scopeLookup(new Scope(entries));
    const sources = [
      scoped(scopes.local),
      (name) => {
        if (!has(scopes.data, name)) return undefined;
        const raw = scopes.data[name];
        if (['string', 'number', 'boolean'].includes(typeof raw)) return String(raw);
        return raw && typeof raw === 'object' ? variableText(raw) : KEEP;
      },
      scoped(scopes.environment),
      scoped(scopes.collection),
      scoped(scopes.globals),
    ];
    return (name) => {
      for (const source of sources) {
        const found = source(name);
        if (found !== undefined) return found;
      }
      return undefined;
    };
  }

  /** replaceIn on a string, or on every string inside an array or object (others as they are). */
  function replaceDeep(template, lookup) {
    if (typeof template === 'string') return replaceIn(template, lookup);
    if (template === null || typeof template !== 'object') return template;
    const out = Array.isArray(template) ? [] : {};
    Object.keys(template).forEach((key) => {
      out[key] = replaceDeep(template[key], lookup);
    });
    return out;
  }

  /** The scopes of one script run, and what of them goes back to the run state after it. */
  function scriptScopes(scopes) {
    const before = JSON.parse(JSON.stringify(scopes));
    const data = {};
    Object.keys(scopes.data).forEach((key) => {
      data[key] = { type: 'any', value: scopes.data[key] };
    });
    const own = {
      globals: new Scope(scopes.globals),
      collection: new Scope(scopes.collection),
      environment: new Scope(scopes.environment),
      data: new Scope(data),
    };
    own.local = new Scope(scopes.local, [own.data, own.environment, own.collection, own.globals]);
    own.after = () => ({
      globals: own.globals.replayOn(before.globals),
      collection: own.collection.replayOn(before.collection),
      environment: own.environment.replayOn(before.environment),
      data: before.data,
      local: own.local.entries,
    });
    return own;
  }

  function scopeApi(scope, name, extra) {
    return strict(
      Object.assign(
        {
          get: (key) => scope.get(key),
          has: (key) => scope.has(key),
          set: (key, value, type) => scope.set(key, value, type),
          unset: (key) => scope.unset(key),
          clear: () => scope.clear(),
          toObject: () => scope.toObject(),
          replaceIn: (template) => scope.replaceIn(template),
        },
        extra,
      ),
      name,
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

  function makePm(state, scopes) {
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
        variables: scopeApi(scopes.local, 'pm.variables'),
        collectionVariables: scopeApi(scopes.collection, 'pm.collectionVariables'),
        environment: scopeApi(scopes.environment, 'pm.environment', { name: state.environmentName }),
        globals: scopeApi(scopes.globals, 'pm.globals'),
        iterationData: scopeApi(scopes.data, 'pm.iterationData'),
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
    const scopes = scriptScopes(state.scopes);
    try {
      const pm = makePm(state, scopes);
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
    // What the script changed before it ended (or threw) is kept, as in Postman.
    state.scopes = scopes.after();
    return JSON.stringify(state);
  };

  /** Declared variables as Postman loads them: {values, types, sets} to a scope's entries;
   * `sets` are applied after loading, as Newman applies --env-var and --global-var. */
  global.__pm_declare = function (declarationJson) {
    const { values, types, sets } = JSON.parse(declarationJson);
    return JSON.stringify(declare(values, types || {}, sets));
  };

  /** Resolve {{…}} in a request's URL, headers and raw body with the state's scopes. */
  global.__pm_resolve = function (stateJson) {
    const state = JSON.parse(stateJson);
    const lookup = requestLookup(state.scopes);
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
