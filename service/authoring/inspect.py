"""Read a template's Jinja syntax tree: which variables and filters it uses, and which of
them do not exist in the kind's context or try to reach Python internals.

This runs at upload, before the template is ever filled, so staff see every mistake at once
(`debtor.nme` → « vouliez-vous dire debtor.name ? ») instead of the first one at issue time.
The sandbox still guards rendering; refusing `''.__class__` here only makes the refusal
early and readable.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field

from jinja2 import nodes

from service.authoring.variables import ITEM, KindContext

# Names Jinja defines itself inside loops, macros and blocks.
IMPLICIT_LOCALS = frozenset({"loop", "caller", "varargs", "kwargs", "self", "super"})
# Filters that keep a list a list of the same items, so `for x in invoices|sort(...)` still
# knows what `x` is.
LIST_PRESERVING_FILTERS = frozenset({"sort", "reverse", "list", "selectattr", "rejectattr",
                                     "unique"})
STRUCTURED = frozenset({"object", "list"})


@dataclass(frozen=True)
class Problem:
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where} : {self.message}" if self.where else self.message


@dataclass
class Inspection:
    used: set[str] = field(default_factory=set)
    problems: list[Problem] = field(default_factory=list)


def _suggest(word: str, candidates: list[str]) -> str:
    close = difflib.get_close_matches(word, candidates, n=1, cutoff=0.6)
    return f" — vouliez-vous dire « {close[0]} » ?" if close else ""


def _local_names(tree: nodes.Template) -> set[str]:
    """Names the template defines itself: set, macro arguments, imports, with."""
    names = set(IMPLICIT_LOCALS)
    for node in tree.find_all((nodes.Assign, nodes.AssignBlock, nodes.With)):
        targets = node.targets if isinstance(node, nodes.With) else [node.target]
        for target in targets:
            names.update(n.name for n in target.find_all(nodes.Name))
            if isinstance(target, nodes.Name):
                names.add(target.name)
    for macro in tree.find_all((nodes.Macro, nodes.CallBlock)):
        names.update(arg.name for arg in macro.args)
        if isinstance(macro, nodes.Macro):
            names.add(macro.name)
    for imported in tree.find_all(nodes.FromImport):
        names.update(n if isinstance(n, str) else n[1] for n in imported.names)
    for imported in tree.find_all(nodes.Import):
        names.add(imported.target)
    return names


class Inspector:
    """Check one parsed template against the documented context of its kind."""

    def __init__(self, context: KindContext, filters: set[str], global_names: set[str],
                 where: Callable[[int], str]) -> None:
        self.context = context
        self.filters = filters
        self.global_names = global_names
        self.where = where
        self.result = Inspection()
        self._loop_items: dict[str, str] = {}
        self._locals: set[str] = set()
        self._reported: set[tuple[str, str]] = set()

    def run(self, tree: nodes.Template) -> Inspection:
        self._locals = _local_names(tree)
        for loop in tree.find_all(nodes.For):
            self._bind_loop(loop)
        self._visit(tree)
        return self.result

    def _problem(self, lineno: int, message: str) -> None:
        where = self.where(lineno)
        if (where, message) not in self._reported:
            self._reported.add((where, message))
            self.result.problems.append(Problem(where, message))

    def _bind_loop(self, loop: nodes.For) -> None:
        if not isinstance(loop.target, nodes.Name):
            self._locals.update(n.name for n in loop.target.find_all(nodes.Name))
            return
        source = loop.iter
        while isinstance(source, nodes.Filter) and source.name in LIST_PRESERVING_FILTERS:
            source = source.node
        path = self._static_path(source)
        variable = self.context.get(path) if path else None
        if variable is not None and variable.type == "list":
            self._loop_items[loop.target.name] = path + ITEM
        else:
            self._locals.add(loop.target.name)

    def _static_path(self, node: nodes.Node) -> str | None:
        """`debtor.address.city` for the chain Getattr(Getattr(Name)), else None."""
        if isinstance(node, nodes.Name):
            return self._loop_items.get(node.name, node.name)
        if isinstance(node, nodes.Getattr):
            base = self._static_path(node.node)
            return None if base is None else f"{base}.{node.attr}"
        if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
            base = self._static_path(node.node)
            if base is None:
                return None
            if isinstance(node.arg.value, int):
                return base + ITEM
            return f"{base}.{node.arg.value}"
        return None

    def _visit(self, node: nodes.Node) -> None:
        if isinstance(node, nodes.Getattr | nodes.Getitem | nodes.Name):
            self._chain(node)
            return
        if isinstance(node, nodes.Filter):
            self._filter(node)
        for child in node.iter_child_nodes():
            self._visit(child)

    def _filter(self, node: nodes.Filter) -> None:
        if node.name not in self.filters:
            self._problem(node.lineno, f"filtre inconnu « {node.name} »"
                          + _suggest(node.name, sorted(self.filters)))
        if node.name == "attr":
            argument = node.args[0] if node.args else None
            if not (isinstance(argument, nodes.Const) and isinstance(argument.value, str)):
                self._problem(node.lineno, "le filtre « attr » n’accepte qu’un nom écrit en "
                              "toutes lettres")
            elif argument.value.startswith("_"):
                self._forbidden(node.lineno, argument.value)

    def _forbidden(self, lineno: int, name: str) -> None:
        self._problem(lineno, f"accès interdit à « {name} » : les noms qui commencent par _ "
                      "sont internes à Python et refusés dans les modèles")

    def _chain(self, node: nodes.Node) -> None:
        """A Name with its attribute/item accesses, checked from the root outwards."""
        steps: list[nodes.Node] = []
        while isinstance(node, nodes.Getattr | nodes.Getitem):
            steps.append(node)
            node = node.node
        steps.reverse()
        for step in steps:
            if isinstance(step, nodes.Getitem) and not isinstance(step.arg, nodes.Const):
                self._visit(step.arg)
            key = (step.attr if isinstance(step, nodes.Getattr)
                   else getattr(step.arg, "value", None))
            if isinstance(key, str) and key.startswith("_"):
                self._forbidden(step.lineno, key)
                return
        if isinstance(node, nodes.Name):
            if node.ctx == "load":
                self._check_path(node, steps)
        else:
            self._visit(node)

    def _check_path(self, root: nodes.Name, steps: list[nodes.Node]) -> None:
        name = root.name
        if name in self._locals and name not in self._loop_items:
            return
        if name in self.global_names and name not in self.context.roots:
            return
        path = self._loop_items.get(name, name)
        if self.context.get(path) is None:
            self._problem(root.lineno, f"variable inconnue « {name} »"
                          + _suggest(name, sorted(self.context.roots)))
            return
        for step in steps:
            variable = self.context.get(path)
            if variable is None or variable.type not in STRUCTURED:
                break  # a text, date or amount: its own methods are the sandbox's business
            if isinstance(step, nodes.Getitem) and not isinstance(step.arg, nodes.Const):
                # `invoices[i]` is an invoice whatever i is; `debtor[x]` cannot be checked.
                if variable.type == "list":
                    path += ITEM
                    continue
                self._problem(step.lineno, f"« {self._display(path, root.name)}[…] » : le nom "
                              "du champ doit être écrit en toutes lettres (par exemple "
                              f"{self._display(path, root.name)}.nom), pas calculé")
                return
            key = step.attr if isinstance(step, nodes.Getattr) else step.arg.value  # type: ignore[attr-defined]
            if variable.type == "list":
                if isinstance(key, int):
                    path += ITEM
                    continue
                break
            candidate = f"{path}.{key}"
            if self.context.get(candidate) is None:
                children = [p for p in self.context.variables
                            if p.startswith(path + ".") and "." not in p[len(path) + 1:]]
                shown = self._display(candidate, root.name)
                self._problem(step.lineno, f"variable inconnue « {shown} »" + _suggest(
                    shown, [self._display(c, root.name) for c in children]))
                return
            path = candidate
        self.result.used.add(path)

    def _display(self, path: str, root_name: str) -> str:
        """Write a loop item's path as the author did (`inv.nmber`, not `invoices[].nmber`)."""
        item = self._loop_items.get(root_name)
        if item and path.startswith(item):
            return root_name + path[len(item):]
        return path

