"""bundler's own caches: built wheels, staging directories and bytecode for builds
(``build``), and the per-user cache that archives extract into, as ``bundle cache`` lists
and clears it (``user``). The file primitives they share (atomic writes, locks) are the
runtime's, in ``bundler/runtime/cache.py``."""
