"""The pages: rendered from templates that extend one base layout."""

from __future__ import annotations

from flask import Blueprint, abort, render_template

pages = Blueprint("pages", __name__)


@pages.route("/")
def index() -> str:
    from flasksite import NOTES

    return render_template("index.html", notes=sorted(NOTES))


@pages.route("/notes/<name>")
def note(name: str) -> str:
    from flasksite import NOTES

    if name not in NOTES:
        abort(404)
    return render_template("note.html", name=name, text=NOTES[name])
