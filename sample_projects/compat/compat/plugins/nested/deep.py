"""A plugin module inside a plugin package."""

NAME = "deep"
