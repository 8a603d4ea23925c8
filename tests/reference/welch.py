"""Reference values for tests/stats.rs (Welch's t-test, Student t, incomplete beta).

Run: python3 tests/reference/welch.py   (from /work/main)
Pasted into tests/stats.rs from a run with scipy 1.17.1, numpy 2.4.6, Python 3.11.7.
"""
import scipy
from scipy import special, stats

print("scipy", scipy.__version__)
cases = {
    # Five runs each, shaped like test RMSEs of two optimizers.
    "rmse_like": ([0.4660, 0.4712, 0.4598, 0.4689, 0.4631], [0.4555, 0.4602, 0.4581, 0.4523, 0.4610]),
    # Unequal sizes and variances.
    "unequal": ([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0], [2.0, 2.5, 3.0]),
    # Far apart: a tiny p-value.
    "far": ([10.1, 10.3, 9.9, 10.0], [1.0, 1.2, 0.9, 1.1, 1.05]),
}
for name, (a, b) in cases.items():
    r = stats.ttest_ind(a, b, equal_var=False)
    print(f"{name}: t={r.statistic!r} df={r.df!r} p={r.pvalue!r}")
for x, a, b in [(0.2, 2.5, 0.5), (0.9, 3.0, 0.5), (0.5, 10.0, 20.0), (0.01, 0.5, 0.5)]:
    print(f"betainc({x}, {a}, {b}) = {special.betainc(a, b, x)!r}")
for t, df in [(2.0, 3.0), (-1.5, 7.5), (4.0, 30.0)]:
    print(f"t.cdf({t}, {df}) = {stats.t.cdf(t, df)!r}")
