"""Bounds on what one template render may cost: size of every value, of the output, and time.

Templates are written by legal staff and uploaded; a mistake (or a hostile upload) must fail
one render with a clear message, not hold a worker or eat the machine's memory. Jinja's own
sandbox stops attribute tricks but not `"x" * 10**9`, `range(10**5)` nested three deep,
`"%999999999s"|format(1)` or a namespace that doubles a string thirty times.

The sandbox below:
- caps `range()` (MAX_RANGE items) and every string/list a template computes (MAX_VALUE):
  `*`, `+`, `%`, `**` are checked *before* they run, as are the string methods and filters
  whose result can be far larger than their input (center, ljust, zfill, replace, format,
  indent, wordwrap…); everything else is checked after;
- weighs values through nested lists (`[a] * 10000` of a 1 MB `a` weighs 10 G), checks `~`
  before joining (its own code generator) and every value before it is printed;
- caps the rendered text (MAX_OUTPUT characters);
- checks a deadline at every call, attribute access, range step and output chunk.

`time_limit()` is the backstop for work with none of those hooks (a loop over a plain list,
WeasyPrint laying out pages): past the deadline it raises RenderTimeout in the rendering
thread, between two Python bytecodes. It is a BaseException so that no `except Exception`
inside a library swallows it. Memory for HTML stays bounded by the output cap (WeasyPrint
sees at most MAX_OUTPUT characters); LibreOffice gets an address-space limit in its jail.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import math
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sized
from typing import Any

from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame, optimizeconst
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import Namespace

MAX_RANGE = 10_000  # a letter lists a few hundred invoices at most
MAX_VALUE = 1_000_000  # characters of one string, items of one list
MAX_OUTPUT = 5_000_000  # characters of a filled template (a 300-page document)
RENDER_SECONDS = 20.0  # one render, Jinja and WeasyPrint; a letter takes well under 1 s
MAX_EXPONENT_BITS = 4096
FORMAT_WIDTH = re.compile(r"%[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")
BRACE_WIDTH = re.compile(r"\{[^{}]*?:[^{}]*?(\d+)")
# Filters whose result may be far larger than their input, and the argument that sizes it.
SIZING_FILTERS = {"center": "width", "indent": "width", "wordwrap": "width",
                  "truncate": "length", "batch": "linecount", "slice": "slices"}
SIZING_METHODS = frozenset({"center", "ljust", "rjust", "zfill", "expandtabs"})


class LimitExceeded(Exception):
    """A render went past one of the bounds (the message names which)."""


class RenderTimeout(BaseException):
    """Raised asynchronously in a render that outlived its time limit."""


_state = threading.local()


def _deadline() -> float | None:
    return getattr(_state, "deadline", None)


def tick() -> None:
    deadline = _deadline()
    if deadline is not None and time.monotonic() > deadline:
        raise LimitExceeded(f"the template took more than {_state.seconds:g} s to fill")


def _size(value: Any) -> int:
    return len(value) if isinstance(value, str | bytes | list | tuple | dict) else 0


def weight(value: Any, limit: int = MAX_VALUE) -> int:
    """Characters and items of `value`, counted through nested lists and dicts (a list of one
    1 MB string weighs 1 M, not 1), stopping as soon as `limit` is passed."""
    total, pending = 0, [value]
    while pending and total <= limit:
        item = pending.pop()
        if isinstance(item, str | bytes):
            total += len(item)
        elif isinstance(item, list | tuple | set | frozenset):
            total += len(item)
            pending.extend(item)
        elif isinstance(item, dict):
            total += len(item)
            pending.extend(item.keys())
            pending.extend(item.values())
    return total


def check_size(value: Any, what: str = "a value") -> Any:
    if _size(value) and weight(value) > MAX_VALUE:
        raise LimitExceeded(f"{what} would exceed {MAX_VALUE:,} characters or items")
    return value


def bounded_join(join: Callable[[Any], str], values: tuple[Any, ...]) -> str:
    """`a ~ b ~ c`, refused before joining if the result would be too long."""
    tick()
    if sum(weight(v) for v in values) > MAX_VALUE:
        raise LimitExceeded(f"a value would exceed {MAX_VALUE:,} characters")
    return join(values)


class BoundedCodeGenerator(CodeGenerator):
    """Jinja's code generator, with `~` (Concat) going through `bounded_join`: a chain of
    `{% set a = a ~ a %}` would otherwise double a string with no sandbox hook."""

    @optimizeconst
    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:  # noqa: N802 (Jinja)
        if frame.eval_ctx.volatile:
            join = "(markup_join if context.eval_ctx.volatile else str_join)"
        elif frame.eval_ctx.autoescape:
            join = "markup_join"
        else:
            join = "str_join"
        self.write(f"environment.bounded_join({join}, (")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


def _check_format(spec: str) -> None:
    widths = [int(n) for m in FORMAT_WIDTH.finditer(spec) for n in m.groups()
              if n and n != "*"] + [int(n) for n in BRACE_WIDTH.findall(spec)]
    if "*" in "".join(m.group(0) for m in FORMAT_WIDTH.finditer(spec)) or any(
            w > MAX_RANGE for w in widths):
        raise LimitExceeded(f"a format width above {MAX_RANGE:,} is not allowed")


@contextlib.contextmanager
def deadline(seconds: float = RENDER_SECONDS) -> Iterator[None]:
    """The sandbox's own deadline (checked at its hooks) for the enclosed render."""
    outer = _deadline(), getattr(_state, "seconds", None)
    _state.deadline, _state.seconds = time.monotonic() + seconds, seconds
    try:
        yield
    finally:
        _state.deadline, _state.seconds = outer


def _async_raise(thread_id: int, exc: type[BaseException] | None) -> None:
    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(thread_id), ctypes.py_object(exc) if exc is not None else None)


@contextlib.contextmanager
def time_limit(seconds: float = RENDER_SECONDS) -> Iterator[None]:
    """Run the block with `deadline()`, and raise RenderTimeout in it if it still runs
    `seconds` later (plus a second for the sandbox's own check to go first)."""
    target = threading.get_ident()
    finished = threading.Event()
    lock = threading.Lock()
    state = {"active": True, "fired": False}

    def watchdog() -> None:
        if finished.wait(seconds + 1.0):
            return
        with lock:
            if state["active"]:
                state["fired"] = True
                _async_raise(target, RenderTimeout)

    watcher = threading.Thread(target=watchdog, name="render-watchdog", daemon=True)
    watcher.start()
    try:
        with deadline(seconds):
            yield
    finally:
        with lock:
            state["active"] = False
        finished.set()
        if state["fired"]:
            _async_raise(target, None)  # not delivered yet: never let it land elsewhere


class BoundedNamespace(Namespace):
    """`namespace()` whose attributes obey the same size cap (no doubling in a loop)."""

    def __setitem__(self, name: str, value: Any) -> None:
        tick()
        super().__setitem__(name, check_size(value, f"namespace attribute {name!r}"))


class BoundedRange:
    """`range()` with at most MAX_RANGE items, checking the deadline at each step."""

    def __init__(self, *args: int) -> None:
        self._range = range(*args)
        if len(self._range) > MAX_RANGE:
            raise LimitExceeded(f"range() is limited to {MAX_RANGE:,} items")

    def __iter__(self) -> Iterator[int]:
        for value in self._range:
            tick()
            yield value

    def __len__(self) -> int:
        return len(self._range)

    def __getitem__(self, index: Any) -> Any:
        return self._range[index]

    def __contains__(self, value: object) -> bool:
        return value in self._range

    def __repr__(self) -> str:
        return repr(self._range)


def _bounded_filter(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    sizing = SIZING_FILTERS.get(name)

    # pass_context / pass_environment filters get that object first: skip it.
    skip = 1 if hasattr(function, "jinja_pass_arg") else 0

    @functools.wraps(function)  # keeps jinja_pass_arg, so Jinja passes the same arguments
    def bounded(*args: Any, **kwargs: Any) -> Any:
        tick()
        values = args[skip:]
        for value in (*values, *kwargs.values()):
            check_size(value, f"the input of |{name}")
        numbers = [v for v in values[1:] if isinstance(v, int)]
        if sizing and isinstance(kwargs.get(sizing), int):
            numbers.append(kwargs[sizing])
        if sizing and any(abs(n) > MAX_RANGE for n in numbers):
            raise LimitExceeded(f"|{name} accepts sizes up to {MAX_RANGE:,}")
        if name == "format" and values and isinstance(values[0], str):
            _check_format(values[0])
        if name == "replace" and len(values) >= 3 and isinstance(values[0], str):
            _check_replace(values[0], values[1], values[2])
        return check_size(function(*args, **kwargs), f"the result of |{name}")

    return bounded


def _check_replace(text: str, old: Any, new: Any) -> None:
    if isinstance(old, str) and isinstance(new, str):
        count = len(text) + 1 if old == "" else text.count(old)
        if len(text) + count * (len(new) - len(old)) > MAX_VALUE:
            raise LimitExceeded(f"replace() would exceed {MAX_VALUE:,} characters")


class BoundedSandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox with the bounds above."""

    intercepted_binops = frozenset({"*", "**", "%", "+"})
    code_generator_class = BoundedCodeGenerator
    bounded_join = staticmethod(bounded_join)
    # Template.render joins the output with `environment.concat`: capped here, for HTML
    # and for each part docxtpl fills alike.
    concat = staticmethod(lambda chunks: bounded_output(iter(chunks)))

    def __init__(self, **options: Any) -> None:
        own = options.pop("finalize", None)
        # Every printed value is weighed before it is turned into text: `{{ [a, a, …] }}`.
        options["finalize"] = ((lambda value: check_size(own(value), "a printed value"))
                               if own is not None else
                               (lambda value: check_size(value, "a printed value")))
        super().__init__(**options)
        self.globals["range"] = BoundedRange
        self.globals["namespace"] = BoundedNamespace
        del self.globals["lipsum"]  # lipsum(n=10**6) is a memory bomb with no use in a letter
        self.filters = _BoundedFilters(self.filters)

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        tick()
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, Sized) and not isinstance(seq, Mapping) and isinstance(
                        times, int) and weight(seq) * max(times, 0) > MAX_VALUE:
                    raise LimitExceeded(f"repetition is limited to {MAX_VALUE:,} characters "
                                        "or items")
        elif operator == "**":
            if isinstance(left, int) and isinstance(right, int) and abs(left) > 1 and (
                    right * math.log2(abs(left)) > MAX_EXPONENT_BITS):
                raise LimitExceeded("this power is too large to compute")
        elif operator == "%" and isinstance(left, str):
            _check_format(left)
        elif operator == "+" and weight(left) + weight(right) > MAX_VALUE:
            raise LimitExceeded(f"a value would exceed {MAX_VALUE:,} characters or items")
        return check_size(super().call_binop(context, operator, left, right))

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        tick()
        for value in (*args, *kwargs.values()):
            check_size(value, "an argument")
        method = getattr(__obj, "__name__", "")
        owner = getattr(__obj, "__self__", None)
        if isinstance(owner, str):
            if method in SIZING_METHODS and any(
                    isinstance(v, int) and v > MAX_RANGE for v in (*args, *kwargs.values())):
                raise LimitExceeded(f"{method}() accepts sizes up to {MAX_RANGE:,}")
            if method in ("format", "format_map"):
                _check_format(owner)
            if method == "replace" and len(args) >= 2:
                _check_replace(owner, args[0], args[1])
        return check_size(super().call(__context, __obj, *args, **kwargs), "a result")

    def getattr(self, obj: Any, attribute: str) -> Any:
        tick()
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        tick()
        return super().getitem(obj, argument)


class _BoundedFilters(dict):  # type: ignore[type-arg]
    """The filter table, each filter wrapped as it is added (FILTERS are added later)."""

    def __init__(self, filters: Mapping[str, Callable[..., Any]]) -> None:
        super().__init__()
        for name, function in filters.items():
            self[name] = function

    def __setitem__(self, name: str, function: Callable[..., Any]) -> None:
        super().__setitem__(name, _bounded_filter(name, function))

    def update(self, *others: Any, **more: Any) -> None:  # type: ignore[override]
        for other in (*others, more):
            for name, function in dict(other).items():
                self[name] = function


def bounded_output(chunks: Iterator[str]) -> str:
    """Join a template's output stream, stopping at MAX_OUTPUT characters."""
    parts: list[str] = []
    total = 0
    for chunk in chunks:
        total += len(chunk)
        if total > MAX_OUTPUT:
            raise LimitExceeded(f"the filled template would exceed {MAX_OUTPUT:,} characters")
        parts.append(chunk)
        tick()
    return "".join(parts)
