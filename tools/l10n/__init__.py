"""Keeps the Korean edition in step with the English source: the documents, their units, catalogs, builds and checks."""
