"""custlab."""
