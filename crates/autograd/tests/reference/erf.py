# Reference values for the erf test in src/erf.rs.
# Run: python3 crates/autograd/tests/reference/erf.py
import math

for x in [0.0, 1e-8, 0.1, 0.5, 1.0, 1.5, 2.0, 2.4999, 2.5, 3.0, 4.0, 6.0, -0.7, -3.5]:
    print(f"({x!r}, {math.erf(x)!r}),")
