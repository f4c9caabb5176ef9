//! THE builtin signature table: the single source of truth for the checker and the
//! runtime (syntax in [`crate::sig`]). Among fitting overloads of one name, yaql's
//! ranking decides (nearest context level, then the strictly most specific parameter
//! types, else `Ambiguous…`; see [`crate::sig`]); the table still lists legacy entries
//! first and specific overloads before general ones, which is the order the ranking
//! visits them in. The id prefix selects the function set ([`crate::sig::Layer`]):
//! `legacy.*`/`intrinsic.legacy.*` only with `yaql.legacy.create_context()`,
//! `intrinsic.delegate_*` only with delegates. Entries whose id starts with
//! `intrinsic.` are implemented by the interpreter (contexts and variables), not by
//! this crate.

/// yaql's legacy layer re-registers every overload of these names as extension
/// methods (`utils.to_extension_method`), so in the legacy function set they are
/// callable both as `f(x, ...)` and `x.f(...)` (names as yaql spells them).
pub const LEGACY_EXTENSION_METHODS: &[&str] = &[
    "get",
    "list",
    "bool",
    "int",
    "float",
    "select",
    "where",
    "join",
    "sum",
    "takeWhile",
];

/// One table entry.
pub struct Entry {
    /// Stable implementation id.
    pub id: &'static str,
    /// The signature text.
    pub sig: &'static str,
    /// One-line documentation.
    pub doc: &'static str,
}

macro_rules! table {
    ($($id:literal => $sig:literal, $doc:literal;)*) => {
        /// All builtin overloads.
        pub const SIGNATURES: &[Entry] = &[$(Entry { id: $id, sig: $sig, doc: $doc }),*];
    };
}

table! {
    // legacy layer (yaql/legacy.py + standard_library/legacy.py): only in the legacy
    // function set, listed first so that, like yaql's nearer context level, these win
    // over same-named standard overloads whenever they fit.
    "intrinsic.legacy.build_tuple" => "f #operator_=>(left: lam, right: any)", "legacy a => b: tuple, flattening a left-nested => expression (needs the AST)";
    "intrinsic.legacy.context_member" => "f #operator_.(receiver: any, expr: lam)", "legacy ctx.expr: evaluate expr in the context made by as() with $ = its $0";
    "intrinsic.legacy.as" => "m as(receiver: any, *mappings: lampair)", "legacy: bind names (expr => name) in a new context, $0 = receiver";
    "legacy.tuple" => "f tuple(*args: any)", "tuple of the args";
    "legacy.to_list" => "m toList(collection: iter)", "materialise into a Python list";
    "legacy.dict" => "fm dict(*tuples: tuple)", "dict from 2-tuples";
    "legacy.map" => "fm #map(*tuples: tuple)", "dict literal from 2-tuples";
    "legacy.indexer" => "f! #indexer(collection: iter, indexExpression: lam)", "seq[int] index, otherwise filter by the expression";
    "legacy.range" => "fm range(start: int, stop: int? = null)", "range(start, stop), or infinite from start";
    "legacy.switch" => "fm! switch(value: any, *conditions: lampair)", "first cond => value pair whose cond holds, $ = value";
    "legacy.member" => "f #member(obj: dict, name: word)", "dict.key, null when missing";
    // system
    "intrinsic.get_context_data" => "f #get_context_data(name: word)", "variable read; missing → null";
    "intrinsic.method_call" => "f #operator_.(receiver: any, expr: lam)", "recv.f(args): method call";
    "intrinsic.null_safe" => "f #operator_?.(receiver: any, expr: lam)", "null-safe member access";
    "intrinsic.arrow" => "f #operator_->(left: any, right: lam)", "evaluate right in context left";
    "intrinsic.let" => "f let(*args: any, **kwargs: any)", "new context with $1.. and $name bound";
    "intrinsic.with" => "f with(*args: any)", "new context with $1.. bound";
    "intrinsic.def" => "f def(name: str, func: lam)", "define a function for the right side of ->";
    "intrinsic.unpack" => "m unpack(sequence: iter, *args: str)", "bind items to names in a new context";
    "intrinsic.delegate_lambda" => "f lambda(func: lam)", "delegate value (delegates only)";
    "intrinsic.delegate_call" => "f #call(callable: any, *args: any, **kwargs: any)", "call a delegate";
    "system.member" => "f #member(obj: any, name: word)", "X.word: dict key, map over iterable, or property";
    "system.assert" => "m assert(obj: any, condition: lam, message: str = 'Assertion failed')", "obj if condition(obj) else AssertionError";
    "system.call" => "f call(name: str, args: seq, kwargs: dict, receiver: any = _)", "call a function by name";
    "system.finalize" => "f #finalize(obj: any)", "output conversion";
    "system.iter" => "f #iter(iterator: iter)", "limit-checked iteration";
    // common
    "common.equal" => "f *equal(left: any, right: any)", "Python ==";
    "common.not_equal" => "f *not_equal(left: any, right: any)", "Python !=";
    "common.lt" => "f #operator_<(left: any, right: any)", "less than (num, str, set, dt, ts, null)";
    "common.le" => "f #operator_<=(left: any, right: any)", "less or equal";
    "common.gt" => "f #operator_>(left: any, right: any)", "greater than";
    "common.ge" => "f #operator_>=(left: any, right: any)", "greater or equal";
    // boolean
    "boolean.and" => "f #operator_and(left: lam, right: lam)", "short-circuit and, returns an operand";
    "boolean.or" => "f #operator_or(left: lam, right: lam)", "short-circuit or, returns an operand";
    "boolean.not" => "f #unary_operator_not(arg: any)", "negated truthiness";
    "boolean.bool" => "f bool(value: any)", "truthiness";
    "boolean.is_boolean" => "f isBoolean(value: any)", "is true/false";
    // branching
    "branching.switch" => "f switch(*args: pair)", "value of the first pair whose condition holds";
    "branching.select_case" => "f selectCase(*args: lam)", "index of the first truthy predicate";
    "branching.select_all_cases" => "f selectAllCases(*args: lam)", "indices of truthy predicates";
    "branching.examine" => "f examine(*args: lam)", "truthiness of each predicate";
    "branching.switch_case" => "m switchCase(case: int, *args: lam)", "evaluate the branch with that index";
    "branching.coalesce" => "f coalesce(*args: lam)", "first non-null argument";
    // math (datetime arithmetic first: more specific)
    "date_time.dt_plus_ts" => "f #operator_+(dt: dt, ts: ts)", "datetime + timespan";
    "date_time.ts_plus_dt" => "f #operator_+(ts: ts, dt: dt)", "timespan + datetime";
    "date_time.ts_plus_ts" => "f #operator_+(ts1: ts, ts2: ts)", "timespan + timespan";
    "math.add" => "f #operator_+(left: num, right: num)", "addition";
    "strings.concat_op" => "f #operator_+(left: str, right: str)", "string concatenation";
    "collections.dict_plus" => "f #operator_+(left: dict, right: dict)", "merged dict";
    "collections.iter_plus" => "f #operator_+(left: iter, right: iter)", "concatenation";
    "date_time.dt_minus_ts" => "f #operator_-(dt: dt, ts: ts)", "datetime - timespan";
    "date_time.dt_minus_dt" => "f #operator_-(dt1: dt, dt2: dt)", "datetime difference";
    "date_time.ts_minus_ts" => "f #operator_-(ts1: ts, ts2: ts)", "timespan difference";
    "math.sub" => "f #operator_-(left: num, right: num)", "subtraction";
    "collections.set_minus" => "f #operator_-(left: set, right: set)", "set difference";
    "date_time.ts_mul" => "f #operator_*(ts: ts, n: num)", "timespan scaling";
    "date_time.mul_ts" => "f #operator_*(n: num, ts: ts)", "timespan scaling";
    "math.mul" => "f #operator_*(left: num, right: num)", "multiplication";
    "strings.repeat_left" => "f #operator_*(left: str, right: int)", "string repetition";
    "strings.repeat_right" => "f #operator_*(left: int, right: str)", "string repetition";
    "collections.seq_mul" => "f #operator_*(left: seq, right: int)", "sequence repetition";
    "collections.mul_seq" => "f #operator_*(left: int, right: seq)", "sequence repetition";
    "date_time.ts_div_ts" => "f #operator_/(ts1: ts, ts2: ts)", "timespan ratio";
    "date_time.ts_div" => "f #operator_/(ts: ts, n: num)", "timespan division";
    "math.div" => "f #operator_/(left: num, right: num)", "division (floor for ints)";
    "math.mod" => "f #operator_mod(left: num, right: num)", "Python %";
    "date_time.ts_pos" => "f #unary_operator_+(ts: ts)", "unary plus";
    "math.pos" => "f #unary_operator_+(op: num)", "unary plus";
    "date_time.ts_neg" => "f #unary_operator_-(ts: ts)", "negation";
    "math.neg" => "f #unary_operator_-(op: num)", "negation";
    "math.abs" => "f abs(op: num)", "absolute value";
    "math.int" => "f int(value: any)", "Python int()";
    "math.float" => "f float(value: any)", "Python float()";
    "math.random" => "f random()", "float in [0, 1)";
    "math.random_range" => "f random(from: int, to: int)", "int in [from, to]";
    "math.bitwise_and" => "f bitwiseAnd(left: int, right: int)", "bitwise and";
    "math.bitwise_or" => "f bitwiseOr(left: int, right: int)", "bitwise or";
    "math.bitwise_xor" => "f bitwiseXor(left: int, right: int)", "bitwise xor";
    "math.bitwise_not" => "f bitwiseNot(arg: int)", "bitwise not";
    "math.shift_left" => "f shiftBitsLeft(value: int, bitsNumber: int)", "left shift";
    "math.shift_right" => "f shiftBitsRight(value: int, bitsNumber: int)", "right shift";
    "math.max" => "f max(a: any, b: any)", "greater of two values (a on ties)";
    "math.min" => "f min(a: any, b: any)", "lesser of two values (b on ties)";
    "math.pow" => "f pow(a: num, b: num, c: num? = null)", "Python pow";
    "math.sign" => "f sign(num: num)", "-1, 0 or 1";
    "math.round" => "f round(number: num, ndigits: int = 0)", "Python round (banker's)";
    "math.is_integer" => "f isInteger(value: any)", "is an int (not bool)";
    "math.is_number" => "f isNumber(value: any)", "is an int or float (not bool)";
    // strings
    "strings.in" => "f #operator_in(left: str, right: str)", "substring test";
    "strings.concat" => "f concat(*args: str)", "concatenation";
    "strings.str" => "f str(value: any)", "text form";
    "strings.len" => "fm len(string: str)", "length in code points";
    "strings.to_upper" => "m toUpper(string: str)", "upper case";
    "strings.to_lower" => "m toLower(string: str)", "lower case";
    "strings.split" => "m split(string: str, separator: str? = null, maxSplits: int = -1)", "Python str.split";
    "strings.right_split" => "m rightSplit(string: str, separator: str? = null, maxSplits: int = -1)", "Python str.rsplit";
    "strings.join" => "m join(sequence: iter, separator: str)", "join items with str()";
    "strings.join_sep" => "m join(separator: str, sequence: iter)", "join items with str()";
    "strings.trim" => "m trim(string: str, chars: str? = null)", "strip";
    "strings.trim_left" => "m trimLeft(string: str, chars: str? = null)", "lstrip";
    "strings.trim_right" => "m trimRight(string: str, chars: str? = null)", "rstrip";
    "strings.norm" => "fm norm(string: str?, chars: str? = null)", "trimmed string or null if empty";
    "strings.is_empty" => "fm isEmpty(string: str?, trim: bool = true, chars: str? = null)", "null or (trimmed) empty";
    "strings.replace" => "m replace(string: str, old: str, new: str, count: int = -1)", "substring replacement";
    "strings.replace_dict" => "m replace(string: str, replacements: dict, count: int = -1)", "successive replacements";
    "strings.substring" => "m substring(string: str, start: int, length: int = -1)", "substring";
    "strings.index_of_range" => "m indexOf(string: str, sub: str, start: int, length: int)", "find in a range";
    "strings.index_of" => "m indexOf(string: str, sub: str, start: int = 0)", "find";
    "strings.last_index_of_range" => "m lastIndexOf(string: str, sub: str, start: int, length: int)", "rfind in a range";
    "strings.last_index_of" => "m lastIndexOf(string: str, sub: str, start: int = 0)", "rfind";
    "strings.to_char_array" => "m toCharArray(string: str)", "list of characters";
    "strings.starts_with" => "m startsWith(string: str, *prefixes: str)", "has any prefix";
    "strings.ends_with" => "m endsWith(string: str, *suffixes: str)", "has any suffix";
    "strings.characters" => "f characters(digits: bool? = false, hexdigits: bool? = false, asciiLowercase: bool? = false, asciiUppercase: bool? = false, asciiLetters: bool? = false, letters: bool? = false, octdigits: bool? = false, punctuation: bool? = false, printable: bool? = false, lowercase: bool? = false, uppercase: bool? = false, whitespace: bool? = false)", "characters of the chosen classes";
    "strings.is_string" => "f isString(arg: any)", "type test";
    "strings.hex" => "f hex(num: num?)", "Python hex";
    // collections
    "collections.list_literal" => "f #list(*args: any)", "tuple of the values";
    "collections.list" => "f list(*args: any)", "list, splicing iterator arguments";
    "collections.to_list" => "m toList(collection: iter)", "materialise into a list";
    "collections.flatten" => "m flatten(collection: iter)", "recursive flattening";
    "collections.map_literal" => "f #map(*args: pair)", "dict from pairs";
    "collections.dict_pairs" => "f dict(*args: pair)", "dict from pairs";
    "collections.dict_items" => "f dict(items: iter)", "dict from 2-item sequences";
    "collections.to_dict" => "m toDict(collection: iter, keySelector: lam, valueSelector: lam = _)", "dict keyed by selector";
    "collections.indexer_seq" => "f #indexer(list: seq, index: int)", "sequence index";
    "collections.indexer_dict" => "f #indexer(dict: dict, key: any)", "dict lookup";
    "collections.indexer_dict_default" => "f #indexer(dict: dict, key: any, default: any)", "dict lookup with default";
    "collections.get" => "m get(dict: dict, key: any, default: any = null)", "lookup with default";
    "collections.set_dict" => "m set(dict: dict, replacements: dict)", "copy with keys set";
    "collections.set_kv" => "m set(dict: dict, key: any, value: any)", "copy with a key set";
    "collections.set_pairs" => "m set(dict: dict, *args: pair)", "copy with keys set";
    "collections.keys" => "m keys(dict: dict)", "keys view";
    "collections.values" => "m values(dict: dict)", "values view";
    "collections.items" => "m items(dict: dict)", "items view";
    "collections.delete_keys" => "m delete(dict: dict, *keys: any)", "copy without keys";
    "collections.delete_all" => "m deleteAll(dict: dict, keys: iter)", "copy without keys";
    "collections.contains_key" => "m containsKey(dict: dict, key: any)", "key membership";
    "collections.contains_value" => "m containsValue(dict: dict, value: any)", "value membership";
    "collections.in" => "f #operator_in(value: any, collection: iter)", "membership";
    "collections.contains" => "m contains(collection: iter, value: any)", "membership";
    "collections.len_set" => "fm len(set: set)", "size";
    "collections.len_dict" => "fm len(dict: dict)", "size";
    "collections.len_seq" => "fm len(sequence: seq)", "size";
    "collections.is_list" => "f isList(arg: any)", "type test";
    "collections.is_dict" => "f isDict(arg: any)", "type test";
    "collections.is_set" => "f isSet(arg: any)", "type test";
    "collections.delete_at" => "m delete(collection: iter, position: int, count: int = 1)", "drop items";
    "collections.replace_at" => "m replace(collection: iter, position: int, value: any, count: int = 1)", "replace a range by a value";
    "collections.replace_many" => "m replaceMany(collection: iter, position: int, values: iter, count: int = 1)", "replace a range by values";
    "collections.insert_seq" => "m insert(collection: seq, position: int, value: any)", "list.insert";
    "collections.insert_iter" => "m insert(collection: iter, position: int, value: any)", "lazy insert";
    "collections.insert_many" => "m insertMany(collection: iter, position: int, values: iter)", "lazy insert of values";
    "collections.set" => "f set(*args: any)", "set of args";
    "collections.to_set" => "m toSet(collection: iter)", "set of items";
    "collections.union" => "m union(left: set, right: set)", "set union";
    "collections.intersect" => "m intersect(left: set, right: set)", "set intersection";
    "collections.difference" => "m difference(left: set, right: set)", "set difference";
    "collections.symmetric_difference" => "m symmetricDifference(left: set, right: set)", "symmetric difference";
    "collections.set_add" => "m add(set: set, *values: any)", "copy with values";
    "collections.set_remove" => "m remove(set: set, *values: any)", "copy without values";
    // queries
    "queries.where" => "m where(collection: iter, predicate: lam)", "filter";
    "queries.filter" => "m filter(collection: iter, predicate: lam)", "filter";
    "queries.select" => "m select(collection: iter, selector: lam)", "projection";
    "queries.map" => "m map(collection: iter, selector: lam)", "projection";
    "queries.skip" => "m skip(collection: iter, count: int)", "skip items";
    "queries.limit" => "m limit(collection: iter, count: int)", "first items";
    "queries.take" => "m take(collection: iter, count: int)", "first items";
    "queries.append" => "fm append(collection: iter, *args: any)", "items then args";
    "queries.distinct" => "fm distinct(collection: iter, keySelector: lam = _)", "unique items";
    "queries.enumerate" => "fm enumerate(collection: iter, start: int? = 0)", "[index, item] pairs";
    "queries.any" => "fm any(collection: iter, predicate: lam = _)", "some item holds";
    "queries.all" => "fm all(collection: iter, predicate: lam = _)", "every item holds";
    "queries.concat" => "fm concat(*collections: iter)", "chain";
    "queries.len" => "fm len(collection: iterator)", "count by consuming";
    "queries.count" => "m count(collection: iter)", "number of items";
    "queries.memorize" => "m memorize(collection: iter)", "replayable view";
    "queries.sum" => "m sum(collection: iter, initial: any = _)", "fold with +";
    "queries.max" => "m max(collection: iter, initial: any = _)", "largest item";
    "queries.min" => "m min(collection: iter, initial: any = _)", "smallest item";
    "queries.first" => "m first(collection: iter, default: any = _)", "first item";
    "queries.last" => "m last(collection: iter, default: any = _)", "last item";
    "queries.single" => "m single(collection: iter)", "the only item";
    "queries.select_many" => "m selectMany(collection: iter, selector: lam)", "flat-map";
    "queries.range" => "f range(stop: int)", "range(stop)";
    "queries.range3" => "f range(start: int, stop: int, step: int = 1)", "range(start, stop, step)";
    "queries.sequence" => "f sequence(start: int = 0, step: int = 1)", "infinite counter";
    "queries.order_by" => "m orderBy(collection: iter, selector: lam)", "stable ascending sort";
    "queries.order_by_descending" => "m orderByDescending(collection: iter, selector: lam)", "stable descending sort";
    "queries.then_by" => "m thenBy(collection: ordered, selector: lam)", "secondary ascending key";
    "queries.then_by_descending" => "m thenByDescending(collection: ordered, selector: lam)", "secondary descending key";
    "queries.group_by" => "m groupBy(collection: iter, keySelector: lam, valueSelector: lam = _, aggregator: lam = _)", "[key, values] groups";
    "queries.zip" => "m zip(*collections: iter)", "parallel tuples";
    "queries.zip_longest" => "m zipLongest(*collections: iter, **kwargs: any)", "parallel tuples padded with default";
    "queries.join" => "m join(collection1: iter, collection2: iter, predicate: lam, selector: lam)", "nested-loop join";
    "queries.repeat" => "m repeat(value: any, times: int = -1)", "value repeated";
    "queries.cycle" => "m cycle(collection: iter)", "infinite repetition";
    "queries.take_while" => "m takeWhile(collection: iter, predicate: lam)", "prefix while predicate";
    "queries.skip_while" => "m skipWhile(collection: iter, predicate: lam)", "rest after prefix";
    "queries.index_of" => "m indexOf(collection: iter, item: any)", "position or -1";
    "queries.last_index_of" => "m lastIndexOf(collection: iter, item: any)", "last position or -1";
    "queries.index_where" => "m indexWhere(collection: iter, predicate: lam)", "position or -1";
    "queries.last_index_where" => "m lastIndexWhere(collection: iter, predicate: lam)", "last position or -1";
    "queries.slice" => "m slice(collection: iter, length: int)", "chunks";
    "queries.split_where" => "m splitWhere(collection: iter, predicate: lam)", "split at separators";
    "queries.slice_where" => "m sliceWhere(collection: iter, predicate: lam)", "split where predicate changes";
    "queries.split_at" => "m splitAt(collection: iter, index: int)", "[head, tail]";
    "queries.aggregate" => "m aggregate(collection: iter, selector: lam, seed: any = _)", "left fold";
    "queries.reduce" => "m reduce(collection: iter, selector: lam, seed: any = _)", "left fold";
    "queries.accumulate" => "m accumulate(collection: iter, selector: lam, seed: any = _)", "running folds";
    "queries.reverse" => "m reverse(collection: iter)", "reversed list";
    "queries.merge_with" => "m mergeWith(dict: dict, another: dict, listMerger: lam = _, itemMerger: lam = _, maxLevels: int = 0)", "deep merge";
    "queries.is_iterable" => "f isIterable(value: any)", "iterable and not str/dict";
    "queries.generate" => "f generate(initial: any, predicate: lam, producer: lam, selector: lam = _, decycle: bool = false)", "unfold";
    "queries.generate_many" => "f generateMany(initial: any, producer: lam, selector: lam = _, decycle: bool = false, depthFirst: bool = false)", "graph traversal";
    "queries.default_if_empty" => "m defaultIfEmpty(collection: iter, default: iter)", "default when empty";
    // regex
    "regex.regex" => "f regex(pattern: str, ignoreCase: bool? = false, multiLine: bool? = false, dotAll: bool? = false)", "compiled pattern";
    "regex.matches" => "m matches(regexp: regex, string: str)", "re.search succeeds";
    "regex.matches_str" => "m matches(string: str, regexp: str)", "re.search succeeds";
    "regex.match_op" => "f #operator_=~(string: str, pattern: str)", "search";
    "regex.match_op_re" => "f #operator_=~(string: str, regexp: regex)", "search";
    "regex.not_match_op" => "f #operator_!~(string: str, pattern: str)", "negated search";
    "regex.not_match_op_re" => "f #operator_!~(string: str, regexp: regex)", "negated search";
    "regex.search" => "m search(regexp: regex, string: str, selector: lam = _)", "first match";
    "regex.search_all" => "m searchAll(regexp: regex, string: str, selector: lam = _)", "all matches";
    "regex.split" => "m split(regexp: regex, string: str, maxSplit: int = 0)", "re.split";
    "regex.split_str" => "m split(string: str, regexp: regex, maxSplit: int = 0)", "re.split";
    "regex.replace" => "m replace(regexp: regex, string: str, repl: str, count: int = 0)", "re.sub";
    "regex.replace_str" => "m replace(string: str, regexp: regex, repl: str, count: int = 0)", "re.sub";
    "regex.replace_by" => "m replaceBy(regexp: regex, string: str, repl: lam, count: int = 0)", "re.sub with a function";
    "regex.replace_by_str" => "m replaceBy(string: str, regexp: regex, repl: lam, count: int = 0)", "re.sub with a function";
    "regex.escape" => "f escapeRegex(string: str)", "re.escape";
    "regex.is_regex" => "f isRegex(value: any)", "type test";
    // date_time
    "date_time.datetime_fields" => "f datetime(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, microsecond: int = 0, offset: ts = _)", "build a datetime";
    "date_time.datetime_parse" => "f datetime(string: str, format: str? = null)", "parse a datetime";
    "date_time.datetime_timestamp" => "f datetime(timestamp: num, offset: ts = _)", "from Unix time";
    "date_time.timespan" => "f timespan(days: int = 0, hours: int = 0, minutes: int = 0, seconds: integer = 0, milliseconds: integer = 0, microseconds: integer = 0)", "build a timespan";
    "date_time.now" => "f now(offset: ts? = _)", "current time";
    "date_time.localtz" => "f localtz()", "local zone offset";
    "date_time.utctz" => "f utctz()", "UTC offset (zero)";
    "date_time.format" => "m format(dt: dt, format: str)", "strftime";
    "date_time.replace" => "m replace(dt: dt, year: int? = _, month: int? = _, day: int? = _, hour: int? = _, minute: int? = _, second: int? = _, microsecond: int? = _, offset: ts? = _)", "copy with fields replaced";
    "date_time.is_datetime" => "f isDatetime(value: any)", "type test";
    "date_time.is_timespan" => "f isTimespan(value: any)", "type test";
    "date_time.property" => "f #property(obj: any, name: str)", "datetime/timespan properties (.year, .days...)";
    // Mistral
    "mistral.env" => "f env()", "the __env of the data context";
    "mistral.execution" => "f execution()", "the current workflow execution";
    "mistral.executions" => "f executions(id: str? = null, rootExecutionId: str? = null, state: str? = null, fromTime: any = null, toTime: any = null)", "workflow executions matching filters";
    "mistral.task" => "f task(taskName: str? = null)", "a task execution";
    "mistral.tasks" => "f tasks(workflowExecutionId: str? = null, recursive: bool = false, state: str? = null, flat: bool = false)", "task executions";
    "mistral.global" => "f global(varName: str)", "a variable of the workflow execution";
    "mistral.json_parse" => "f json_parse(data: str)", "json.loads";
    "mistral.json_dump" => "f json_dump(data: any)", "JSON text, indent 4";
    "mistral.yaml_parse" => "f yaml_parse(data: str)", "YAML 1.1 load";
    "mistral.yaml_dump" => "f yaml_dump(data: any)", "PyYAML safe_dump";
    "mistral.uuid" => "f uuid()", "random UUID4";
}
