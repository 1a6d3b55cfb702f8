"""The HTTP edge: pydantic models, routes, error mapping and the API description."""
