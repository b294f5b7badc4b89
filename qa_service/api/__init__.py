"""HTTP face of the service: FastAPI app factory, routes, schemas, errors."""
