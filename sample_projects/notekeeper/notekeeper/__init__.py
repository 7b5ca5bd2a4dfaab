"""Keep short notes in a JSON file from the command line."""
