"""Demo traffic: a realistic, deterministic scenario with planted conditions (see PLANTED.md).

``generate`` builds the records without a database; ``seed_demo`` registers the prompts and
ingests the records through the regular tracking path.
"""

from core.demo.generator import DemoTraffic, PromptTraffic, generate
from core.demo.seed import DatabaseNotEmptyError, SeedSummary, database_is_empty, seed_demo

__all__ = [
    "DatabaseNotEmptyError",
    "DemoTraffic",
    "PromptTraffic",
    "SeedSummary",
    "database_is_empty",
    "generate",
    "seed_demo",
]
