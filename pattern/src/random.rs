//! Strudel's (legacy, default) random numbers: a pure function of time. Time (plus the `seed`)
//! is folded into a 300-cycle window, scaled to 29 bits and passed through a 32-bit xorshift, with
//! JavaScript's 32-bit integer semantics reproduced exactly.

/// One round of Strudel's `xorwise` (32-bit signed shifts, as in JavaScript).
pub fn xorwise(x: i32) -> i32 {
    let a = x.wrapping_shl(13) ^ x;
    let b = (a >> 17) ^ a;
    b.wrapping_shl(5) ^ b
}

fn js_trunc_to_i32(x: f64) -> i32 {
    // ToInt32 of an already-truncated value in [-2^29, 2^29): exact.
    x.trunc() as i64 as i32
}

/// Strudel's `timeToIntSeed`: the fractional part of `t / 300`, scaled to 2^29, then xorshifted.
pub fn time_to_int_seed(t: f64) -> i32 {
    let x = t / 300.0;
    let frac = x - x.trunc();
    xorwise(js_trunc_to_i32(frac * 536_870_912.0))
}

/// Strudel's `intSeedToRand`: `(x % 2^29) / 2^29` with JavaScript's signed remainder.
pub fn int_seed_to_rand(x: i32) -> f64 {
    f64::from(x % 536_870_912) / 536_870_912.0
}

/// The random number in `[0, 1)` at time `t` (Strudel `timeToRand`).
pub fn time_to_rand(t: f64) -> f64 {
    int_seed_to_rand(time_to_int_seed(t)).abs()
}

/// `n` random numbers at time `t` (Strudel `timeToRands`: successive xorshifts of the seed).
pub fn time_to_rands(t: f64, n: usize) -> Vec<f64> {
    let mut seed = time_to_int_seed(t);
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        out.push(int_seed_to_rand(seed));
        seed = xorwise(seed);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_is_zero() {
        assert_eq!(time_to_rand(0.0), 0.0);
        let r = time_to_rand(0.125);
        assert!((0.0..1.0).contains(&r));
    }
}
