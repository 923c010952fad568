"""pytest collects only the tutorial notebook here (``--nbmake``), never the scripts.

The scripts are examples to run by hand; importing them (``--doctest-modules``)
would run them.
"""

collect_ignore_glob = ["*.py"]
