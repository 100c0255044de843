"""Containers: ``Sequential`` runs modules one after another, ``ModuleList`` holds modules by index.

Children are registered under "0", "1", ..., so parameter names match PyTorch's (``0.weight``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from .module import Module

__all__ = ["Sequential", "ModuleList"]


class ModuleList(Module):
    """A list of modules whose parameters belong to this module (no forward of its own)."""

    def __init__(self, modules: Iterable[Module] = ()) -> None:
        super().__init__()
        self.extend(modules)

    def append(self, module: Module) -> ModuleList:
        if not isinstance(module, Module):
            raise TypeError(f"{type(self).__name__} holds modules, got {type(module).__name__}")
        self.children[str(len(self.children))] = module
        return self

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        for m in modules:
            self.append(m)
        return self

    def __getitem__(self, i: int) -> Module:
        return list(self.children.values())[i]

    def __len__(self) -> int:
        return len(self.children)

    def __iter__(self) -> Iterator[Module]:
        return iter(list(self.children.values()))


class Sequential(ModuleList):
    """y = m_k(... m_1(m_0(x))), each module taking one array and returning one.

    Backward: dx = m_0.backward(... m_k.backward(dy)), through the most recent forward of each.
    """

    def __init__(self, *modules: Module) -> None:
        super().__init__(modules)

    def forward(self, x):
        for m in self:
            x = m(x)
        return x

    def backward(self, dy):
        for m in reversed(list(self)):
            dy = m.backward(dy)
        return dy
