"""Virtual commissioning: plans tried on forked twins under sampled futures."""

from jayul.verify.trust import TwinTrust, twin_trust
from jayul.verify.verifier import FutureResult, Verdict, Verifier

__all__ = ["FutureResult", "TwinTrust", "Verdict", "Verifier", "twin_trust"]
