"""The code that ships inside every archive, as the ``_bundler_runtime`` package.

It imports only the standard library and nothing from the rest of ``bundler``: the builder
copies these files into the archive, where they run on Python 3.9 to 3.13. Modules that
are needed only by some apps (resources, metadata) are imported lazily.
"""
