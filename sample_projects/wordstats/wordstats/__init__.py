"""Count the words, lines and characters of a text and print them as a table."""
