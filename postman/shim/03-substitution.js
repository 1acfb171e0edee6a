/*
 * The pm shim, part 3 (see 01-values.js): `{{…}}` substitution with the dynamic variables,
 * for scripts (replaceIn) and for the runner's requests (__pm_resolve); a script's scopes.
 */
(function (shim) {
  'use strict';

  const { UnsupportedError, strict, has, castOut, Scope } = shim;

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
          replaceIn: (template) => replaceDeep(template, scopeLookup(scope)),
        },
        extra,
      ),
      name,
    );
  }

  Object.assign(shim, { replaceIn, requestLookup, scriptScopes, scopeApi });
})(globalThis.__pmShim);
