"""The bundled dataset, installed as package data (see data/README.md)."""
