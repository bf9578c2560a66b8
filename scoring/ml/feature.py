"""What the catalog declares for each feature."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Feature:
    name: str
    description: str
    unit: str
    minimum: float
    maximum: float
    # Format for an account manager; gets the customer's feature row as keyword arguments.
    phrase: str


MAX_DAYS = 36_500.0  # upper bound for day counts (100 years)
MAX_COUNT = 1e9  # upper bound for counts and money
