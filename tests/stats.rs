//! Welch's t-test and the Student t distribution against scipy and against hand values.
//!
//! The scipy numbers come from `python3 tests/reference/welch.py` (scipy 1.17.1,
//! numpy 2.4.6, Python 3.11.7); its output is pasted below.

use caadam::stats::{mean, regularized_incomplete_beta, sample_std, student_t_cdf, welch_t_test};

fn close(got: f64, want: f64, rel: f64) {
    assert!(
        (got - want).abs() <= rel * want.abs().max(1e-300),
        "got {got:e}, want {want:e} (relative tolerance {rel:e})"
    );
}

#[test]
fn welch_by_hand() {
    // a = 1..=7: mean 4, variance 28/6, so var/n = 2/3. b = [2, 2.5, 3]: mean 2.5, variance
    // 1/4, var/n = 1/12. se^2 = 3/4, t = 1.5 / sqrt(3/4) = sqrt(3).
    // df = (3/4)^2 / ((2/3)^2/6 + (1/12)^2/2) = 0.5625 / (2/27 + 1/288) = 7.2537313...
    let a = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0];
    let b = [2.0, 2.5, 3.0];
    let w = welch_t_test(&a, &b).unwrap();
    close(w.t, 3f64.sqrt(), 1e-14);
    close(w.df, 0.5625 / (2.0 / 27.0 + 1.0 / 288.0), 1e-14);
    // scipy: unequal: t=1.7320508075688772 df=7.253731343283584 p=0.12537162469570126
    close(w.p, 0.12537162469570126, 1e-10);
    // Swapping the samples flips t and keeps p.
    let s = welch_t_test(&b, &a).unwrap();
    assert_eq!((s.t, s.p), (-w.t, w.p));
}

#[test]
fn welch_against_scipy() {
    let a = [0.4660, 0.4712, 0.4598, 0.4689, 0.4631];
    let b = [0.4555, 0.4602, 0.4581, 0.4523, 0.4610];
    let w = welch_t_test(&a, &b).unwrap();
    // rmse_like: t=3.249526888178128 df=7.582967307824129 p=0.012595369046019128
    close(w.t, 3.249526888178128, 1e-11);
    close(w.df, 7.582967307824129, 1e-11);
    close(w.p, 0.012595369046019128, 1e-9);

    let a = [10.1, 10.3, 9.9, 10.0];
    let b = [1.0, 1.2, 0.9, 1.1, 1.05];
    let w = welch_t_test(&a, &b).unwrap();
    // far: t=91.20505305150392 df=4.971492873218302 p=3.3000111797152658e-09
    close(w.t, 91.20505305150392, 1e-11);
    close(w.df, 4.971492873218302, 1e-11);
    close(w.p, 3.3000111797152658e-09, 1e-8);
}

#[test]
fn incomplete_beta_and_t_cdf_against_scipy() {
    // betainc(x, a, b) printed by the script as scipy.special.betainc(a, b, x).
    close(
        regularized_incomplete_beta(0.2, 2.5, 0.5),
        0.00656627182756301,
        1e-12,
    );
    close(
        regularized_incomplete_beta(0.9, 3.0, 0.5),
        0.44541555534797056,
        1e-12,
    );
    close(
        regularized_incomplete_beta(0.5, 10.0, 20.0),
        0.9692858271300793,
        1e-12,
    );
    close(
        regularized_incomplete_beta(0.01, 0.5, 0.5),
        0.06376856085851985,
        1e-12,
    );
    close(student_t_cdf(2.0, 3.0), 0.9303370157205785, 1e-12);
    close(student_t_cdf(-1.5, 7.5), 0.08724028529323204, 1e-11);
    close(student_t_cdf(4.0, 30.0), 0.9998090771819581, 1e-12);
}

#[test]
fn t_cdf_closed_forms() {
    // df = 2: F(t) = 1/2 + t / (2 sqrt(t^2 + 2)).
    for t in [-3.0, -0.7, 0.0, 0.4, 2.5] {
        let want = 0.5 + t / (2.0 * (t * t + 2.0f64).sqrt());
        close(student_t_cdf(t, 2.0), want, 1e-13);
    }
    // df = 1 (Cauchy): F(t) = 1/2 + atan(t)/pi.
    for t in [-10.0, -1.0, 0.3, 5.0] {
        let want = 0.5 + f64::atan(t) / std::f64::consts::PI;
        close(student_t_cdf(t, 1.0), want, 1e-13);
    }
}

#[test]
fn mean_and_std_and_degenerate_inputs() {
    assert_eq!(mean(&[0.5, 1.5]), 1.0);
    // Values 1, 3: deviations +-1, sum of squares 2, over n-1 = 1 -> variance 2.
    assert_eq!(sample_std(&[1.0, 3.0]), 2f64.sqrt());
    assert!(sample_std(&[1.0]).is_nan());
    assert!(welch_t_test(&[1.0, 1.0], &[2.0, 2.0]).is_none());
    assert!(welch_t_test(&[1.0, 2.0], &[]).is_none());
}
