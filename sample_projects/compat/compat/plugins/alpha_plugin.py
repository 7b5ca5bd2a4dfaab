"""A plugin module."""

NAME = "alpha_plugin"
