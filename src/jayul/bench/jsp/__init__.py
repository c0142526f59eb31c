"""The `jayul bench jsp` and `jayul bench replan` benchmarks: the JSPLIB job-shop solver
(CP-SAT with the tabu searches), the plan checker, random planning problems and the rolling
horizon that only these benchmarks use, their harness and their commands."""
