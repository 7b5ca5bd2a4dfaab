"""Another plugin module."""

NAME = "beta_plugin"
