/*
 * The pm shim, part 6 (see 01-values.js): `pm` and `console` for one script, the legacy
 * globals that fail loudly, and the entry points postman/sandbox.py calls. Loaded last: it
 * takes the internal `__pmShim` off the global object again.
 */
(function (global, shim) {
  'use strict';

  const {
    UnsupportedError,
    strict,
    inspect,
    sourceUrl,
    describeError,
    declare,
    replaceIn,
    requestLookup,
    scriptScopes,
    scopeApi,
    expect,
    requestApi,
    responseApi,
  } = shim;

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

  delete global.__pmShim; // the entry points above keep what they need
})(globalThis, globalThis.__pmShim);
