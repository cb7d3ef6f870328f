"""Build hook for the optional native nonce search.

Everything else is declared in pyproject.toml; setup.py exists only because
C extensions cannot yet be declared there in a stable way. The extension is
optional: without a compiler the package still installs and falls back to
the pure-Python reference search.
"""

from pathlib import Path

from setuptools import Extension, setup

_SOURCE = Path("tutorial_app") / "_fastpow.c"

ext_modules = []
if _SOURCE.exists():
    ext_modules.append(
        Extension(
            "tutorial_app._fastpow",
            sources=[str(_SOURCE)],
            extra_compile_args=["-O3", "-std=c11"],
            optional=True,
        )
    )

setup(ext_modules=ext_modules)
