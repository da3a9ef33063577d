"""Only for the optional C speed-ups; everything else about the package is in pyproject.toml.

The extension is optional: where no C compiler is found the build goes on without it, and the
matcher uses its pure-Python twins (same results, slower: see docs/architecture.md)."""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "bot.match._speedups",
            sources=[
                f"bot/match/speedups_c/{part}.c"
                for part in ("module", "scan", "keytable", "pairs", "groups", "warm")
            ],
            depends=[
                "bot/match/speedups_c/speedups.h",
                "bot/match/speedups_c/keytable.h",
            ],
            optional=True,
            extra_compile_args=["-O2"],
        )
    ]
)
