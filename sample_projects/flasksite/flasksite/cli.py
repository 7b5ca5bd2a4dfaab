"""``flasksite get PATH`` prints a response through the test client; ``flasksite serve``
runs the development server on 127.0.0.1."""

from __future__ import annotations

import argparse

from flasksite import create_app


def main() -> int:
    parser = argparse.ArgumentParser(prog="flasksite")
    commands = parser.add_subparsers(dest="command", required=True)
    get = commands.add_parser("get", help="request PATH and print the response")
    get.add_argument("path")
    serve = commands.add_parser("serve", help="serve the site on 127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    app = create_app()
    if args.command == "serve":
        app.run(host="127.0.0.1", port=args.port)
        return 0
    response = app.test_client().get(args.path)
    print(response.status)
    print(response.content_type)
    print(response.get_data(as_text=True), end="")
    return 0 if response.status_code == 200 else 1
