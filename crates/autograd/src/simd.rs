//! Elementwise kernels compiled for the widest SIMD unit the CPU has, chosen at run time.
//!
//! The workspace is compiled for the baseline of its target (SSE2 on x86-64), so that one
//! binary runs on any x86-64 CPU. A plain elementwise loop (an optimizer update, a bias
//! gradient) is then vectorized 4 lanes wide, a quarter of what an AVX-512 core can do.
//! [`simd_kernel!`](crate::simd_kernel) writes a function three times: its body compiled for
//! AVX-512, for AVX2, and for the baseline, and picks one per call from what the CPU
//! reports (a cached flag test, a few nanoseconds).
//!
//! Why a macro and not a function taking a closure: the body must be *inlined* into the
//! function that carries `#[target_feature]` for LLVM to vectorize it at that width, and
//! LLVM does not promise to inline a closure that has three call sites. The macro makes the
//! body an `#[inline(always)]` function called from each wrapper, which it always inlines.
//!
//! ## Same bits on every path
//!
//! Rust never fuses a multiply and an add on its own (no floating-point contraction), and
//! vectorizing an elementwise loop does not reorder its arithmetic, so each element goes
//! through the same IEEE operations (`+ - * /`, `sqrt`, comparisons) whatever the width.
//! Only loops whose per-element arithmetic does not depend on other elements belong here.

/// Defines a function whose body runs in code compiled for the widest vector width the CPU
/// supports: AVX-512F, else AVX2 with FMA, else the target's baseline. The result is the
/// same bits on every path (see the [module docs](crate::simd)).
///
/// The arguments must be plain `name: Type` pairs (no patterns). One type parameter with
/// one bound is allowed, typically the elementwise rule as a closure (`<F: Fn(f32) -> f32>`):
/// it is inlined into the loop, so each rule gets its own vectorized loop. The body should be
/// elementwise loops over slices: that is what the wider registers speed up.
///
/// ```
/// caadam_autograd::simd_kernel! {
///     /// `y = a x + y`.
///     fn axpy(a: f32, x: &[f32], y: &mut [f32]) {
///         for (y, &x) in y.iter_mut().zip(x) {
///             *y += a * x;
///         }
///     }
/// }
/// let x = vec![1.0f32; 100];
/// let mut y = vec![0.5f32; 100];
/// axpy(2.0, &x, &mut y);
/// assert!(y.iter().all(|&y| y == 2.5));
///
/// caadam_autograd::simd_kernel! {
///     /// `out = f(x)`, for any elementwise rule `f`.
///     fn map<F: Fn(f32) -> f32>(out: &mut [f32], x: &[f32], f: F) {
///         for (o, &x) in out.iter_mut().zip(x) {
///             *o = f(x);
///         }
///     }
/// }
/// let mut out = vec![0.0f32; 4];
/// map(&mut out, &[-1.0, 2.0, -3.0, 4.0], |x| x.max(0.0));
/// assert_eq!(out, [0.0, 2.0, 0.0, 4.0]);
/// ```
#[macro_export]
macro_rules! simd_kernel {
    (
        $(#[$meta:meta])*
        $vis:vis fn $name:ident $(<$g:ident: $bound:path>)?
            ($($arg:ident: $ty:ty),* $(,)?) $(-> $ret:ty)? $body:block
    ) => {
        $(#[$meta])*
        $vis fn $name $(<$g: $bound>)? ($($arg: $ty),*) $(-> $ret)? {
            #[inline(always)]
            fn body $(<$g: $bound>)? ($($arg: $ty),*) $(-> $ret)? $body

            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f,avx2,fma")]
                unsafe fn avx512 $(<$g: $bound>)? ($($arg: $ty),*) $(-> $ret)? {
                    body($($arg),*)
                }
                #[target_feature(enable = "avx2,fma")]
                unsafe fn avx2 $(<$g: $bound>)? ($($arg: $ty),*) $(-> $ret)? {
                    body($($arg),*)
                }
                if ::std::is_x86_feature_detected!("avx512f") {
                    // SAFETY: the CPU supports AVX-512F (checked just above).
                    return unsafe { avx512($($arg),*) };
                }
                if ::std::is_x86_feature_detected!("avx2") && ::std::is_x86_feature_detected!("fma") {
                    // SAFETY: the CPU supports AVX2 and FMA (checked just above).
                    return unsafe { avx2($($arg),*) };
                }
            }
            body($($arg),*)
        }
    };
}

#[cfg(test)]
mod tests {
    crate::simd_kernel! {
        fn rule_in_place(x: &[f32], out: &mut [f32]) {
            for (o, &x) in out.iter_mut().zip(x) {
                *o = rule(x);
            }
        }
    }

    crate::simd_kernel! {
        fn count_finite(x: &[f32]) -> usize {
            x.iter().filter(|x| x.is_finite()).count()
        }
    }

    #[inline(always)]
    fn rule(x: f32) -> f32 {
        let y = (x * 0.9 + 1e-3) / (x.abs().sqrt() + 1e-8);
        if y.abs() < f32::MIN_POSITIVE {
            0.0
        } else {
            y
        }
    }

    /// Division, square root, a select and subnormal inputs through the vector path: the
    /// same bits as the scalar rule, element by element.
    #[test]
    fn same_bits_as_the_scalar_rule() {
        let x: Vec<f32> = (0..4099)
            .map(|i| ((i as f32) * 0.37).sin() * 10f32.powi(i % 80 - 42))
            .chain([f32::from_bits(1), -0.0, f32::INFINITY, f32::NAN])
            .collect();
        let mut wide = vec![0.0f32; x.len()];
        rule_in_place(&x, &mut wide);
        for (i, (&w, &x)) in wide.iter().zip(&x).enumerate() {
            let scalar = std::hint::black_box(rule)(std::hint::black_box(x));
            assert_eq!(w.to_bits(), scalar.to_bits(), "element {i}: x = {x:e}");
        }
        assert_eq!(count_finite(&x), x.len() - 2);
    }
}
