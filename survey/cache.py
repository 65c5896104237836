"""One kind of in-memory cache for what a process works out once and uses on many requests.

Each cache has a name, a size limit (the least recently used entry goes first) and a key that names
everything its value depends on: a questionnaire by (id, version, checksum), a question by its value.
Never `id(obj)`: an id is reused as soon as the object is freed, so a later object could be handed
another's value. Where an object has no such name yet, `Same(obj)` keys it by identity and keeps it
alive while the entry is kept, so its id cannot be reused meanwhile.

>>> squares = KeyedCache("squares", maxsize=2)
>>> squares.get(3, lambda: 9), squares.get(4, lambda: 16), squares.get(3, lambda: -1)
(9, 16, 9)
>>> squares.get(5, lambda: 25); sorted(squares.keys())  # 4 was the least recently used
25
[3, 5]
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class KeyedCache(Generic[K, V]):
    """Values built on first use by `get(key, build)`, at most `maxsize` of them, safe across threads."""

    def __init__(self, name: str, *, maxsize: int) -> None:
        if maxsize < 1:
            raise ValueError(f"cache {name!r}: maxsize must be at least 1, not {maxsize}")
        self.name = name
        self.maxsize = maxsize
        self._values: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K, build: Callable[[], V]) -> V:
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
        # Built outside the lock: two threads may both build a missing value; either is right.
        value = build()
        with self._lock:
            self._values[key] = value
            self._values.move_to_end(key)
            while len(self._values) > self.maxsize:
                self._values.popitem(last=False)
        return value

    def found(self, key: K) -> tuple[bool, V | None]:
        """(True, value) when `key` is kept (it becomes the most recently used), else (False, None)."""
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return True, self._values[key]
        return False, None

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._values[key] = value
            self._values.move_to_end(key)
            while len(self._values) > self.maxsize:
                self._values.popitem(last=False)

    def keys(self) -> list[K]:
        with self._lock:
            return list(self._values)

    def clear(self) -> None:
        with self._lock:
            self._values.clear()

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"KeyedCache({self.name!r}, {len(self)}/{self.maxsize})"


class Same:
    """A key part that stands for one object by identity, keeping it alive while the key is kept."""

    __slots__ = ("obj",)

    def __init__(self, obj: object) -> None:
        self.obj = obj

    def __hash__(self) -> int:
        return id(self.obj)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Same) and other.obj is self.obj

    def __repr__(self) -> str:
        return f"Same({type(self.obj).__name__})"
