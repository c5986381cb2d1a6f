"""Pure rules: periods, points, parsing of command text. Standard library only."""
