"""Independent references for softlogit's tests and benchmarks; not used by the library.

:mod:`softlogit._testing.oracle` evaluates the stable functions in mpmath and measures
errors in ulp; :mod:`softlogit._testing.numdiff` takes 5-point finite differences. They
live in the package (mpmath is a core dependency) so that ``tests/`` (collected with
``--import-mode=importlib``, where test files cannot import each other) and
``benchmarks/`` import the same code, and a benchmark never loads a test file.
``import softlogit`` does not import them.
"""
