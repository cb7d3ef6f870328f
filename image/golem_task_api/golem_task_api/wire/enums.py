"""Enumerations shared by apps and nodes; values equal the wire values."""

import enum


class VerifyResult(enum.IntEnum):
    SUCCESS = 0
    FAILURE = 1
    AWAITING_DATA = 2
    INCONCLUSIVE = 3
