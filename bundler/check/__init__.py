"""``bundle check``: prove an archive imports and runs before release. The interpreters
(``pythons``), the children sent into them (``probe``, ``audit``: standard library only),
running them (``runner``), what a failure means (``outcome``) and the report (``command``)."""

from bundler.check.command import run_check

__all__ = ["run_check"]
