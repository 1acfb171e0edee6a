/*
 * The part of Postman's script sandbox that postman/run.py offers to collection scripts:
 * `pm` (tests, a chai-style `pm.expect`, request, response, variable scopes, info),
 * `{{…}}` substitution with dynamic variables, and `console`. `CryptoJS` is the real
 * crypto-js (postman/vendor/crypto-js.js), loaded into the same V8 context before the shim.
 *
 * Python owns the run state. Each script call hands it in as JSON (`__pm_run`), the script
 * works on it through `pm`, and the updated state goes back as JSON: variables, request
 * changes, test results, console lines and the script error, if any.
 *
 * Anything the shim does not implement throws an UnsupportedError naming the feature, so a
 * script that relies on it fails loudly instead of silently doing nothing.
 *
 * The shim is the files of postman/shim/, loaded in the order postman/sandbox.py lists them
 * (SHIM). Each is its own function scope: what one file gives the later ones goes on one
 * internal object, `__pmShim`, a non-enumerable global that the last file (06-pm.js) removes
 * again, so scripts see only the entry points and the globals of 06-pm.js.
 */
(function (global) {
  'use strict';

  const shim = {};
  Object.defineProperty(global, '__pmShim', { value: shim, configurable: true });

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

  /** Marks the object behind pm.response (05-request-response.js), for inspect and pm.expect. */
  const RESPONSE = Symbol('response');

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

  Object.assign(shim, {
    UnsupportedError,
    AssertionError,
    strict,
    RESPONSE,
    typeOf,
    inspect,
    deepEqual,
    asText,
    sourceUrl,
    describeError,
  });
})(globalThis);
