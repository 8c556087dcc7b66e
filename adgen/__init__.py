"""AdGen: one sentence in, a finished Korean advertisement out."""

__version__ = "0.1.0"
