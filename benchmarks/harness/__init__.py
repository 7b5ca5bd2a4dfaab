"""The benchmark harness behind ``benchmarks/run.py``.

Each module does one job: ``common`` (paths, processes, environments), ``interpreters``
(clean copies of the interpreters under test), ``tooling`` (the private venv with shiv, pex
and bundler, and the wheelhouse), ``apps`` (what is benchmarked and how it is smoke-tested),
``builders`` (virtualenv, bundler, shiv and pex builds), ``hyperfine`` (timing),
``appbench`` (one app end to end), ``synthetic``, ``importtime``, ``callgrind`` and
``report`` (the markdown summary).
"""
