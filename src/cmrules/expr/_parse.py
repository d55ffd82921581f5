"""Parse expression text into a Python ``ast`` tree with exact number literals.

Number tokens are swapped for placeholder names (``_n0`` …) before parsing so
that ``0.05`` keeps its decimal text and ``3%`` means three hundredths;
``%`` is never modulo.  User names cannot start with ``_``, so placeholders
never collide with them.
"""

from __future__ import annotations

import ast
import io
import sys
import tokenize
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

MAX_LENGTH = 2000
MAX_DEPTH = 40
MAX_BRACKETS = 200
_NO_MODULO = "'%' only follows a number (3% is 0.03); there is no modulo"
#: Literals stay far inside the 34 significant digits of the evaluation context.
LITERAL_DIGITS = 15


class ExprSyntaxError(Exception):
    """Expression text that does not parse: a ``code``, a message, and the offset in the text."""

    def __init__(self, code: str, message: str, offset: int):
        super().__init__(message)
        self.code, self.message, self.offset = code, message, offset


@dataclass(frozen=True)
class Literal:
    """A number literal: its exact value and its text."""

    value: Decimal | int
    text: str  # as written, e.g. "3%" or "40000"


@dataclass(frozen=True)
class Parsed:
    """A parsed expression: its tree (numbers as placeholder names), the literals they
    name, and what maps offsets of the rewritten text back to the original."""

    tree: ast.expr
    literals: dict[str, Literal]
    # each replaced token: (rewritten start, rewritten end, original start, original end)
    swaps: tuple[tuple[int, int, int, int], ...]
    lead: int  # blanks stripped before the expression

    def source_offset(self, node: ast.AST) -> int:
        """Offset in the original text of ``node``."""
        return _to_source(getattr(node, "col_offset", 0), self.swaps, self.lead)


def _to_source(at: int, swaps: tuple[tuple[int, int, int, int], ...], lead: int) -> int:
    """Offset in the original text of offset ``at`` of the rewritten text."""
    shift = 0
    for new_start, new_end, old_start, old_end in swaps:
        if new_start > at:
            break
        if at < new_end:
            return old_start + lead
        shift = old_end - new_end
    return at + shift + lead


def parse(text: str) -> Parsed:
    """Parse expression ``text``; ``ExprSyntaxError`` if it is not one or is too complex."""
    if len(text) > MAX_LENGTH:
        raise ExprSyntaxError("expr.too_complex", f"expression longer than {MAX_LENGTH} characters", 0)
    text = text.replace("\r", " ").replace("\n", " ")  # YAML block scalars: one logical line
    lead = len(text) - len(text.lstrip())
    text = text.strip()
    _check_brackets(text, lead)  # in plain words, and the same on every Python version
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError) as exc:
        raise ExprSyntaxError(
            "expr.syntax", f"cannot read the expression: {exc.args[0]}", _token_error_at(exc, lead)
        ) from None
    rewritten, literals, swaps = _rewrite(text, tokens, lead)
    if not rewritten.strip():
        raise ExprSyntaxError("expr.syntax", "empty expression", 0)
    try:
        tree = ast.parse(rewritten, mode="eval").body
    except SyntaxError as exc:
        # offset is 1-based; 0 (or none) means the text ended too early
        at = exc.offset - 1 if exc.offset else len(rewritten)
        raise ExprSyntaxError("expr.syntax", exc.msg, _to_source(at, swaps, lead)) from None
    except (RecursionError, MemoryError, ValueError):
        raise ExprSyntaxError("expr.too_complex", "expression nests too deeply", 0) from None
    parsed = Parsed(tree, literals, swaps, lead)
    _check_depth(parsed)
    return parsed


def _rewrite(
    text: str, tokens: list[tokenize.TokenInfo], lead: int
) -> tuple[str, dict[str, Literal], tuple[tuple[int, int, int, int], ...]]:
    """``text`` with each number token swapped for a placeholder name; the literals by
    name, and the swaps (see :class:`Parsed`)."""
    out: list[str] = []
    literals: dict[str, Literal] = {}
    swaps: list[tuple[int, int, int, int]] = []
    pos = 0  # offset in original text
    written = 0  # length of the rewritten text so far
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.type in (tokenize.ENDMARKER, tokenize.NEWLINE, tokenize.NL):
            i += 1
            continue
        start = tok.start[1]
        end = tok.end[1]
        if tok.type == tokenize.ERRORTOKEN and not tok.string.isspace():
            raise ExprSyntaxError("expr.syntax", f"unexpected character {tok.string!r}", start + lead)
        out.append(text[pos:start])
        written += start - pos
        piece = tok.string
        if tok.type == tokenize.NUMBER:
            nxt = tokens[i + 1] if i + 1 < len(tokens) else None
            percent = nxt is not None and nxt.type == tokenize.OP and nxt.string == "%"
            literal = _number(tok.string, percent, start + lead)
            name = f"_n{len(literals)}"
            literals[name] = literal
            if percent:
                assert nxt is not None  # a '%' follows
                i += 1
                end = nxt.end[1]
                _no_modulo(tokens[i + 1] if i + 1 < len(tokens) else None, nxt.start[1] + lead)
            # blanks around it: '3x' or 'x.5' must not glue into one name (none to start with)
            piece = f" {name} " if written else f"{name} "
            swaps.append((written, written + len(piece), start, end))
        elif tok.type == tokenize.OP and tok.string == "%":
            raise ExprSyntaxError("expr.syntax", _NO_MODULO, start + lead)
        out.append(piece)
        written += len(piece)
        pos = end
        i += 1
    out.append(text[pos:])
    return "".join(out), literals, tuple(swaps)


_CLOSING = {"(": ")", "[": "]", "{": "}"}


def _check_brackets(text: str, lead: int) -> None:
    """Refuse an unclosed bracket or quote, or a closing bracket that closes nothing, at that character.

    The tokenizer says "EOF in multi-line statement" at the end of the text (3.11), or stops at
    different places from one Python version to the next; this says which one, with the caret at it.
    """
    opened: list[int] = []
    i = 0
    while i < len(text):
        ch, at = text[i], i
        problem = None
        if ch in "'\"":
            end = i + 1
            while end < len(text) and text[end] != ch:
                end += 2 if text[end] == "\\" else 1
            if end >= len(text):
                problem = f"unclosed text: the quote {ch} here is never closed"
            i = end
        elif ch == "#":
            break  # the rest is a comment
        elif ch in _CLOSING:
            opened.append(i)
            if len(opened) > MAX_BRACKETS:  # Python's own limit, said the same on every version
                problem = f"more than {MAX_BRACKETS} brackets open at once"
        elif ch in ")]}":
            start = opened.pop() if opened else None
            if start is None:
                problem = f"unmatched '{ch}': no bracket before it is open"
            elif _CLOSING[text[start]] != ch:
                problem = f"'{ch}' does not close the '{text[start]}' opened {i - start} characters before it"
        if problem is not None:
            raise ExprSyntaxError("expr.syntax", problem, at + lead)
        i += 1
    if opened:
        start = opened[-1]
        message = f"unclosed '{text[start]}' (opened here): no '{_CLOSING[text[start]]}' closes it"
        raise ExprSyntaxError("expr.syntax", message, start + lead)


def _token_error_at(exc: Exception, lead: int) -> int:
    """Where tokenizing failed.  From Python 3.12 the C tokenizer stops where the parser would (the
    201st nested bracket) and gives a 1-based column; 3.11's tokenizer fails only at the end (0)."""
    where = exc.args[1] if len(exc.args) > 1 else None
    if sys.version_info >= (3, 12) and isinstance(where, tuple) and where[0] == 1 and where[1] > 0:
        return int(where[1]) - 1 + lead
    return 0


_ENDS_OPERAND = frozenset({"if", "else", "and", "or", "for", "in", "not", "is"})


def _no_modulo(after: tokenize.TokenInfo | None, offset: int) -> None:
    """Refuse ``3%2``, ``3% x`` or ``3%(x)``: a '%' then an operand is a modulo, which there is not."""
    if after is None:
        return
    operand = after.type in (tokenize.NUMBER, tokenize.STRING) or (
        after.type == tokenize.OP and after.string == "("
    )
    if after.type == tokenize.NAME and after.string not in _ENDS_OPERAND:
        operand = True
    if operand:
        raise ExprSyntaxError("expr.syntax", _NO_MODULO, offset)


def _number(text: str, percent: bool, offset: int) -> Literal:
    clean = text.replace("_", "")
    if clean[-1:] in "jJ" or clean[:2].lower() in ("0x", "0o", "0b"):
        raise ExprSyntaxError("expr.syntax", f"{text!r} is not a decimal number", offset)
    try:
        value = Decimal(clean)
    except InvalidOperation:
        raise ExprSyntaxError("expr.syntax", f"{text!r} is not a decimal number", offset) from None
    if not in_range(value):
        raise ExprSyntaxError("expr.syntax", out_of_range(repr(text)), offset)
    if percent:
        return Literal(value.scaleb(-2), text + "%")
    if "." in clean or "e" in clean.lower():
        return Literal(value, text)
    return Literal(int(clean), text)


def out_of_range(shown: str) -> str:
    """The message for a number outside the bounds of :func:`in_range`."""
    return (
        f"{shown} is out of range: a number has at most {LITERAL_DIGITS} digits before "
        f"and {LITERAL_DIGITS} after the decimal point"
    )


def in_range(value: Decimal) -> bool:
    """Whether finite ``value`` has at most LITERAL_DIGITS digits before and after the point."""
    exponent = int(value.as_tuple().exponent)
    top = value.adjusted() if value else exponent
    return top < LITERAL_DIGITS and exponent >= -LITERAL_DIGITS


def _check_depth(parsed: Parsed) -> None:
    stack: list[tuple[ast.AST, int]] = [(parsed.tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ExprSyntaxError(
                "expr.too_complex",
                f"expression nests deeper than {MAX_DEPTH} levels",
                parsed.source_offset(node),
            )
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
