"""What the /sql surface accepts, and what it pushes to each dialect: allow-lists, not deny-lists.

A node or function missing here is refused (read surface) or kept in DuckDB
(pushdown): a new sqlglot or DuckDB feature never becomes reachable by accident.
"""

from __future__ import annotations

from sqlglot import exp


def _classes(*names: str) -> frozenset[type[exp.Expr]]:
    # Names sqlglot may rename between versions are skipped, never guessed.
    return frozenset(getattr(exp, n) for n in names if isinstance(getattr(exp, n, None), type))


QUERY_NODES = _classes(
    "Select", "Union", "Intersect", "Except", "With", "CTE", "Subquery", "From", "Join",
    "Where", "Group", "Having", "Qualify", "Order", "Ordered", "Limit", "Offset", "Fetch",
    "LimitOptions", "Distinct", "Table", "TableAlias", "Alias", "Aliases", "Column",
    "Identifier", "Star",
    "Dot", "Values", "Tuple", "Window", "WindowSpec", "Filter", "WithinGroup", "IgnoreNulls",
    "RespectNulls", "Literal", "Boolean", "Null", "Placeholder", "Paren", "Var", "DataType",
    "DataTypeParam", "Interval", "IntervalSpan", "Exists", "Any", "All", "Bracket", "Slice",
    "JSONPath", "JSONPathKey", "JSONPathRoot", "JSONPathSubscript", "PropertyEQ", "Kwarg",
    "EQ", "NEQ", "GT", "GTE", "LT", "LTE", "NullSafeEQ", "NullSafeNEQ", "And", "Or", "Not",
    "Xor", "In", "Between", "Is", "Like", "ILike", "SimilarTo", "Glob", "Escape", "Add",
    "Sub", "Mul", "Div", "IntDiv", "Mod", "Neg", "DPipe", "BitwiseAnd", "BitwiseOr",
    "BitwiseXor", "BitwiseNot", "BitwiseLeftShift", "BitwiseRightShift", "Case", "If",
    "Cast", "TryCast", "Column", "Struct", "Array", "Lambda", "Unnest",
)  # fmt: skip
"""Clauses and operators a read query may use (functions are listed apart)."""

READ_FUNCTIONS = _classes(
    # aggregates
    "Count", "CountIf", "Sum", "Avg", "Min", "Max", "Stddev", "StddevPop", "StddevSamp",
    "Variance", "VariancePop", "Median", "Mode", "Quantile", "PercentileCont",
    "PercentileDisc", "ApproxDistinct", "ApproxQuantile", "LogicalAnd", "LogicalOr",
    "GroupConcat", "ArrayAgg", "AnyValue", "ArgMax", "ArgMin", "First", "Last", "Corr",
    "CovarPop", "CovarSamp",
    # window
    "RowNumber", "Rank", "DenseRank", "PercentRank", "CumeDist", "Ntile", "Lag", "Lead",
    "FirstValue", "LastValue", "NthValue",
    # numbers
    "Abs", "Ceil", "Floor", "Round", "Sign", "Sqrt", "Cbrt", "Pow", "Exp", "Ln", "Log",
    "Greatest", "Least", "Trunc", "IsNan", "IsInf", "SafeDivide", "Pi", "Sin", "Cos",
    "Tan", "Cot", "Asin", "Acos", "Atan", "Atan2", "Degrees", "Radians", "Rand",
    # null handling and conditionals
    "Coalesce", "Nullif", "Case", "If",
    # text
    "Lower", "Upper", "Length", "Trim", "Substring", "Replace", "Concat", "ConcatWs", "Left",
    "Right", "Pad", "StrPosition", "StartsWith", "EndsWith", "Contains", "RegexpLike",
    "RegexpILike", "RegexpReplace", "RegexpExtract", "SplitPart", "Reverse", "Repeat",
    "Initcap", "Levenshtein", "Chr", "Ascii", "Unicode", "MD5", "SHA", "SHA2", "Hex",
    "Typeof", "Uuid",
    # dates and times
    "DateTrunc", "TimestampTrunc", "Extract", "DateAdd", "DateSub", "DateDiff",
    "TimestampAdd", "TimestampDiff", "CurrentDate", "CurrentTimestamp", "CurrentTime",
    "Year", "Month", "Day", "Quarter", "Week", "DayOfWeek", "DayOfMonth", "DayOfYear",
    "Hour", "Minute", "Second", "TimeToStr", "StrToTime", "StrToDate", "DateFromParts",
    "TimeToUnix", "UnixToTime", "Date", "TsOrDsToDate", "LastDay",
    # conversions, JSON, nested values
    "Cast", "TryCast", "JSONExtract", "JSONExtractScalar", "ArraySize", "ArrayContains",
    "Explode", "Struct", "Array",
)  # fmt: skip
"""Functions sqlglot models by class: pure computations over the rows read."""

READ_ANONYMOUS = frozenset(
    {
        "date_part", "datepart", "now", "today", "hash", "epoch", "epoch_ms", "make_date",
        "make_time", "make_timestamp", "list_value", "list_contains", "array_length",
        "len", "strlen", "ltrim", "rtrim", "lpad", "rpad", "printf", "format", "bit_length",
        "octet_length", "nullif", "ifnull", "isodow", "dayname", "monthname", "yearweek",
        "bool_and", "bool_or", "string_agg", "list", "histogram", "min_by", "max_by",
        "regexp_full_match", "regexp_split_to_array", "string_split", "str_split",
        "array_to_string", "gcd", "lcm", "even", "factorial", "log2", "log10", "ln",
        "to_days", "to_hours", "to_minutes", "to_seconds", "to_years", "to_months",
        "age", "century", "decade", "millennium", "era", "julian", "weekday", "weekofyear",
        "nextafter", "bit_count", "md5_number", "sha256", "translate", "instr", "position",
        "ascii", "jaro_similarity", "jaro_winkler_similarity", "damerau_levenshtein",
        "hamming", "mismatches", "jaccard", "json_extract_string", "json_value",
        "json_array_length", "json_type", "json_keys", "to_json", "json_object",
        "json_array", "struct_pack", "row", "current_date", "current_timestamp",
    }
)  # fmt: skip
"""DuckDB functions sqlglot does not model (parsed as Anonymous), lower case."""

# What may be pushed to a source through the driver route, per target dialect. Kept small on
# purpose: sqlglot emits invalid SQL without raising for some constructs (T-SQL ILIKE and
# INTERVAL, Oracle DATE casts are NLS-dependent, integer division differs per engine).
_FILTER_BASE = _classes(
    "Column", "Identifier", "Literal", "Null", "Placeholder", "Paren", "EQ", "NEQ", "GT",
    "GTE", "LT", "LTE", "And", "Or", "Not", "In", "Between", "Like", "Neg", "Add", "Sub",
    "Mul", "Coalesce", "Lower", "Upper", "Tuple",
)  # fmt: skip
_PUSHABLE_FILTERS: dict[str, frozenset[type[exp.Expr]]] = {
    "postgres": _FILTER_BASE | _classes("Boolean", "Is", "ILike"),
    "mysql": _FILTER_BASE | _classes("Boolean", "Is", "ILike"),
    "tsql": _FILTER_BASE | _classes("Is"),
    "oracle": _FILTER_BASE | _classes("Is", "ILike"),
    "sqlite": _FILTER_BASE | _classes("Is"),
    "duckdb": _FILTER_BASE | _classes("Boolean", "Is", "ILike"),
}
_QUERY_BASE = _classes(
    "Select", "From", "Join", "Where", "Group", "Having", "Order", "Ordered", "Limit",
    "Offset", "Fetch", "LimitOptions", "Distinct", "Table", "TableAlias", "Alias", "Star",
    "Subquery", "With", "CTE", "Union", "Intersect", "Except", "Exists", "Case", "If",
    "Count", "Sum", "Min", "Max", "Window", "WindowSpec", "RowNumber", "Rank", "DenseRank",
)  # fmt: skip
_PUSHABLE_QUERIES: dict[str, frozenset[type[exp.Expr]]] = {
    "postgres": _QUERY_BASE | _PUSHABLE_FILTERS["postgres"] | _classes("Avg"),
    "mysql": _QUERY_BASE | _PUSHABLE_FILTERS["mysql"] | _classes("Avg"),
    "tsql": _QUERY_BASE | _PUSHABLE_FILTERS["tsql"],  # AVG(int) truncates in T-SQL
    "oracle": _QUERY_BASE | _PUSHABLE_FILTERS["oracle"] | _classes("Avg"),
}


def pushable_filter_nodes(dialect: str) -> frozenset[type[exp.Expr]]:
    """Nodes a pushed filter may hold in `dialect` (a sqlglot dialect name)."""
    return _PUSHABLE_FILTERS.get(dialect, frozenset())


def pushable_query_nodes(dialect: str) -> frozenset[type[exp.Expr]]:
    """Nodes a whole pushed-down query may hold; empty: the dialect takes no whole queries."""
    return _PUSHABLE_QUERIES.get(dialect, frozenset())


def function_name(node: exp.Func) -> str:
    """The name a user wrote (or sqlglot's canonical one), lower case."""
    if isinstance(node, exp.Anonymous):
        return str(node.name).lower()
    return type(node).sql_name().lower()


def is_read_function(node: exp.Func) -> bool:
    if isinstance(node, exp.Anonymous):
        return function_name(node) in READ_ANONYMOUS
    return type(node) in READ_FUNCTIONS
