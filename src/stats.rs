//! Small-sample statistics for comparing optimizers: mean, sample standard deviation and
//! Welch's unequal-variance t-test, with the Student t distribution computed from the
//! regularized incomplete beta function (no external math crate).
//!
//! Everything is in `f64`: the inputs are a handful of test errors, and the p-value's tail
//! needs the precision.

/// Arithmetic mean; `NaN` for an empty slice.
///
/// ```
/// assert_eq!(caadam::stats::mean(&[1.0, 2.0, 6.0]), 3.0);
/// assert!(caadam::stats::mean(&[]).is_nan());
/// ```
pub fn mean(xs: &[f64]) -> f64 {
    if xs.is_empty() {
        return f64::NAN;
    }
    xs.iter().sum::<f64>() / xs.len() as f64
}

/// Sample variance (divides by `n - 1`, as Welch's test needs); `NaN` below two values.
///
/// ```
/// assert_eq!(caadam::stats::sample_variance(&[1.0, 2.0, 3.0, 4.0]), 5.0 / 3.0);
/// ```
pub fn sample_variance(xs: &[f64]) -> f64 {
    if xs.len() < 2 {
        return f64::NAN;
    }
    let m = mean(xs);
    xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (xs.len() - 1) as f64
}

/// Sample standard deviation (`n - 1` denominator); `NaN` below two values.
///
/// ```
/// let s = caadam::stats::sample_std(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]);
/// assert!((s - (32.0f64 / 7.0).sqrt()).abs() < 1e-12);
/// ```
pub fn sample_std(xs: &[f64]) -> f64 {
    sample_variance(xs).sqrt()
}

/// The result of Welch's t-test of `mean(a) == mean(b)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Welch {
    /// `(mean(a) - mean(b)) / sqrt(var(a)/n_a + var(b)/n_b)`.
    pub t: f64,
    /// Welch–Satterthwaite degrees of freedom.
    pub df: f64,
    /// Two-sided p-value from the Student t distribution with `df` degrees of freedom.
    pub p: f64,
}

/// Welch's unequal-variance t-test, two-sided (scipy's `ttest_ind(a, b, equal_var=False)`).
///
/// Returns `None` when either sample has fewer than two values, or when both samples have
/// zero variance (the statistic is undefined; scipy answers NaN).
///
/// ```
/// use caadam::stats::welch_t_test;
/// let w = welch_t_test(&[1.0, 2.0, 3.0], &[1.0, 2.0, 3.0]).unwrap();
/// assert_eq!((w.t, w.p), (0.0, 1.0));
/// let w = welch_t_test(&[0.46, 0.47, 0.45, 0.46], &[0.50, 0.52, 0.51, 0.49]).unwrap();
/// assert!(w.t < 0.0 && w.p < 0.01);
/// assert!(welch_t_test(&[1.0], &[1.0, 2.0]).is_none());
/// ```
pub fn welch_t_test(a: &[f64], b: &[f64]) -> Option<Welch> {
    if a.len() < 2 || b.len() < 2 {
        return None;
    }
    let (na, nb) = (a.len() as f64, b.len() as f64);
    // Squared standard errors of each mean.
    let sa = sample_variance(a) / na;
    let sb = sample_variance(b) / nb;
    let se2 = sa + sb;
    if se2 <= 0.0 {
        return None;
    }
    let t = (mean(a) - mean(b)) / se2.sqrt();
    let df = se2 * se2 / (sa * sa / (na - 1.0) + sb * sb / (nb - 1.0));
    Some(Welch {
        t,
        df,
        p: student_t_two_sided_p(t, df),
    })
}

/// `P(|T| >= |t|)` for Student's t with `df > 0` degrees of freedom.
///
/// Uses `P(|T| >= |t|) = I_x(df/2, 1/2)` with `x = df / (df + t^2)`.
///
/// ```
/// use caadam::stats::student_t_two_sided_p;
/// assert_eq!(student_t_two_sided_p(0.0, 5.0), 1.0);
/// // One degree of freedom is the Cauchy distribution: P(|T| >= 1) = 1/2.
/// assert!((student_t_two_sided_p(1.0, 1.0) - 0.5).abs() < 1e-12);
/// ```
pub fn student_t_two_sided_p(t: f64, df: f64) -> f64 {
    if t.is_nan() || df.is_nan() || df <= 0.0 {
        return f64::NAN;
    }
    if t.is_infinite() {
        return 0.0;
    }
    regularized_incomplete_beta(df / (df + t * t), 0.5 * df, 0.5)
}

/// Student's t cumulative distribution function `P(T <= t)` with `df` degrees of freedom.
///
/// ```
/// use caadam::stats::student_t_cdf;
/// assert_eq!(student_t_cdf(0.0, 3.0), 0.5);
/// // Cauchy: P(T <= 1) = 3/4.
/// assert!((student_t_cdf(1.0, 1.0) - 0.75).abs() < 1e-12);
/// ```
pub fn student_t_cdf(t: f64, df: f64) -> f64 {
    let tail = 0.5 * student_t_two_sided_p(t, df);
    if t >= 0.0 {
        1.0 - tail
    } else {
        tail
    }
}

/// The regularized incomplete beta function `I_x(a, b)`, for `a, b > 0` and `0 <= x <= 1`.
///
/// Evaluated by its continued fraction (modified Lentz), which converges fast for
/// `x < (a + 1)/(a + b + 2)`; above that the symmetry `I_x(a, b) = 1 - I_{1-x}(b, a)` moves
/// the argument into that region.
///
/// ```
/// use caadam::stats::regularized_incomplete_beta as ibeta;
/// // I_x(1, 1) = x, and I_x(a, 1) = x^a.
/// assert!((ibeta(0.3, 1.0, 1.0) - 0.3).abs() < 1e-14);
/// assert!((ibeta(0.5, 3.0, 1.0) - 0.125).abs() < 1e-14);
/// ```
pub fn regularized_incomplete_beta(x: f64, a: f64, b: f64) -> f64 {
    if x.is_nan() || a.is_nan() || b.is_nan() || a <= 0.0 || b <= 0.0 || !(0.0..=1.0).contains(&x) {
        return f64::NAN;
    }
    if x == 0.0 || x == 1.0 {
        return x;
    }
    // x^a (1-x)^b / (a B(a, b)), the prefactor of the continued fraction, in logs.
    let ln_front = a * x.ln() + b * (1.0 - x).ln() + ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b);
    if x < (a + 1.0) / (a + b + 2.0) {
        ln_front.exp() * beta_continued_fraction(x, a, b) / a
    } else {
        1.0 - ln_front.exp() * beta_continued_fraction(1.0 - x, b, a) / b
    }
}

/// The continued fraction of `I_x(a, b)`: `1/(1+ d1/(1+ d2/(1+ ...)))` with
/// `d_{2m+1} = -(a+m)(a+b+m) x / ((a+2m)(a+2m+1))` and `d_{2m} = m(b-m) x / ((a+2m-1)(a+2m))`,
/// evaluated front to back by the modified Lentz method.
fn beta_continued_fraction(x: f64, a: f64, b: f64) -> f64 {
    const TINY: f64 = 1e-300;
    const EPS: f64 = 1e-15;
    const MAX_TERMS: usize = 10_000;
    let guard = |v: f64| if v.abs() < TINY { TINY } else { v };

    // Lentz: f = C_j / D_j tracked through C = b_j + a_j/C, D = 1/(b_j + a_j D).
    let mut c = 1.0;
    let mut d = 1.0 / guard(1.0 - (a + b) * x / (a + 1.0));
    let mut f = d;
    for m in 1..=MAX_TERMS {
        let m = m as f64;
        let two_m = 2.0 * m;
        // Even term d_{2m}.
        let even = m * (b - m) * x / ((a + two_m - 1.0) * (a + two_m));
        d = 1.0 / guard(1.0 + even * d);
        c = guard(1.0 + even / c);
        f *= d * c;
        // Odd term d_{2m+1}.
        let odd = -(a + m) * (a + b + m) * x / ((a + two_m) * (a + two_m + 1.0));
        d = 1.0 / guard(1.0 + odd * d);
        c = guard(1.0 + odd / c);
        let delta = d * c;
        f *= delta;
        if (delta - 1.0).abs() < EPS {
            break;
        }
    }
    f
}

/// `ln Γ(x)` for `x > 0`, by the Lanczos approximation (g = 7, nine terms; relative error
/// near 1e-15), with the reflection formula below 1/2.
///
/// ```
/// use caadam::stats::ln_gamma;
/// assert!(ln_gamma(1.0).abs() < 1e-14);                      // Γ(1) = 1
/// assert!((ln_gamma(5.0) - 24f64.ln()).abs() < 1e-13);      // Γ(5) = 4!
/// assert!((ln_gamma(0.5) - std::f64::consts::PI.sqrt().ln()).abs() < 1e-13);
/// ```
pub fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const COEF: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Γ(x) Γ(1-x) = π / sin(πx)
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).abs().ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut sum = COEF[0];
    for (i, c) in COEF.iter().enumerate().skip(1) {
        sum += c / (x + i as f64);
    }
    let t = x + G + 0.5;
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + sum.ln()
}
