"""custlab: customer research notebooks over one package."""
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("custlab")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"
