"""Virtual commissioning: plans tried on forked twins under sampled futures."""

from jayul.verify.verifier import FutureResult, Verdict, Verifier

__all__ = ["FutureResult", "Verdict", "Verifier"]
