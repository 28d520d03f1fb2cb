//! Composite ops the samplers need that are not primitives of `ferrax-ir`, each computing
//! what jaxlib computes for JAX's lowering, so the plugin gives the same bits: `log1p`
//! (jaxlib's f32 expansion), `erf_inv` (CHLO's decomposition), `pow` and `log_libm`
//! (glibc's `powf` and `logf`, which jaxlib calls), `nextafter`, `argmax`, `cumsum`,
//! `top_k`, `searchsorted`.

use ferrax_ir::{DType, Error, Result, Tensor, WindowAttrs};

mod logf;
mod pow;

fn float_check(op: &str, x: &Tensor) -> Result<()> {
    x.check()?;
    if !x.dtype().is_float() {
        return Err(Error::dtype(
            op,
            format!("{op} needs a float operand, got {}", x.dtype()),
        ));
    }
    Ok(())
}

/// Two float operands of one dtype, broadcast to their common shape (errors name `op`).
fn float_pair(op: &str, x: &Tensor, y: &Tensor) -> Result<(Tensor, Tensor)> {
    float_check(op, x)?;
    float_check(op, y)?;
    if x.dtype() != y.dtype() {
        return Err(Error::dtype(
            op,
            format!("operands differ in dtype: {} and {}", x.dtype(), y.dtype()),
        ));
    }
    let shape = ferrax_ir::rules::broadcast_shapes(op, &x.shape().into(), &y.shape().into())?;
    Ok((x.broadcast_to(shape.clone())?, y.broadcast_to(shape)?))
}

fn c(x: &Tensor, v: f64) -> Tensor {
    Tensor::scalar_like(x.dtype(), v)
}

/// An unsigned scalar of `ut` holding `v` exactly (`scalar_like` goes through f64).
fn uconst(ut: DType, v: u64) -> Tensor {
    match ut {
        DType::U8 => Tensor::scalar(v as u8),
        DType::U16 => Tensor::scalar(v as u16),
        DType::U32 => Tensor::scalar(v as u32),
        _ => Tensor::scalar(v),
    }
}

/// `x ** y` (`jnp.power` on floats) as jaxlib 0.10.2 computes it on CPU, bit for bit.
///
/// - f32: jaxlib calls the C library's `powf` (glibc's); the XLA CPU plugin's `power`
///   is correctly rounded and differs from it in the last bit for about 0.07% of
///   arguments. glibc's algorithm is spelled out with f64 graph ops (see the `pow`
///   submodule), special cases included.
/// - f16 and bf16: computed in f32 and rounded, as XLA does on CPU.
/// - f64: the plugin's `power`.
///
/// Checked against jaxlib over 4 million f32 argument pairs (every class of either
/// argument, and dense sweeps of the ranges the samplers use;
/// `scripts/golden_special.py`, `tests/special_golden.rs`).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax_random::special::pow;
///
/// let x = Tensor::from_vec(vec![0.25f32, -2.0, -2.0, 0.0], [4])?;
/// let y = Tensor::from_vec(vec![0.5f32, 3.0, 0.5, -1.0], [4])?;
/// let z = pow(&x, &y)?.eval()?.to_vec::<f32>()?;
/// assert_eq!(z[0], 0.5);
/// assert_eq!(z[1], -8.0);
/// assert!(z[2].is_nan());
/// assert_eq!(z[3], f32::INFINITY);
/// # Ok::<(), ferrax::Error>(())
/// ```
pub fn pow(x: &Tensor, y: &Tensor) -> Result<Tensor> {
    let (xb, yb) = float_pair("pow", x, y)?;
    match x.dtype() {
        DType::F32 => pow::pow_f32(&xb, &yb),
        d @ (DType::F16 | DType::BF16) => {
            pow::pow_f32(&to_f32_exact(&xb)?, &to_f32_exact(&yb)?)?.convert(d)
        }
        _ => x.pow(y),
    }
}

/// `log(x)` as the C library computes it, where jaxlib's XLA calls it: a `log` that XLA
/// leaves alone in a kernel of its own is emitted as a call of `logf` per element, while a
/// fused `log` (and the plugin's `log` op) is XLA's own polynomial; the two differ in the
/// last bit for some arguments.
///
/// - f32: glibc's `logf` algorithm spelled out with f64 graph ops (see the `logf`
///   submodule), special cases included;
/// - f16 and bf16: computed in f32 and rounded;
/// - f64: the plugin's `log`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax_random::special::log_libm;
///
/// let x = Tensor::from_vec(vec![1.0f32, 0.0, -1.0, f32::INFINITY], [4])?;
/// let y = log_libm(&x)?.eval()?.to_vec::<f32>()?;
/// assert_eq!(y[0], 0.0);
/// assert_eq!(y[1], f32::NEG_INFINITY);
/// assert!(y[2].is_nan());
/// assert_eq!(y[3], f32::INFINITY);
/// # Ok::<(), ferrax::Error>(())
/// ```
pub fn log_libm(x: &Tensor) -> Result<Tensor> {
    float_check("log_libm", x)?;
    match x.dtype() {
        DType::F32 => logf::log_f32(x),
        d @ (DType::F16 | DType::BF16) => logf::log_f32(&x.convert(DType::F32)?)?.convert(d),
        _ => x.log(),
    }
}

/// `log(x)` where jaxlib's XLA computes it in a kernel of its own (a `log` that no fusion
/// takes, such as `dirichlet`'s `log(V)`), f32. That kernel works on tiles of 16 elements;
/// an array of at most 16 is a single tile whose width LLVM knows, and it splits the
/// vector `log` into 8 lanes and a rest. Full groups of 8 and a rest of 1, 2 or 4 lanes get
/// XLA's polynomial (as the plugin's `log` does); a rest of 3, 5, 6 or 7 lanes calls the C
/// library's `logf` on each ([`log_libm`]). Larger arrays are XLA's polynomial throughout.
/// (Measured on jaxlib 0.10.2 for every size from 1 to 40 and a few above.)
pub(crate) fn lone_log(x: &Tensor) -> Result<Tensor> {
    float_check("log", x)?;
    let n: usize = x.shape().iter().product();
    let rest = n % 8;
    if x.dtype() != DType::F32 || n > 16 || !matches!(rest, 3 | 5 | 6 | 7) {
        return x.log();
    }
    let flat = x.reshape([n])?;
    let head = n - rest;
    let tail = log_libm(&flat.slice_axis(0, head, n)?)?;
    let out = if head == 0 {
        tail
    } else {
        Tensor::concatenate(&[flat.slice_axis(0, 0, head)?.log()?, tail], 0)?
    };
    out.reshape(x.shape().to_vec())
}

/// [`pow`] where JAX's exponent may be a compile-time constant of its program (a Python
/// number reaching a jitted sampler): `value` is then the exponent's f32 value (the tensor
/// `y` holds it too), otherwise `None`. jaxlib's XLA rewrites an f32 `x ** e` for `e` in
/// {0, 1, 2, 3, -1} (to `1`, `x`, `x * x`, `x * x * x` and `1 / x`) and calls `powf`
/// otherwise, except that LLVM turns a vectorised `x ** 0.5` into a square root (`+0` at
/// `-0`, `+inf` at `-inf`): for arrays of two or more elements (measured on jaxlib 0.10.2;
/// a single element stays a `powf` call). The plugin's XLA rewrites a different set, so
/// these rewrites are spelled out here.
pub(crate) fn pow_const(x: &Tensor, y: &Tensor, value: Option<f32>) -> Result<Tensor> {
    x.check()?;
    let e = match value {
        Some(e) if matches!(x.dtype(), DType::F32 | DType::F16) => e,
        _ => return pow(x, y),
    };
    if e == 0.0 {
        Ok(Tensor::full(x.dtype(), x.shape().to_vec(), 1.0))
    } else if e == 1.0 {
        Ok(x.clone())
    } else if e == 2.0 {
        x.mul(x)
    } else if e == 3.0 {
        x.mul(x)?.mul(x)
    } else if e == -1.0 {
        Tensor::scalar_like(x.dtype(), 1.0).div(x)
    } else if e == 0.5 && x.shape().iter().product::<usize>() >= 2 {
        let root = x.sqrt()?.abs()?;
        let neg_inf = x.eq(&Tensor::scalar_like(x.dtype(), f64::NEG_INFINITY))?;
        Tensor::select(
            &neg_inf,
            &Tensor::scalar_like(x.dtype(), f64::INFINITY),
            &root,
        )
    } else {
        pow(x, y)
    }
}

/// `log1p` as jaxlib 0.10.2's XLA computes it on CPU, bit for bit.
///
/// - f32: jaxlib's XLA takes `log(1 + x)` (the sum rounded to f32, then its `log`) for
///   `|x| >= sqrt(2) - 1` and a rational approximation below that. The XLA CPU plugin's
///   own `log1p` agrees below the threshold but is more accurate above it, differing in
///   1-2 ulp for about 10% of those inputs; it also evaluates that large branch with a
///   scalar C-library `logf` call per element, which stops the surrounding loop from
///   being vectorised. So both branches are spelled out here: the rational function
///   (with XLA's evaluation order and fused multiply-adds) and `log(x + 1)`.
/// - f16: jaxlib computes it in f32 and rounds; the plugin's own f16 `log1p` differs from
///   that in 1 ulp for about 4% of inputs, so the upcast is spelled out.
/// - bf16 and f64: the plugin's `log1p` already gives jaxlib's bits.
///
/// Samplers call this rather than `Tensor::log1p` (`maxwell` and `lognormal` keep the
/// plugin's op for the small branch; see `Log1pForm`). Checked against jaxlib exhaustively
/// over all f16 and bf16 values, and over 6.6 million f32 bit patterns (the whole bit
/// space on a stride plus dense sweeps of the branch ranges;
/// `scripts/golden_special.py`, `tests/special_golden.rs`).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax_random::special::log1p;
///
/// let x = Tensor::from_vec(vec![0.0f32, 0.25, -0.5, -1.0], [4])?;
/// let y = log1p(&x)?.eval()?.to_vec::<f32>()?;
/// assert_eq!(y[0], 0.0);
/// assert!((y[1] - 0.25f32.ln_1p()).abs() < 1e-7);
/// assert!((y[2] - (-0.5f32).ln_1p()).abs() < 1e-7);
/// assert_eq!(y[3], f32::NEG_INFINITY);
/// # Ok::<(), ferrax::Error>(())
/// ```
pub fn log1p(x: &Tensor) -> Result<Tensor> {
    log1p_in(x, Log1pForm::Expanded)
}

/// How the f32 `log1p` inside a sampler is emitted. Both forms give jaxlib's bits for
/// `log1p` itself; they differ in the code the XLA CPU plugin generates around them.
///
/// The plugin's own op evaluates its large branch as a scalar C-library `logf` call per
/// element, for every element, even inside a vectorised loop; the expanded form has no
/// call, so the whole sampler vectorises (a 1e6-element `normal` takes 2.2 ms instead of
/// 3.2 ms). Every sampler uses the expanded form except two whose surrounding code the
/// plugin then compiles differently from jaxlib, measured against JAX:
/// - `maxwell` (and `double_sided_maxwell`): with no call in the loop, LLVM vectorises the
///   3-term sum of squares into a re-associated vector reduction (1 ulp on most draws);
/// - `lognormal` with an array `sigma`: its 3-element `exp` loop is vectorised at width 2,
///   where the plugin calls the C library's `expf` instead of XLA's polynomial (1 ulp).
///
/// Those two keep the plugin's op, which is the program JAX emits.
#[derive(Clone, Copy)]
pub(crate) enum Log1pForm {
    /// Both branches as graph ops.
    Expanded,
    /// The plugin's own `log1p` op for the small branch.
    Op,
}

pub(crate) fn log1p_in(x: &Tensor, form: Log1pForm) -> Result<Tensor> {
    match x.dtype() {
        DType::F32 => log1p_f32(x, form),
        DType::F16 => log1p_f32(&x.convert(DType::F32)?, form)?.convert(DType::F16),
        _ => x.log1p(),
    }
}

/// sqrt(2) - 1 rounded to f32: jaxlib's XLA switches `log1p` to `log(1 + x)` at
/// `|x| >= SQRT2_MINUS_1_F32` (an ordered `<` on the f32 constant, so NaN takes the
/// `log` branch, which propagates it).
#[allow(clippy::excessive_precision)]
const SQRT2_MINUS_1_F32: f32 = 0.414_213_562_373_095_05;

fn log1p_f32(x: &Tensor, form: Log1pForm) -> Result<Tensor> {
    let small = x.abs()?.lt(&c(x, SQRT2_MINUS_1_F32 as f64))?;
    // `x` passes through an identity XLA cannot see through, so that the sum is formed
    // from the rounded `x` in every surrounding program (no contraction with whatever
    // produced `x`).
    let xo = opaque(x, &x.bitcast(DType::U32)?)?;
    let large = xo.add(&c(x, 1.0))?.log()?;
    let small_branch = match form {
        Log1pForm::Expanded => log1p_small_f32(x)?,
        Log1pForm::Op => x.log1p()?,
    };
    Tensor::select(&small, &small_branch, &large)
}

/// Denominator coefficients of jaxlib's small-argument f32 `log1p`, highest degree
/// first after the leading 1 (f32 bit patterns).
const LOG1P_DEN_F32: [u32; 6] = [
    0x4171_01ad,
    0x42a6_185b,
    0x435d_c32d,
    0x439a_8ca3,
    0x4358_6d8a,
    0x4270_7982,
];
/// Numerator coefficients of the same rational function, highest degree first.
const LOG1P_NUM_F32: [u32; 7] = [
    0x383d_e04b,
    0x3eff_40c5,
    0x40d2_84fa,
    0x41ef_4b9c,
    0x4273_cc76,
    0x4264_73ad,
    0x41a0_5101,
];

/// jaxlib's f32 `log1p` for `|x| < sqrt(2) - 1`: `x + (x²·(-1/2) + x³·N(x)/D(x))`, the
/// rational function evaluated by Horner's rule from `x·0 + c0` (which keeps NaN and
/// infinities as XLA's own expansion does), with the fused multiply-adds jaxlib's LLVM
/// forms: every Horner step, and `x²·(-1/2) + cubic` contracted on `x²`.
///
/// That last sum is the delicate one. With both terms plain products, LLVM canonicalises
/// the operand order of the `fadd` by how deep each operand's computation is, and then
/// contracts whichever product comes first; the depth depends on what XLA fused into the
/// same loop, so the choice (and the last bit) moved with the surrounding program (seen in
/// `normal(..) * stddev` initialisers). Making the cubic term and the `-1/2` opaque
/// ([`opaque`]) leaves `x²·(-1/2)` the only product, so the contraction is the same in
/// every program; an opaque `-1/2` also stops LLVM from rewriting the sum into
/// `cubic - x²·(1/2)`.
fn log1p_small_f32(x: &Tensor) -> Result<Tensor> {
    let k = |bits: u32| Tensor::scalar(f32::from_bits(bits));
    let x0 = x.mul(&c(x, 0.0))?;
    let mut den = x0.add(&c(x, 1.0))?;
    for &b in &LOG1P_DEN_F32 {
        den = den.mul(x)?.add(&k(b))?;
    }
    let mut num = x0.add(&k(LOG1P_NUM_F32[0]))?;
    for &b in &LOG1P_NUM_F32[1..] {
        num = num.mul(x)?.add(&k(b))?;
    }
    let x2 = x.mul(x)?;
    let r = x.bitcast(DType::U32)?;
    let cubic = opaque(&x.mul(&x2)?.mul(&num.div(&den)?)?, &r)?;
    let half = opaque(&c(x, -0.5), &r)?;
    x.add(&x2.mul(&half)?.add(&cubic)?)
}

/// An f16 or bf16 tensor's values as f32 (other dtypes converted plainly). For bf16 they
/// are read from the bits: the plugin's XLA folds `f32(bf16(v))` to `v` when `v` was
/// computed in f32 ("excess precision"), which skips a rounding that jaxlib performs.
pub(crate) fn to_f32_exact(x: &Tensor) -> Result<Tensor> {
    if x.dtype() != DType::BF16 {
        return x.convert(DType::F32);
    }
    x.bitcast(DType::U16)?
        .convert(DType::U32)?
        .shift_left(&Tensor::scalar(16u32))?
        .bitcast(DType::F32)
}

/// `c` (a float scalar or array) made opaque to XLA's compile-time simplifications by a
/// dependence on the run-time value `r` (any u32 tensor that broadcasts): the result is
/// `min(c, |float(r)| + inf)`, which is `c` for every `c` (NaN and infinities included),
/// but which XLA cannot fold. JAX passes a sampler's Python-scalar parameters to its jitted
/// internals as run-time arguments; where XLA would otherwise special-case a constant
/// (`pow(x, 0.5)` becomes `sqrt(x)`, constant subexpressions are folded and re-associated),
/// this keeps the computation JAX's.
pub(crate) fn opaque(c: &Tensor, r: &Tensor) -> Result<Tensor> {
    let d = c.dtype();
    let big = r
        .convert(d)?
        .abs()?
        .add(&Tensor::scalar_like(d, f64::INFINITY))?;
    c.minimum(&big)
}

/// `x` as a value of its own: a rounded result that the plugin's compiler cannot contract
/// into a following add or regroup with its neighbours ([`opaque`] of `x` on itself).
/// Where jaxlib's code rounds every op (YNNPACK, or a multiply-add spelled out),
/// intermediate results go through this.
pub(crate) fn rounded(x: &Tensor) -> Result<Tensor> {
    opaque(x, x)
}

/// `a / b` where JAX's `b` is broadcast to `a`'s shape. jaxlib's XLA rewrites
/// `A / broadcast(B)` into `A * broadcast(1 / B)`, which rounds differently from a true
/// division; the XLA CPU plugin does not, so the rewritten form is emitted here. A `b` of
/// `a`'s own shape is divided exactly, as in XLA.
pub(crate) fn div_bcast(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    a.check()?;
    b.check()?;
    if b.shape() == a.shape() {
        return a.div(b);
    }
    let one = Tensor::scalar_like(b.dtype(), 1.0);
    a.mul(&one.div(b)?)
}

// The coefficients are written as published (in StableHLO's CHLO legalisation); the f32
// ones are rounded to f32 by the compiler exactly as the C++ `float` literals are.
// Coefficients of the single-precision inverse error function (M. Giles, "Approximating
// the erfinv function"), in the order the CHLO legalisation evaluates them (Horner from the
// highest degree). Central region (w < 5), then tail region.
#[allow(clippy::excessive_precision)]
const ERFINV32_CENTRAL: [f32; 9] = [
    2.810_226_36e-08,
    3.432_739_39e-07,
    -3.523_387_7e-06,
    -4.391_506_54e-06,
    0.000_218_580_87,
    -0.001_253_725_03,
    -0.004_177_681_64,
    0.246_640_727,
    1.501_409_41,
];
#[allow(clippy::excessive_precision)]
const ERFINV32_TAIL: [f32; 9] = [
    -0.000_200_214_257,
    0.000_100_950_558,
    0.001_349_343_22,
    -0.003_673_428_44,
    0.005_739_507_73,
    -0.007_622_461_3,
    0.009_438_870_47,
    1.001_674_06,
    2.832_976_82,
];

// Double precision (Giles): three regions w < 6.25, w < 16, otherwise.
#[allow(clippy::excessive_precision)]
const ERFINV64_LT_6_25: [f64; 23] = [
    -3.644_412_064_017_819_7e-21,
    -1.685_059_138_182_016_6e-19,
    1.285_848_071_525_640_0e-18,
    1.115_787_767_802_518_1e-17,
    -1.333_171_662_854_620_9e-16,
    2.097_276_787_596_856_2e-17,
    6.637_638_134_358_323_8e-15,
    -4.054_566_272_975_206_9e-14,
    -8.151_934_197_605_472_2e-14,
    2.633_509_315_308_232_3e-12,
    -1.297_513_325_345_353_2e-11,
    -5.415_412_054_294_628e-11,
    1.051_212_273_321_532_3e-09,
    -4.112_633_980_346_983_7e-09,
    -2.907_036_995_788_200_5e-08,
    4.234_787_782_793_240_4e-07,
    -1.365_469_200_083_467_9e-06,
    -1.388_252_336_278_646_9e-05,
    0.000_186_734_208_034_057_14,
    -0.000_740_702_534_166_266_98,
    -0.006_033_670_871_430_149,
    0.240_158_182_425_589_62,
    1.653_654_562_683_102_7,
];
#[allow(clippy::excessive_precision)]
const ERFINV64_LT_16: [f64; 19] = [
    2.213_737_692_177_578_7e-09,
    9.075_656_193_888_539e-08,
    -2.751_740_629_706_454_5e-07,
    1.823_962_921_438_922_8e-08,
    1.502_740_396_890_982_8e-06,
    -4.013_867_526_981_546e-06,
    2.923_444_908_995_544_6e-06,
    1.247_530_448_167_177_9e-05,
    -4.731_822_900_905_573_4e-05,
    6.828_485_145_957_317_5e-05,
    2.403_111_038_709_789_4e-05,
    -0.000_355_037_520_362_847_48,
    0.000_953_289_379_737_380_5,
    -0.001_688_275_556_023_504_7,
    0.002_491_442_096_107_850_8,
    -0.003_751_208_507_569_241,
    0.005_370_914_553_590_064,
    1.005_258_967_694_159_2,
    3.083_885_610_492_220_8,
];
#[allow(clippy::excessive_precision)]
const ERFINV64_GE_16: [f64; 17] = [
    -2.710_992_061_643_857_3e-11,
    -2.555_641_816_996_525_2e-10,
    1.507_657_269_350_054_8e-09,
    -3.789_465_440_126_737e-09,
    7.615_701_208_078_339e-09,
    -1.496_002_662_714_924e-08,
    2.914_795_345_090_108e-08,
    -6.771_199_775_845_234e-08,
    2.290_048_222_802_665_5e-07,
    -9.929_827_294_231_7e-07,
    4.526_062_597_223_154e-06,
    -1.968_177_810_553_167e-05,
    7.599_527_703_001_776e-05,
    -0.000_215_030_119_300_444_77,
    -0.000_138_719_318_336_231_22,
    1.010_300_464_864_534_4,
    4.849_906_401_408_584_4,
];

/// Elementwise inverse error function, computed exactly as XLA computes `chlo.erf_inv`
/// (the StableHLO CHLO legalisation): `w = -log1p(-x*x)`, then Giles' polynomial in
/// `w - 2.5` or `sqrt(w) - 3` (f32: 9 terms; f64: three regions of 23, 19 and 17 terms),
/// times `x`, with `erf_inv(+-1) = +-inf`. f16 and bf16 are computed in f32 and rounded.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax_random::special::erf_inv;
/// let x = Tensor::from_vec(vec![0.0f32, 0.5, -1.0], [3])?;
/// let y = erf_inv(&x)?.eval()?.to_vec::<f32>()?;
/// assert_eq!(y[0], 0.0);
/// assert!((y[1] - 0.476_936_3).abs() < 1e-6);
/// assert_eq!(y[2], f32::NEG_INFINITY);
/// # Ok::<(), ferrax::Error>(())
/// ```
pub fn erf_inv(x: &Tensor) -> Result<Tensor> {
    erf_inv_in(x, Log1pForm::Expanded)
}

/// [`erf_inv`] with the `log1p` emitted in `form`.
pub(crate) fn erf_inv_in(x: &Tensor, form: Log1pForm) -> Result<Tensor> {
    float_check("erf_inv", x)?;
    match x.dtype() {
        DType::F64 => erf_inv64(x),
        DType::F32 => erf_inv32(x, form),
        d => erf_inv32(&x.convert(DType::F32)?, form)?.convert(d),
    }
}

fn erf_inv_w(x: &Tensor, form: Log1pForm) -> Result<Tensor> {
    // Always f32 or f64 here; the legalisation emits a plain log1p, which `log1p` above
    // computes as jaxlib's XLA does.
    log1p_in(&x.mul(&x.neg()?)?, form)?.neg()
}

fn erf_inv_edges(x: &Tensor, p: &Tensor) -> Result<Tensor> {
    let result = p.mul(x)?;
    let at_one = x.abs()?.eq(&c(x, 1.0))?;
    let inf = x.mul(&c(x, f64::INFINITY))?;
    Tensor::select(&at_one, &inf, &result)
}

fn erf_inv32(x: &Tensor, form: Log1pForm) -> Result<Tensor> {
    let w = erf_inv_w(x, form)?;
    let lt = w.lt(&c(x, 5.0))?;
    let coef = |i: usize| {
        Tensor::select(
            &lt,
            &c(x, ERFINV32_CENTRAL[i] as f64),
            &c(x, ERFINV32_TAIL[i] as f64),
        )
    };
    let w = Tensor::select(&lt, &w.sub(&c(x, 2.5))?, &w.sqrt()?.sub(&c(x, 3.0))?)?;
    let mut p = coef(0)?;
    for i in 1..ERFINV32_CENTRAL.len() {
        p = coef(i)?.add(&p.mul(&w)?)?;
    }
    erf_inv_edges(x, &p)
}

fn erf_inv64(x: &Tensor) -> Result<Tensor> {
    // f64 `log1p` is the plugin's op whatever the form.
    let w = erf_inv_w(x, Log1pForm::Op)?;
    let lt625 = w.lt(&c(x, 6.25))?;
    let lt16 = w.lt(&c(x, 16.0))?;
    let coef = |i: usize| -> Result<Tensor> {
        let mut k = c(x, ERFINV64_LT_6_25[i]);
        if i < ERFINV64_LT_16.len() {
            k = Tensor::select(&lt625, &k, &c(x, ERFINV64_LT_16[i]))?;
        }
        if i < ERFINV64_GE_16.len() {
            k = Tensor::select(&lt16, &k, &c(x, ERFINV64_GE_16[i]))?;
        }
        Ok(k)
    };
    let sqrt_w = w.sqrt()?;
    let w_minus = w.sub(&c(x, 3.125))?;
    let shift = Tensor::select(&lt16, &c(x, 3.25), &c(x, 5.0))?;
    let w = Tensor::select(&lt625, &w_minus, &sqrt_w.sub(&shift)?)?;
    let mut p = coef(0)?;
    for i in 1..17 {
        p = coef(i)?.add(&p.mul(&w)?)?;
    }
    for i in 17..19 {
        p = Tensor::select(&lt16, &coef(i)?.add(&p.mul(&w)?)?, &p)?;
    }
    for i in 19..23 {
        p = Tensor::select(&lt625, &coef(i)?.add(&p.mul(&w)?)?, &p)?;
    }
    erf_inv_edges(x, &p)
}

/// Elementwise `nextafter(x, y)` (`jax.lax.nextafter`, `chlo.next_after`): the next float
/// after `x` in the direction of `y`, computed on the bit patterns. `x` and `y` broadcast.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax_random::special::nextafter;
/// let x = Tensor::from_vec(vec![1.0f32, -1.0, 0.0], [3])?;
/// let up = nextafter(&x, &Tensor::scalar(f32::INFINITY))?.eval()?.to_vec::<f32>()?;
/// assert_eq!(up, vec![1.0 + f32::EPSILON, -0.99999994, f32::from_bits(1)]);
/// # Ok::<(), ferrax::Error>(())
/// ```
pub fn nextafter(x: &Tensor, y: &Tensor) -> Result<Tensor> {
    let (x, y) = float_pair("nextafter", x, y)?;
    let bits = x.dtype().bit_width();
    let ut = x
        .dtype()
        .unsigned_of_same_width()
        .ok_or_else(|| Error::dtype("nextafter", "no integer type of this width"))?;
    let xi = x.bitcast(ut)?;
    let yi = y.bitcast(ut)?;
    let k = |v: u64| uconst(ut, v);
    let sign = 1u64 << (bits - 1);
    let nan_in = x.ne(&x)?.bitor(&y.ne(&y)?)?;
    let nan_bits = c(&x, f64::NAN).bitcast(ut)?;
    let xabs = xi.bitand(&k(sign - 1))?;
    let yabs = yi.bitand(&k(sign - 1))?;
    let equal = x.eq(&y)?;
    let zero = uconst(ut, 0);
    let x_zero = xabs.eq(&zero)?;
    let y_zero = yabs.eq(&zero)?;
    let xsign = xi.bitand(&k(sign))?;
    let ysign = yi.bitand(&k(sign))?;
    let tiny = ysign.bitor(&k(1))?;
    let smaller = xabs.gt(&yabs)?.bitor(&xsign.ne(&ysign)?)?;
    let stepped = Tensor::select(&smaller, &xi.sub(&k(1))?, &xi.add(&k(1))?)?;
    let r = Tensor::select(&x_zero, &Tensor::select(&y_zero, &yi, &tiny)?, &stepped)?;
    let r = Tensor::select(&equal, &yi, &r)?;
    let r = Tensor::select(&nan_in, &nan_bits, &r)?;
    r.bitcast(x.dtype())
}

/// `jnp.argmax(x, axis)`: the index of the first maximum along `axis` (NaN counts as the
/// maximum), as `index_dtype`. Emits the same variadic `reduce` JAX does.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax_random::special::argmax;
/// let x = Tensor::from_vec(vec![1.0f32, 3.0, 3.0, 0.0, -1.0, 2.0], [2, 3])?;
/// let i = argmax(&x, 1, DType::I32)?.eval()?.to_vec::<i32>()?;
/// assert_eq!(i, vec![1, 2]);
/// # Ok::<(), ferrax::Error>(())
/// ```
pub fn argmax(x: &Tensor, axis: usize, index_dtype: DType) -> Result<Tensor> {
    x.check()?;
    if axis >= x.rank() {
        return Err(Error::invalid(
            "argmax",
            format!("axis {axis} out of range for rank {}", x.rank()),
        ));
    }
    let idx = Tensor::iota(index_dtype, x.shape().to_vec(), axis)?;
    let init_v = if x.dtype().is_float() {
        c(x, f64::NEG_INFINITY)
    } else {
        Tensor::constant(ferrax_ir::ReduceKind::Max.init(x.dtype()))
    };
    let init_i = Tensor::scalar_like(index_dtype, 0.0);
    let float = x.dtype().is_float();
    let out = Tensor::reduce_multi(&[x.clone(), idx], &[init_v, init_i], &[axis], |a, b| {
        let (av, ai, bv, bi) = (&a[0], &a[1], &b[0], &b[1]);
        let mut pick_a = av.gt(bv)?;
        if float {
            pick_a = pick_a.bitor(&av.ne(av)?)?;
        }
        let tie = av.eq(bv)?.bitand(&ai.lt(bi)?)?;
        let pick_ai = pick_a.bitor(&tie)?;
        Ok(vec![
            Tensor::select(&pick_a, av, bv)?,
            Tensor::select(&pick_ai, ai, bi)?,
        ])
    })?;
    out.into_iter()
        .nth(1)
        .ok_or_else(|| Error::invalid("argmax", "reduce returned no index"))
}

/// `jnp.cumsum(x, axis)` as JAX lowers it on CPU: a `reduce_window` sum over a window of
/// the axis's full length with that length minus one of low padding.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax_random::special::cumsum;
/// let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], [3])?;
/// assert_eq!(cumsum(&x, 0)?.eval()?.to_vec::<f32>()?, vec![1.0, 3.0, 6.0]);
/// # Ok::<(), ferrax::Error>(())
/// ```
pub fn cumsum(x: &Tensor, axis: usize) -> Result<Tensor> {
    x.check()?;
    let r = x.rank();
    if axis >= r {
        return Err(Error::invalid(
            "cumsum",
            format!("axis {axis} out of range for rank {r}"),
        ));
    }
    let n = x.shape()[axis];
    if n == 0 {
        return Ok(x.clone());
    }
    let mut window = vec![1; r];
    window[axis] = n;
    let mut padding = vec![(0i64, 0i64); r];
    padding[axis] = (n as i64 - 1, 0);
    x.reduce_window(
        ferrax_ir::ReduceKind::Sum,
        WindowAttrs {
            window_dimensions: window,
            window_strides: vec![1; r],
            base_dilations: vec![1; r],
            window_dilations: vec![1; r],
            padding,
        },
    )
}

/// A key whose unsigned order is the IEEE total order of `x` (as StableHLO's `TOTALORDER`
/// comparison): negative floats have all non-sign bits flipped.
fn total_order_key(x: &Tensor) -> Result<Tensor> {
    let bits = x.dtype().bit_width();
    let (st, ut) = match bits {
        16 => (DType::I16, DType::U16),
        32 => (DType::I32, DType::U32),
        _ => (DType::I64, DType::U64),
    };
    let i = x.bitcast(st)?;
    let neg = i.shift_right_arithmetic(&Tensor::scalar_like(st, (bits - 1) as f64))?;
    // neg is all ones for negative values: flip the magnitude bits, then shift the signed
    // order onto the unsigned one by flipping the sign bit.
    let mag_mask = neg.bitcast(ut)?.shift_right_logical(&uconst(ut, 1))?;
    let flipped = i.bitcast(ut)?.bitxor(&mag_mask)?;
    flipped.bitxor(&uconst(ut, 1u64 << (bits - 1)))
}

/// `lax.top_k(x, k)` along the last axis: the `k` largest values (IEEE total order,
/// ties to the lower index) and their indices (i32), as a stable descending sort.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax_random::special::top_k;
/// let x = Tensor::from_vec(vec![0.5f32, 2.0, -1.0, 2.0], [4])?;
/// let (v, i) = top_k(&x, 2)?;
/// assert_eq!(v.eval()?.to_vec::<f32>()?, vec![2.0, 2.0]);
/// assert_eq!(i.eval()?.to_vec::<i32>()?, vec![1, 3]);
/// # Ok::<(), ferrax::Error>(())
/// ```
pub fn top_k(x: &Tensor, k: usize) -> Result<(Tensor, Tensor)> {
    x.check()?;
    let r = x.rank();
    if r == 0 {
        return Err(Error::shape("top_k", "operand must have rank >= 1"));
    }
    let n = x.shape()[r - 1];
    if k > n {
        return Err(Error::invalid(
            "top_k",
            format!("k ({k}) must not exceed the last dimension ({n})"),
        ));
    }
    let idx = Tensor::iota(DType::I32, x.shape().to_vec(), r - 1)?;
    let sort_key = if x.dtype().is_float() {
        total_order_key(x)?
    } else {
        x.clone()
    };
    let sorted = Tensor::sort_multi(&[sort_key, x.clone(), idx], r - 1, true, |a, b| {
        a[0].gt(&b[0])
    })?;
    let mut limit = x.shape().to_vec();
    limit[r - 1] = k;
    let start = vec![0; r];
    let strides = vec![1; r];
    let v = sorted[1].slice(&start, &limit, &strides)?;
    let i = sorted[2].slice(&start, &limit, &strides)?;
    Ok((v, i))
}

/// `jnp.searchsorted(a, v)` (side `"left"`) for a sorted 1-D `a`: for each element of `v`
/// the number of elements of `a` less than it, as `index_dtype`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax_random::special::searchsorted;
/// let a = Tensor::from_vec(vec![0.1f32, 0.5, 0.5, 0.9], [4])?;
/// let v = Tensor::from_vec(vec![0.0f32, 0.5, 0.7, 1.0], [4])?;
/// let i = searchsorted(&a, &v, DType::I32)?.eval()?.to_vec::<i32>()?;
/// assert_eq!(i, vec![0, 1, 3, 4]);
/// # Ok::<(), ferrax::Error>(())
/// ```
pub fn searchsorted(a: &Tensor, v: &Tensor, index_dtype: DType) -> Result<Tensor> {
    a.check()?;
    v.check()?;
    if a.rank() != 1 {
        return Err(Error::shape("searchsorted", "a must be 1-D"));
    }
    let n = a.shape()[0];
    let vr = v.rank();
    let mut shape = v.shape().to_vec();
    shape.push(n);
    let mut dims: Vec<usize> = (0..vr).collect();
    let vb = v.broadcast_in_dim(shape.clone(), &dims)?;
    dims.clear();
    dims.push(vr);
    let ab = a.broadcast_in_dim(shape, &dims)?;
    ab.lt(&vb)?.convert(index_dtype)?.sum(&[vr])
}
