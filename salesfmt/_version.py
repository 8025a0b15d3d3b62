"""The package version, in a leaf module (the report shows it; pyproject reads it)."""

__version__ = "0.1.0"
