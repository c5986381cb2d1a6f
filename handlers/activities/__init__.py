"""Activities and points: `/log`, its ways of being stored, the boards and `/points`."""
