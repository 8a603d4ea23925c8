# Evaluates the transcendental numbers used in tests/losses.rs (the derivations are written
# in that file's comments; this script is only the calculator).
# Run: python3 crates/autograd/tests/reference/losses.py
import math

# bce_with_logits, z = [0, 2], y = [1, 0]
l0 = math.log(2.0)                    # -ln s(0)
l1 = math.log(1.0 + math.exp(2.0))    # -ln(1 - s(2))
s2 = 1.0 / (1.0 + math.exp(-2.0))
print("bce", (l0 + l1) / 2, "grads", (0.5 - 1.0) / 2, s2 / 2)

# cross_entropy, logits [[1, 2, 3], [1, 1, 1]], labels [2, 0]
lse0 = math.log(math.exp(1) + math.exp(2) + math.exp(3))
row0 = lse0 - 3.0
row1 = math.log(3.0)
print("ce", (row0 + row1) / 2)
p = [math.exp(v - lse0) for v in (1, 2, 3)]
print("ce grads row0", [p[0] / 2, p[1] / 2, (p[2] - 1) / 2], "row1", [(1 / 3 - 1) / 2, 1 / 6, 1 / 6])
