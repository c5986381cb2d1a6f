"""okrbot's REST API at /api/v1/: typed models in, typed models out, OpenAPI 3.1 generated."""
