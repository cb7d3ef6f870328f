"""Build hook for the optional native nonce search.

Everything else is declared in pyproject.toml; setup.py exists only because
C extensions cannot yet be declared there in a stable way. The extension is
optional: without a compiler the package still installs and falls back to
the pure-Python reference search.
"""

from pathlib import Path

from setuptools import Extension, setup

_PACKAGE = Path("tutorial_app/search")
#: The module (Searcher, dispatch), CPU detection, SHA-256 constants, run
#: set-up, and one unit per path: portable C, SHA-NI two and four chains,
#: 16-lane AVX-512 and 8-lane AVX2. No -march flags: the SHA-NI, AVX-512 and
#: AVX2 code carries function-level target attributes and is chosen at run
#: time (cpuid), so one build runs on any x86-64 (and the portable C elsewhere).
_SOURCES = [
    _PACKAGE / "_fastpow.c",
    _PACKAGE / "_fastpow_cpu.c",
    _PACKAGE / "_fastpow_sha256.c",
    _PACKAGE / "_fastpow_run.c",
    _PACKAGE / "_fastpow_portable.c",
    _PACKAGE / "_fastpow_shani2.c",
    _PACKAGE / "_fastpow_x16.c",
    _PACKAGE / "_fastpow_x8.c",
    _PACKAGE / "_fastpow_shani4.c",
]

ext_modules = []
if all(source.exists() for source in _SOURCES):
    ext_modules.append(
        Extension(
            "tutorial_app.search._fastpow",
            sources=[str(source) for source in _SOURCES],
            depends=[str(header) for header in sorted(_PACKAGE.glob("_fastpow*.h"))],
            extra_compile_args=["-O3", "-std=c11"],
            optional=True,
        )
    )

setup(ext_modules=ext_modules)
