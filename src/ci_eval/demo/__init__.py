"""The bundled demo study: a simulated national youth-mentoring movement.

Not part of the statistics core: it only writes files that the rest of ci_eval
reads like any other study. ``ci-eval demo generate --seed 2024 --out .``
regenerates the demo at the repository root byte for byte.
"""

from ci_eval.demo.generate import DEFAULT_SEED, generate_study

__all__ = ["DEFAULT_SEED", "generate_study"]
