"""The shipped model and study specs, installed as package data."""
