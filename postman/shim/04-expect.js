/*
 * The pm shim, part 4 (see 01-values.js): pm.expect, a chai subset, with Postman's response
 * assertions (pm.response.to.…).
 */
(function (shim) {
  'use strict';

  const { UnsupportedError, AssertionError, strict, RESPONSE, typeOf, inspect, deepEqual } = shim;

  // --- pm.expect: a chai subset --------------------------------------------------------

  const CHAINS = [
    'to', 'be', 'been', 'is', 'that', 'which', 'and', 'has', 'have', 'with', 'at', 'of', 'same',
    'but', 'does', 'still', 'also',
  ];
  /** Chain words that also set a flag for what follows (`.not` toggles: a getter of its own). */
  const FLAGS = { deep: { _deep: true }, own: { _own: true }, any: { _any: true }, all: { _any: false } };
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
  // A chain word gives the assertion back; a flag word sets its flag on the way.
  [...CHAINS, ...Object.keys(FLAGS)].forEach((word) =>
    Object.defineProperty(Assertion.prototype, word, {
      get() {
        return Object.assign(this, FLAGS[word]);
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

  Object.assign(shim, { expect });
})(globalThis.__pmShim);
