"""Small, safe expressions for derived indicators and universes.

Grammar (a subset of Python expressions): names of items or indicators, numbers,
strings, ``+ - * /``, comparisons (``== != < <= > >=``, ``in (...)``, ``not in``),
``and``, ``or``, ``not`` and parentheses. No calls, attributes or subscripts.

Missing values follow SQL / Kleene logic: arithmetic and comparisons with a
missing operand are missing; ``False and missing`` is false, ``True or missing``
is true; division by zero is missing. Truth values are returned as 1.0 / 0.0.

>>> import pandas as pd
>>> data = {"a": pd.Series([1.0, 5.0, None]), "b": pd.Series([2.0, 0.0, 1.0])}
>>> evaluate("a / b", data).tolist()
[0.5, nan, nan]
>>> evaluate("a >= 4 or b == 1", data).tolist()
[0.0, 1.0, 1.0]
>>> sorted(names("x in (1, 2) and not y"))
['x', 'y']
>>> zero_divisions("a / b", data).tolist()
[False, True, False]
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Mapping

import pandas as pd

from ci_eval.errors import ModelError

_ARITHMETIC = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul}
_COMPARE = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}


MAX_LENGTH = 2000
"""The longest expression a model may hold (characters): evaluation recurses on the tree."""


MAX_DEPTH = 100
"""The deepest nesting of an expression's tree (evaluation recurses on it)."""


def _depth(tree: ast.AST) -> int:
    """The depth of a tree, counted without recursion."""
    deepest, stack = 0, [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return deepest


def parse(expression: str) -> ast.Expression:
    """Parse and check an expression; ``ModelError`` names the part that is not allowed.

    >>> parse("a + 1").body.__class__.__name__
    'BinOp'
    """
    if len(expression) > MAX_LENGTH:
        raise ModelError(
            f"expression {expression[:60]!r}... is {len(expression):,} characters long (at most "
            f"{MAX_LENGTH:,}); score long sums with a scale's items and method instead"
        )
    try:
        tree = ast.parse(expression, mode="eval")
    except (SyntaxError, RecursionError, MemoryError) as exc:
        why = exc.msg if isinstance(exc, SyntaxError) else "nested too deeply"
        raise ModelError(f"expression {expression[:80]!r} is not valid: {why}") from None
    if _depth(tree) > MAX_DEPTH:
        raise ModelError(
            f"expression {expression[:80]!r} is nested more than {MAX_DEPTH} levels deep; "
            "split it into indicators"
        )
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED):
            raise ModelError(
                f"expression {expression!r} uses {type(node).__name__}, which is not allowed; "
                "use names, numbers, + - * /, comparisons, in (...), and/or/not"
            )
        if isinstance(node, ast.Constant) and not isinstance(node.value, int | float | str):
            raise ModelError(f"expression {expression!r} has constant {node.value!r}")
    return tree


def names(expression: str) -> set[str]:
    """The item or indicator names an expression refers to."""
    return {n.id for n in ast.walk(parse(expression)) if isinstance(n, ast.Name)}


def evaluate(expression: str, data: Mapping[str, pd.Series]) -> pd.Series:
    """Evaluate an expression over aligned series; returns a float series (NaN = missing)."""
    tree = parse(expression)
    index = next(iter(data.values())).index if data else pd.RangeIndex(0)
    result = _eval(tree.body, data, index)
    if not isinstance(result, pd.Series):
        result = pd.Series(result, index=index)
    return _as_float(result)


def zero_divisions(expression: str, data: Mapping[str, pd.Series]) -> pd.Series:
    """The rows where a division of the expression meets a zero divisor with a known dividend.

    Such a row's value is missing (see the module docstring); the run counts these rows and
    reports them as a warning, since a zero divisor is usually a modelling mistake rather
    than a non-response.
    """
    tree = parse(expression)
    index = next(iter(data.values())).index if data else pd.RangeIndex(0)
    hit = pd.Series(False, index=index)
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            left = _as_float(pd.Series(_eval(node.left, data, index), index=index))
            right = _as_float(pd.Series(_eval(node.right, data, index), index=index))
            hit |= left.notna() & (right == 0)
    return hit


_ALLOWED = (
    ast.Expression,
    ast.BoolOp,
    ast.And,
    ast.Or,
    ast.UnaryOp,
    ast.Not,
    ast.USub,
    ast.UAdd,
    ast.BinOp,
    ast.Div,
    ast.Compare,
    ast.In,
    ast.NotIn,
    ast.Name,
    ast.Load,
    ast.Constant,
    ast.Tuple,
    ast.List,
    *_ARITHMETIC,
    *_COMPARE,
)


def _as_float(values: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return values.astype("float64")
    return pd.to_numeric(values, errors="coerce").astype("float64")


def _eval(node: ast.AST, data: Mapping[str, pd.Series], index: pd.Index) -> object:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        if node.id not in data:
            raise ModelError(f"expression refers to {node.id!r}, which is not known here")
        return data[node.id]
    if isinstance(node, ast.UnaryOp):
        operand = _eval(node.operand, data, index)
        if isinstance(node.op, ast.Not):
            return 1.0 - _truth(operand, index)
        return (
            -_as_float(pd.Series(operand, index=index))
            if isinstance(node.op, ast.USub)
            else operand
        )
    if isinstance(node, ast.BinOp):
        left = _as_float(pd.Series(_eval(node.left, data, index), index=index))
        right = _as_float(pd.Series(_eval(node.right, data, index), index=index))
        if isinstance(node.op, ast.Div):
            return (left / right.where(right != 0)).astype("float64")
        return _ARITHMETIC[type(node.op)](left, right)
    if isinstance(node, ast.BoolOp):
        return _bool_op(node, data, index)
    if isinstance(node, ast.Compare):
        return _compare(node, data, index)
    raise ModelError(f"cannot evaluate {type(node).__name__} on its own")


def _truth(value: object, index: pd.Index) -> pd.Series:
    series = _as_float(pd.Series(value, index=index))
    return (series != 0).astype("float64").where(series.notna())


def _kleene(values: list[pd.Series], index: pd.Index, *, conjunction: bool) -> pd.Series:
    """Kleene and/or over 0/1/NaN series."""
    frame = pd.concat(values, axis=1, ignore_index=True)
    decisive, other = (0.0, 1.0) if conjunction else (1.0, 0.0)
    out = pd.Series(other, index=index).mask(frame.isna().any(axis=1))
    return out.mask((frame == decisive).any(axis=1), decisive)


def _bool_op(node: ast.BoolOp, data: Mapping[str, pd.Series], index: pd.Index) -> pd.Series:
    values = [_truth(_eval(v, data, index), index) for v in node.values]
    return _kleene(values, index, conjunction=isinstance(node.op, ast.And))


def _compare(node: ast.Compare, data: Mapping[str, pd.Series], index: pd.Index) -> pd.Series:
    left = _eval(node.left, data, index)
    parts = []
    for op, comparator in zip(node.ops, node.comparators, strict=True):
        series = pd.Series(left, index=index)
        if isinstance(op, ast.In | ast.NotIn):
            if not isinstance(comparator, ast.Tuple | ast.List):
                raise ModelError("'in' needs a literal list, e.g. x in (1, 2)")
            options = [_eval(e, data, index) for e in comparator.elts]
            hit = series.isin(options).astype("float64")
            value = (1.0 - hit if isinstance(op, ast.NotIn) else hit).where(series.notna())
            right = left
        else:
            right = _eval(comparator, data, index)
            other = pd.Series(right, index=index)
            raw = _COMPARE[type(op)](series, other).astype("float64")
            value = raw.mask(series.isna() | other.isna())
        parts.append(value)
        left = right
    return _kleene(parts, index, conjunction=True)
