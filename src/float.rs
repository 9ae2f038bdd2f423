//! Float functions without the standard library: the methods `f32` and `f64` have only with
//! `std` (`ln`, `exp`, ...), from libm, for `no_std` builds. With `std` the inherent methods
//! (the platform's) are used and this trait is not imported.

/// The std-only float methods the crate uses, by libm.
#[allow(dead_code)] // each build uses the methods its code calls
pub(crate) trait Float: Sized {
    fn ln(self) -> Self;
    fn exp(self) -> Self;
    fn exp2(self) -> Self;
    fn exp_m1(self) -> Self;
    fn log2(self) -> Self;
    fn powf(self, e: Self) -> Self;
    fn powi(self, e: i32) -> Self;
    fn sqrt(self) -> Self;
    fn floor(self) -> Self;
    fn ceil(self) -> Self;
    fn abs(self) -> Self;
    fn mul_add(self, a: Self, b: Self) -> Self;
}

impl Float for f64 {
    fn ln(self) -> f64 {
        libm::log(self)
    }
    fn exp(self) -> f64 {
        libm::exp(self)
    }
    fn exp2(self) -> f64 {
        libm::exp2(self)
    }
    fn exp_m1(self) -> f64 {
        libm::expm1(self)
    }
    fn log2(self) -> f64 {
        libm::log2(self)
    }
    fn powf(self, e: f64) -> f64 {
        libm::pow(self, e)
    }
    fn powi(self, e: i32) -> f64 {
        libm::pow(self, f64::from(e))
    }
    fn sqrt(self) -> f64 {
        libm::sqrt(self)
    }
    fn floor(self) -> f64 {
        libm::floor(self)
    }
    fn ceil(self) -> f64 {
        libm::ceil(self)
    }
    fn abs(self) -> f64 {
        libm::fabs(self)
    }
    fn mul_add(self, a: f64, b: f64) -> f64 {
        libm::fma(self, a, b)
    }
}

impl Float for f32 {
    fn ln(self) -> f32 {
        libm::logf(self)
    }
    fn exp(self) -> f32 {
        libm::expf(self)
    }
    fn exp2(self) -> f32 {
        libm::exp2f(self)
    }
    fn exp_m1(self) -> f32 {
        libm::expm1f(self)
    }
    fn log2(self) -> f32 {
        libm::log2f(self)
    }
    fn powf(self, e: f32) -> f32 {
        libm::powf(self, e)
    }
    fn powi(self, e: i32) -> f32 {
        libm::powf(self, e as f32)
    }
    fn sqrt(self) -> f32 {
        libm::sqrtf(self)
    }
    fn floor(self) -> f32 {
        libm::floorf(self)
    }
    fn ceil(self) -> f32 {
        libm::ceilf(self)
    }
    fn abs(self) -> f32 {
        libm::fabsf(self)
    }
    fn mul_add(self, a: f32, b: f32) -> f32 {
        libm::fmaf(self, a, b)
    }
}
