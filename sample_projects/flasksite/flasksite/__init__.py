"""The app factory: templates/ and static/ are found from this package's location."""

from __future__ import annotations

from flask import Flask

NOTES = {
    "zip": "An archive of files, read by offset.",
    "wheel": "A zip of a distribution's files, installed by pip.",
}


def create_app() -> Flask:
    """The site, with its pages registered."""
    app = Flask(__name__)

    from flasksite import views

    app.register_blueprint(views.pages)
    return app
