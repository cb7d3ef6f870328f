"""`EnumField`: stores an enum member as its value in a CHAR column."""

import enum
from typing import Any

import peewee


class EnumField(peewee.CharField):  # type: ignore[misc]
    def __init__(self, enum_type: type[enum.Enum], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._enum_type = enum_type
        self._enum_values = {member.value for member in enum_type}

    def db_value(self, value: Any) -> Any:
        if isinstance(value, self._enum_type):
            return value.value
        if value is not None:
            value = str(value)
        if value not in self._enum_values:
            expected = f"{self._enum_type.__name__} type or one of {self._enum_values}"
            raise TypeError(f"Expected {expected}")
        return value

    def python_value(self, value: Any) -> enum.Enum:
        return self._enum_type(value)
