//! The two-moons example trains to at least 95% accuracy: this includes the example's own
//! code (not a copy), so the number it prints is the number tested.

#[allow(dead_code)] // the example's `main` is not called here
#[path = "../../../examples/two_moons.rs"]
mod two_moons;

#[test]
fn two_moons_example_reaches_95_percent() {
    let accuracy = two_moons::train(0);
    assert!(accuracy >= 0.95, "accuracy {accuracy}");
}

#[test]
fn two_moons_data_is_seeded_balanced_and_on_the_moons() {
    let a = two_moons::two_moons(50, 0.1, 3);
    let b = two_moons::two_moons(50, 0.1, 3);
    let c = two_moons::two_moons(50, 0.1, 4);
    assert_eq!(a.x, b.x);
    assert_ne!(a.x, c.x);
    assert_eq!(a.y.iter().filter(|&&y| y == 1.0).count(), 25);
    // Without noise: label 0 on the unit circle around (0, 0), upper half; label 1 on the
    // unit circle around (1, 0.5), lower half.
    let clean = two_moons::two_moons(40, 0.0, 0);
    for (p, &y) in clean.x.chunks(2).zip(&clean.y) {
        let (cx, cy, upper) = if y == 0.0 {
            (0.0, 0.0, true)
        } else {
            (1.0, 0.5, false)
        };
        let r = ((p[0] - cx).powi(2) + (p[1] - cy).powi(2)).sqrt();
        assert!((r - 1.0).abs() < 1e-5, "{p:?} off its circle");
        assert!(
            if upper {
                p[1] >= -1e-6
            } else {
                p[1] - cy <= 1e-6
            },
            "{p:?} on the wrong half"
        );
    }
}
