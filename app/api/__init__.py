"""The HTTP API: the app factory, routes, schemas, problems, middleware and serving."""
