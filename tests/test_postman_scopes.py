"""Postman's variable semantics, pinned: each test is one behaviour, named after it, with what
Postman does written out, and each runs twice: in postman/run.py, and in real Newman
(`[newman]`: skipped unless $NEWMAN_BIN names a Newman binary; REQUIRE_NEWMAN=1 fails instead).
What is written here was first read off Newman 6.2 (postman-runtime 7.39, postman-sandbox 4.7,
postman-collection 4.4), so the `[newman]` runs check that it still is what Postman does.

A probe's scripts run as the test scripts of successive requests (to an echo server the test
starts) and report what they see with `seen(label, value)`: a passing pm.test named
`label = <type>:<JSON>` (see tests/postman_support.py).
"""

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.postman_support import (
    SCRIPT_ERROR,
    Probe,
    Step,
    echo_server,
    newman_binary,
    observe_with_newman,
    observe_with_runner,
)

Observe = Callable[[Probe], list[str]]


@pytest.fixture(scope="module")
def echo() -> str:
    with echo_server() as base:
        yield base


@pytest.fixture(
    params=["postman.run", pytest.param("newman", marks=pytest.mark.requires("newman"))]
)
def observe(request: pytest.FixtureRequest, echo: str, tmp_path: Path) -> Observe:
    """Runs a probe in one of the two runtimes; returns what its scripts saw, in order."""
    if request.param == "newman":
        newman = newman_binary()
        return lambda probe: observe_with_newman(probe, echo, newman, tmp_path)
    return lambda probe: observe_with_runner(probe, echo)


def string(key: str, value: object = "") -> dict:
    return {"key": key, "value": value, "type": "string"}


# --- declared types: what `get` returns ---------------------------------------------------------


def test_collection_variable_declared_string_returns_string_after_set_of_number(observe) -> None:
    """The collection declares ids as strings: an id captured with set(…, json.id) comes back
    as '1', in the script that set it and in every later one (issue 13's 7 failures)."""
    probe = Probe(
        collection=(string("product_id"),),
        steps=(
            "pm.collectionVariables.set('product_id', 1);"
            "seen('same script', pm.collectionVariables.get('product_id'));"
            "seen('strictly equal to the number', pm.collectionVariables.get('product_id') === 1);",
            "seen('next script', pm.collectionVariables.get('product_id'));"
            "seen('through pm.variables', pm.variables.get('product_id'));",
        ),
    )
    assert observe(probe) == [
        'same script = string:"1"',
        "strictly equal to the number = boolean:false",
        'next script = string:"1"',
        'through pm.variables = string:"1"',
    ]


def test_declared_type_casts_the_declared_value(observe) -> None:
    """string/number/boolean cast as JavaScript's String/Number/Boolean do ('false' is true);
    a number that is NaN travels as JSON null and arrives as 0; object/array parse JSON text."""
    probe = Probe(
        collection=(
            string("s", 5),
            {"key": "n", "value": "5", "type": "number"},
            {"key": "nan", "value": "abc", "type": "number"},
            {"key": "yes", "value": "false", "type": "boolean"},
            {"key": "no", "value": "", "type": "boolean"},
            {"key": "o", "value": '{"a": 1}', "type": "object"},
            {"key": "a", "value": "[1,2]", "type": "array"},
            {"key": "Type", "value": 5, "type": "STRING"},
        ),
        steps=(
            "['s', 'n', 'nan', 'yes', 'no', 'o', 'a', 'Type']"
            ".forEach((k) => seen(k, pm.collectionVariables.get(k)));",
        ),
    )
    assert observe(probe) == [
        's = string:"5"',
        "n = number:5",
        "nan = number:0",
        "yes = boolean:true",
        "no = boolean:false",
        'o = object:{"a":1}',
        "a = object:[1,2]",
        'Type = string:"5"',
    ]


def test_unknown_or_missing_type_is_any_and_keeps_the_json_type(observe) -> None:
    """No type, `any`, and the environment file's "default" and "secret" all keep the value's
    own JSON type."""
    probe = Probe(
        collection=({"key": "none", "value": 5}, {"key": "any", "value": True, "type": "any"}),
        environment=(
            {"key": "default", "value": 5, "type": "default"},
            {"key": "secret", "value": 6, "type": "secret"},
        ),
        steps=(
            "seen('none', pm.collectionVariables.get('none'));"
            "seen('any', pm.collectionVariables.get('any'));"
            "seen('default', pm.environment.get('default'));"
            "seen('secret', pm.environment.get('secret'));",
        ),
    )
    assert observe(probe) == [
        "none = number:5",
        "any = boolean:true",
        "default = number:5",
        "secret = number:6",
    ]


# --- set --------------------------------------------------------------------------------------


def test_string_type_coerces_on_set_in_every_scope(observe) -> None:
    """A declared string stays a string in collection, environment and globals alike."""
    probe = Probe(
        collection=(string("c"),),
        environment=({"key": "e", "value": "", "type": "string"},),
        globals=({"key": "g", "value": "", "type": "string"},),
        steps=(
            "pm.collectionVariables.set('c', 1); pm.environment.set('e', true);"
            "pm.globals.set('g', {a: 1});",
            "seen('collection', pm.collectionVariables.get('c'));"
            "seen('environment', pm.environment.get('e'));"
            "seen('globals', pm.globals.get('g'));",
        ),
    )
    assert observe(probe) == [
        'collection = string:"1"',
        'environment = string:"true"',
        'globals = string:"[object Object]"',
    ]


def test_set_of_a_new_variable_creates_an_any_variable(observe) -> None:
    """An undeclared variable keeps what was set, type and all, across scripts."""
    probe = Probe(
        steps=(
            "pm.collectionVariables.set('n', 1); pm.collectionVariables.set('o', {a: [1, 'x']});",
            "seen('number', pm.collectionVariables.get('n'));"
            "seen('object', pm.collectionVariables.get('o'));",
        ),
    )
    assert observe(probe) == ["number = number:1", 'object = object:{"a":[1,"x"]}']


def test_type_given_to_set_lasts_for_that_script_only(observe) -> None:
    """set(key, value, type) types the variable in the script; the next script gets the value
    as the scope had it typed before (Postman carries the change as `set(key, value)`)."""
    probe = Probe(
        collection=(string("declared"),),
        steps=(
            "pm.collectionVariables.set('fresh', 1, 'string');"
            "pm.collectionVariables.set('declared', 2, 'number');"
            "seen('fresh, same script', pm.collectionVariables.get('fresh'));"
            "seen('declared, same script', pm.collectionVariables.get('declared'));",
            "seen('fresh, next script', pm.collectionVariables.get('fresh'));"
            "seen('declared, next script', pm.collectionVariables.get('declared'));",
        ),
    )
    assert observe(probe) == [
        'fresh, same script = string:"1"',
        "declared, same script = number:2",
        "fresh, next script = number:1",
        'declared, next script = string:"2"',
    ]


def test_values_reach_the_next_script_as_json(observe) -> None:
    """In the script a variable holds the JavaScript value; the next one gets it through JSON:
    undefined and NaN arrive as null, a Date as its ISO text. A declared string set to
    undefined is 'undefined' in the script and 'null' after it."""
    probe = Probe(
        collection=(string("s"),),
        steps=(
            "pm.collectionVariables.set('u', undefined); pm.collectionVariables.set('nan', NaN);"
            "pm.collectionVariables.set('d', new Date(0)); pm.collectionVariables.set('s');"
            "seen('undefined', pm.collectionVariables.get('u'));"
            "seen('has undefined', pm.collectionVariables.has('u'));"
            "seen('NaN', pm.collectionVariables.get('nan'));"
            "seen('date', pm.collectionVariables.get('d'));"
            "seen('string', pm.collectionVariables.get('s'));",
            "seen('undefined', pm.collectionVariables.get('u'));"
            "seen('has undefined', pm.collectionVariables.has('u'));"
            "seen('NaN', pm.collectionVariables.get('nan'));"
            "seen('date', pm.collectionVariables.get('d'));"
            "seen('string', pm.collectionVariables.get('s'));",
        ),
    )
    assert observe(probe) == [
        "undefined = undefined",
        "has undefined = boolean:true",
        "NaN = number:NaN",
        "date = date:1970-01-01T00:00:00.000Z",
        'string = string:"undefined"',
        "undefined = object:null",
        "has undefined = boolean:true",
        "NaN = object:null",
        'date = string:"1970-01-01T00:00:00.000Z"',
        'string = string:"null"',
    ]


def test_changes_made_before_a_script_error_are_kept(observe) -> None:
    probe = Probe(
        steps=(
            "pm.collectionVariables.set('before', 'kept'); throw new Error('boom');",
            "seen('before', pm.collectionVariables.get('before'));",
        ),
    )
    assert observe(probe) == [SCRIPT_ERROR, 'before = string:"kept"']


# --- unset, has, clear ------------------------------------------------------------------------


def test_unset_removes_the_variable_and_its_declared_type(observe) -> None:
    """After unset, has() is false and get() undefined; a later script's set() makes a new,
    untyped variable."""
    probe = Probe(
        collection=(string("id"),),
        steps=(
            "pm.collectionVariables.unset('id');"
            "seen('has', pm.collectionVariables.has('id'));"
            "seen('get', pm.collectionVariables.get('id'));"
            "pm.collectionVariables.unset('never-there');",
            "pm.collectionVariables.set('id', 5); seen('set again', pm.collectionVariables.get('id'));",
            "seen('next script', pm.collectionVariables.get('id'));",
        ),
    )
    assert observe(probe) == [
        "has = boolean:false",
        "get = undefined",
        "set again = number:5",
        "next script = number:5",
    ]


def test_unset_then_set_in_one_script_keeps_the_declared_type(observe) -> None:
    """Postman carries only a script's last change per variable: unset then set is a set, on
    the variable as declared."""
    probe = Probe(
        collection=(string("id"),),
        steps=(
            "pm.collectionVariables.unset('id'); pm.collectionVariables.set('id', 5);"
            "seen('same script', pm.collectionVariables.get('id'));",
            "seen('next script', pm.collectionVariables.get('id'));",
        ),
    )
    assert observe(probe) == ["same script = number:5", 'next script = string:"5"']


def test_clear_unsets_every_variable_of_that_scope_only(observe) -> None:
    probe = Probe(
        collection=(string("a", "1"), string("b", "2")),
        environment=({"key": "e", "value": "env", "type": "default"},),
        steps=(
            "pm.collectionVariables.clear(); pm.collectionVariables.set('c', 3);"
            "seen('same script', pm.collectionVariables.toObject());",
            "seen('next script', pm.collectionVariables.toObject());"
            "seen('environment', pm.environment.toObject());",
        ),
    )
    assert observe(probe) == [
        'same script = object:{"c":3}',
        'next script = object:{"c":3}',
        'environment = object:{"e":"env"}',
    ]


def test_keys_are_case_sensitive_and_a_repeated_declaration_takes_the_last(observe) -> None:
    probe = Probe(
        collection=(string("Key", "upper"), string("dup", "first"), string("dup", "second")),
        steps=(
            "seen('Key', pm.collectionVariables.get('Key'));"
            "seen('key', pm.collectionVariables.get('key'));"
            "seen('dup', pm.collectionVariables.get('dup'));"
            "seen('toObject', pm.collectionVariables.toObject());",
        ),
    )
    assert observe(probe) == [
        'Key = string:"upper"',
        "key = undefined",
        'dup = string:"second"',
        'toObject = object:{"Key":"upper","dup":"second"}',
    ]


# --- pm.variables: precedence and local variables -----------------------------------------------


def test_pm_variables_reads_local_data_environment_collection_globals(observe) -> None:
    probe = Probe(
        globals=tuple({"key": k, "value": "globals"} for k in ("a", "b", "c", "d", "e")),
        collection=tuple(string(k, "collection") for k in ("b", "c", "d", "e")),
        environment=tuple({"key": k, "value": "environment"} for k in ("c", "d", "e")),
        data={"d": "data", "e": "data"},
        steps=(
            "pm.variables.set('e', 'local');"
            "['a', 'b', 'c', 'd', 'e'].forEach((k) => seen(k, pm.variables.get(k)));"
            "seen('replaceIn', pm.variables.replaceIn('{{a}} {{b}} {{c}} {{d}} {{e}}'));"
            "seen('toObject', pm.variables.toObject());",
        ),
    )
    assert observe(probe) == [
        'a = string:"globals"',
        'b = string:"collection"',
        'c = string:"environment"',
        'd = string:"data"',
        'e = string:"local"',
        'replaceIn = string:"globals collection environment data local"',
        'toObject = object:{"a":"globals","b":"collection","c":"environment","d":"data","e":"local"}',
    ]


def test_pm_variables_set_and_unset_touch_local_variables_only(observe) -> None:
    """unset() of a variable that lives in another scope changes nothing; unsetting a local
    variable shows the one it hid."""
    probe = Probe(
        collection=(string("c", "collection"),),
        data={"d": "data"},
        steps=(
            "pm.variables.set('d', 'local'); seen('shadowed', pm.variables.get('d'));"
            "pm.variables.unset('d'); seen('unset local', pm.variables.get('d'));"
            "pm.variables.unset('c'); seen('unset of a collection variable', pm.variables.get('c'));"
            "pm.variables.set('c', 1);",
            "seen('collection scope untouched', pm.collectionVariables.get('c'));"
            "seen('local wins', pm.variables.get('c'));",
        ),
    )
    assert observe(probe) == [
        'shadowed = string:"local"',
        'unset local = string:"data"',
        'unset of a collection variable = string:"collection"',
        'collection scope untouched = string:"collection"',
        "local wins = number:1",
    ]


def test_local_variables_last_for_the_rest_of_the_run_with_their_types(observe) -> None:
    """Set in a pre-request or test script, a local variable is there for the requests that
    follow (not just the one request), and keeps a type given to set()."""
    probe = Probe(
        steps=(
            Step(
                pre="pm.variables.set('from_pre', 1);",
                test="seen('test', pm.variables.get('from_pre'));",
            ),
            Step(
                pre="seen('next pre-request', pm.variables.get('from_pre'));"
                "pm.variables.set('typed', 1, 'string'); pm.variables.set('u', undefined);",
                test="seen('typed', pm.variables.get('typed'));",
            ),
            "seen('later request', pm.variables.get('from_pre'));"
            "seen('typed later', pm.variables.get('typed'));"
            "seen('has undefined', pm.variables.has('u'));"
            "seen('has nothing', pm.variables.has('nothing'));",
        ),
    )
    assert observe(probe) == [
        "test = number:1",
        "next pre-request = number:1",
        'typed = string:"1"',
        "later request = number:1",
        'typed later = string:"1"',
        "has undefined = boolean:true",
        "has nothing = boolean:false",
    ]


def test_iteration_data_keeps_json_types_and_a_script_change_stays_in_that_script(observe) -> None:
    probe = Probe(
        data={"n": 5, "s": "5", "o": {"a": 1}, "z": None},
        steps=(
            "['n', 's', 'o', 'z'].forEach((k) => seen(k, pm.iterationData.get(k)));"
            "pm.iterationData.set('added', 1);"
            "seen('added', pm.iterationData.get('added'));"
            "seen('added, through pm.variables', pm.variables.get('added'));",
            "seen('added, next script', pm.iterationData.get('added'));",
        ),
    )
    assert observe(probe) == [
        "n = number:5",
        's = string:"5"',
        'o = object:{"a":1}',
        "z = object:null",
        "added = number:1",
        "added, through pm.variables = number:1",
        "added, next script = undefined",
    ]


def test_env_var_override_is_set_on_the_declared_variable(observe) -> None:
    """`--env-var` (the runner's overrides) is set after the file is loaded: a declared type
    casts it, an undeclared one is a string."""
    probe = Probe(
        environment=({"key": "limit", "value": 1, "type": "number"},),
        env_vars={"limit": "25", "extra": "7"},
        steps=(
            "seen('declared number', pm.environment.get('limit'));"
            "seen('new', pm.environment.get('extra'));",
        ),
    )
    assert observe(probe) == ["declared number = number:25", 'new = string:"7"']


# --- replaceIn and {{…}} ----------------------------------------------------------------------


def test_replace_in_writes_values_as_postman_does(observe) -> None:
    """A number is its digits, null 'null', undefined '', an object '[object Object]', an
    array its items joined by commas; references nest; unknown ones stay as they are."""
    probe = Probe(
        steps=(
            "pm.variables.set('num', 1); pm.variables.set('nul', null);"
            "pm.variables.set('und', undefined); pm.variables.set('obj', {a: 1});"
            "pm.variables.set('arr', [1, 2]); pm.variables.set('no', false);"
            "pm.variables.set('zero', 0); pm.variables.set('empty', '');"
            "pm.variables.set('nested', '{{num}}-{{no}}'); pm.variables.set('nan', NaN);"
            "seen('values', pm.variables.replaceIn("
            "'{{num}}|{{nul}}|{{und}}|{{obj}}|{{arr}}|{{no}}|{{zero}}|{{empty}}|{{nested}}|{{nan}}'));"
            "seen('unknown', pm.variables.replaceIn('{{missing}} {{ num }} {{$notDynamic}}'));"
            "seen('built name', pm.variables.replaceIn('{{n{{empty}}um}}'));",
        ),
    )
    assert observe(probe) == [
        'values = string:"1|null||[object Object]|1,2|false|0||1-false|NaN"',
        'unknown = string:"{{missing}} {{ num }} {{$notDynamic}}"',
        'built name = string:"1"',
    ]


def test_replace_in_stops_after_nineteen_passes(observe) -> None:
    probe = Probe(
        steps=(
            "pm.variables.set('loop', '{{loop}}x');"
            "seen('loop', pm.variables.replaceIn('{{loop}}'));",
        ),
    )
    assert observe(probe) == ['loop = string:"{{loop}}' + "x" * 19 + '"']


def test_replace_in_of_objects_arrays_and_other_values(observe) -> None:
    probe = Probe(
        steps=(
            "pm.variables.set('n', 1);"
            "seen('object', pm.variables.replaceIn({u: '{{n}}', list: ['{{n}}', 3], z: null}));"
            "seen('array', pm.variables.replaceIn(['{{n}}', 2]));"
            "seen('number', pm.variables.replaceIn(5));"
            "seen('undefined', pm.variables.replaceIn(undefined));",
        ),
    )
    assert observe(probe) == [
        'object = object:{"u":"1","list":["1",3],"z":null}',
        'array = object:["1",2]',
        "number = number:5",
        "undefined = undefined",
    ]


def test_scope_replace_in_reads_that_scope_only(observe) -> None:
    probe = Probe(
        globals=({"key": "g", "value": "G"},),
        collection=(string("c", "C"),),
        environment=({"key": "e", "value": "E"},),
        steps=(
            "pm.variables.set('l', 'L');"
            "seen('environment', pm.environment.replaceIn('{{e}}{{c}}{{g}}{{l}}'));"
            "seen('collection', pm.collectionVariables.replaceIn('{{e}}{{c}}{{g}}{{l}}'));"
            "seen('globals', pm.globals.replaceIn('{{e}}{{c}}{{g}}{{l}}'));",
        ),
    )
    assert observe(probe) == [
        'environment = string:"E{{c}}{{g}}{{l}}"',
        'collection = string:"{{e}}C{{g}}{{l}}"',
        'globals = string:"{{e}}{{c}}G{{l}}"',
    ]


def test_a_variable_named_like_a_dynamic_one_wins(observe) -> None:
    probe = Probe(
        steps=(
            "seen('dynamic', /^[0-9a-f-]{36}$/.test(pm.variables.replaceIn('{{$guid}}')));"
            "pm.variables.set('$guid', 'mine');"
            "seen('variable', pm.variables.replaceIn('{{$guid}}'));",
        ),
    )
    assert observe(probe) == ["dynamic = boolean:true", 'variable = string:"mine"']


def test_request_url_headers_and_body_are_resolved_like_replace_in(observe) -> None:
    """What goes out: a number as digits, null as 'null', an object as '[object Object]', and
    (iteration data being read as a plain object there) a null in the data is left as {{…}}."""
    probe = Probe(
        collection=(string("id"),),
        data={"nothing": None, "count": 0},
        steps=(
            Step(
                pre="pm.collectionVariables.set('id', 7); pm.variables.set('nul', null);"
                "pm.variables.set('obj', {a: 1});",
                url="/echo/{{id}}?n={{nul}}&o={{obj}}&c={{count}}&d={{nothing}}",
                headers=(("X-Id", "{{id}}"), ("Content-Type", "text/plain")),
                body="id={{id}} obj={{obj}}",
                test="const echo = pm.response.json();"
                "seen('path', echo.path); seen('header', echo.headers['x-id']);"
                "seen('body', echo.body);"
                "seen('pm.request.url in the test script', pm.request.url.getPath());",
            ),
        ),
    )
    assert observe(probe) == [
        'path = string:"/echo/7?n=null&o=[object Object]&c=0&d={{nothing}}"',
        'header = string:"7"',
        'body = string:"id=7 obj=[object Object]"',
        'pm.request.url in the test script = string:"/echo/7"',
    ]
