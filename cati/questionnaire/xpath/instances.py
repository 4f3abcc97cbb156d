"""Secondary instances: the data an ``instance('id')/…`` path and ``pulldata()`` read.

An instance is a small element tree. A CSV file becomes ``root/item`` elements with one child
per column, as ODK makes it; an XML file keeps its own elements; a choice list of the form is
``root/item`` with ``name``, ``label`` and its other columns, as pyxform writes it into the
XForm. The expressions that use instances are bound to the form's instances when the form
loads (:meth:`cati.questionnaire.xpath.Expression.bind`), so the engine needs to know nothing
about them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class Element:
    """One element: its name, its own text, its attributes and its child elements."""

    __slots__ = ("_index", "attributes", "children", "name", "text")

    def __init__(self, name: str, text: str = "", children: tuple[Element, ...] = (),
                 attributes: Mapping[str, str] | None = None) -> None:
        self.name = name
        self.text = text
        self.children = children
        self.attributes = dict(attributes or {})
        self._index: dict[str, dict[str, list[Element]]] = {}

    def string_value(self) -> str:
        """XPath string(): the text of the element and of all its descendants, in order."""
        if not self.children:
            return self.text
        return self.text + "".join(child.string_value() for child in self.children)

    def child_text(self, name: str) -> str:
        """The string value of the first child called ``name`` (else the attribute; ``@name``:
        the attribute only); ''."""
        if name.startswith("@"):
            return self.attributes.get(name[1:], "")
        for child in self.children:
            if child.name == name:
                return child.string_value()
        return self.attributes.get(name, "")

    def step(self, name: str) -> list[Element]:
        """What a path step ``name`` selects below this element: the children of that name
        (``*``: all), or for ``@name`` the attribute, as an element holding its value."""
        if name.startswith("@"):
            value = self.attributes.get(name[1:])
            return [] if value is None else [Element(name, value)]
        return [child for child in self.children if name in ("*", child.name)]

    def children_where(self, step: str, column: str, value: str) -> list[Element]:
        """The children called ``step`` whose ``column`` is ``value``, through an index built
        the first time (a lookup in a file of 10,000 rows does not scan it each time)."""
        key = f"{step}\0{column}"
        index = self._index.get(key)
        if index is None:
            index = {}
            for child in self.children:
                if step in ("*", child.name):
                    index.setdefault(child.child_text(column), []).append(child)
            self._index[key] = index
        return index.get(value, [])

    def __getstate__(self) -> tuple[Any, ...]:
        return self.name, self.text, self.children, self.attributes

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        self.name, self.text, self.children, self.attributes = state
        self._index = {}

    def __repr__(self) -> str:
        return f"Element({self.name!r}, {len(self.children)} children)"


def document(root: Element) -> Element:
    """The document node above ``root``: a path's first step (``/root``) selects from it."""
    return Element("#document", "", (root,))


def table_document(rows: list[Mapping[str, str]]) -> Element:
    """``root/item`` elements, one per row, one child per column (ODK's shape for a CSV)."""
    items = tuple(
        Element("item", "", tuple(Element(column, value) for column, value in row.items()))
        for row in rows)
    return document(Element("root", "", items))
