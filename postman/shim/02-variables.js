/*
 * The pm shim, part 2 (see 01-values.js): Postman's typed variable scopes, the values behind
 * pm.variables, pm.environment, pm.collectionVariables, pm.globals and pm.iterationData.
 */
(function (shim) {
  'use strict';

  const { UnsupportedError } = shim;

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

  Object.assign(shim, { has, castOut, Scope, declare });
})(globalThis.__pmShim);
