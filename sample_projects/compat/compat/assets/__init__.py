"""Package data: text, binary data and a directory tree without ``__init__.py``."""
