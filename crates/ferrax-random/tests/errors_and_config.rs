//! Errors are values, never panics: key arrays where a single key is needed, bad key data,
//! shapes that do not fit the parameters, dtypes a sampler does not allow. And the
//! configuration scopes.

use ferrax::prelude::*;
use ferrax_random::{
    self as random, config, BernoulliOpts, CategoricalOpts, ChoiceOpts, SampleOpts, UniformOpts,
};

fn err<T: std::fmt::Debug>(r: ferrax::Result<T>) -> String {
    r.expect_err("expected an error").to_string()
}

#[test]
fn key_arrays_are_rejected_like_jax() {
    let keys = random::split(&random::key(0), 2).unwrap();
    let e = err(random::split(&keys, 2));
    assert!(
        e.contains("split accepts a single key") && e.contains("vmap"),
        "{e}"
    );
    assert!(err(random::bits(&keys, &[2], None)).contains("bits accepts a single key"));
    assert!(err(random::fold_in(&keys, 1)).contains("fold_in accepts a single key"));
    assert!(err(random::normal(&keys, &[2], None)).contains("accepts a single key"));
    assert!(err(random::uniform(&keys, &[2], UniformOpts::default())).contains("single key"));
    assert!(err(random::permutation(&keys, 3, Default::default())).contains("single key"));
    // key_data and wrap_key_data take key arrays of any shape.
    let d = random::key_data(&keys);
    assert_eq!(random::wrap_key_data(&d).unwrap().shape(), &[2]);
    assert!(keys.get(2).is_err());
    assert!(random::key(0).get(0).is_err());
}

#[test]
fn bad_key_data() {
    let f = Tensor::zeros(DType::F32, [2]);
    assert!(err(random::wrap_key_data(&f)).contains("dtype"));
    let i = Tensor::zeros(DType::I32, [3, 2]);
    assert!(err(random::wrap_key_data(&i)).contains("u32"));
    let three = Tensor::zeros(DType::U32, [4, 3]);
    assert!(err(random::wrap_key_data(&three)).contains("end with (2,)"));
    let scalar = Tensor::scalar(0u32);
    assert!(err(random::wrap_key_data(&scalar)).contains("ndim"));
    assert!(err(random::key_from_tensor(&Tensor::scalar(1.5f32))).contains("integer"));
    let v = Tensor::zeros(DType::I32, [2]);
    assert!(err(random::key_from_tensor(&v)).contains("scalar seed"));
    assert!(err(random::fold_in(&random::key(0), -1)).contains("out of bounds"));
    assert!(err(random::fold_in(&random::key(0), 1i64 << 32)).contains("out of bounds"));
    assert!(err(random::fold_in(&random::key(0), 0.5)).contains("integer"));
}

#[test]
fn shapes_must_fit_parameters() {
    let k = random::key(0);
    let two = Tensor::zeros(DType::F32, [2]);
    let e = err(random::truncated_normal(
        &k,
        &two,
        1.0,
        SampleOpts::default().shape(&[3]),
    ));
    assert!(e.contains("broadcast"), "{e}");
    let e = err(random::bernoulli(
        &k,
        Tensor::full(DType::F32, [2], 0.5),
        BernoulliOpts::default().shape(&[3]),
    ));
    assert!(e.contains("broadcast"), "{e}");
    // A parameter of a larger shape than `shape` must not silently grow the sample.
    let e = err(random::pareto(
        &k,
        Tensor::ones(DType::F32, [2, 3]),
        SampleOpts::default().shape(&[3]),
    ));
    assert!(e.contains("broadcast"), "{e}");
    let e = err(random::uniform(
        &k,
        &[3],
        UniformOpts::default().minval(Tensor::zeros(DType::F32, [2, 3])),
    ));
    assert!(e.contains("shape"), "{e}");
    let e = err(random::randint(
        &k,
        &[3],
        Tensor::zeros(DType::I32, [2]),
        5,
        None,
    ));
    assert!(e.contains("broadcast"), "{e}");
    // Without a shape, the parameters' broadcast shape is used.
    let x = random::rayleigh(&k, Tensor::ones(DType::F32, [2, 1]), SampleOpts::default()).unwrap();
    assert_eq!(x.shape(), &[2, 1]);
}

#[test]
fn dtypes_must_fit_the_sampler() {
    let k = random::key(0);
    assert!(err(random::normal(&k, &[2], Some(DType::I32))).contains("float"));
    assert!(err(random::uniform(
        &k,
        &[2],
        UniformOpts::default().dtype(DType::U8)
    ))
    .contains("float"));
    assert!(err(random::randint(&k, &[2], 0, 3, Some(DType::F32))).contains("integer"));
    assert!(err(random::bits(&k, &[2], Some(DType::I32))).contains("unsigned"));
    assert!(err(random::geometric(
        &k,
        0.5,
        SampleOpts::default().dtype(DType::F32)
    ))
    .contains("int"));
    let e = err(random::bernoulli(
        &k,
        Tensor::zeros(DType::I32, [2]),
        BernoulliOpts::default(),
    ));
    assert!(e.contains("floating"), "{e}");
    assert!(err(random::gumbel(
        &k,
        &[2],
        random::GumbelOpts::default().dtype(DType::I8)
    ))
    .contains("float"));
    assert!(err(random::permutation(&k, 2.5, Default::default())).contains("integer"));
    // JAX refuses to cast an f32 parameter to f16 in lognormal and friends.
    let e = err(random::lognormal(
        &k,
        Tensor::scalar(1.0f32),
        SampleOpts::default().dtype(DType::F16),
    ));
    assert!(e.contains("cannot safely cast"), "{e}");
}

#[test]
fn sampling_without_replacement_needs_enough_items() {
    let k = random::key(0);
    let e = err(random::choice(
        &k,
        3,
        &[5],
        ChoiceOpts::default().replace(false),
    ));
    assert!(e.contains("Cannot take a larger sample"), "{e}");
    let logits = Tensor::zeros(DType::F32, [3, 4]);
    let e = err(random::categorical(
        &k,
        &logits,
        CategoricalOpts::default().shape(&[5, 3]).replace(false),
    ));
    assert!(e.contains("cannot exceed number of categories"), "{e}");
    let p = Tensor::full(DType::F32, [4], 0.25);
    let e = err(random::choice(&k, 5, &[2], ChoiceOpts::default().p(&p)));
    assert!(e.contains("p must be None or a 1D vector"), "{e}");
    assert!(err(random::choice(&k, 0, &[2], ChoiceOpts::default())).contains("greater than 0"));
    // No draws: an empty result, whatever the population.
    let z = random::choice(&k, 0, &[0], ChoiceOpts::default()).unwrap();
    assert_eq!(z.shape(), &[0]);
}

#[test]
fn scopes_nest_and_restore() {
    assert!(config::threefry_partitionable());
    {
        let _a = config::threefry_partitionable_scope(false);
        assert!(!config::threefry_partitionable());
        {
            let _b = config::threefry_partitionable_scope(true);
            assert!(config::threefry_partitionable());
        }
        assert!(!config::threefry_partitionable());
        // Scopes are per thread.
        std::thread::spawn(|| assert!(config::threefry_partitionable()))
            .join()
            .unwrap();
    }
    assert!(config::threefry_partitionable());
    {
        let _x = config::enable_x64_scope(true);
        assert_eq!(config::default_float_dtype(), DType::F64);
        assert_eq!(random::key_data_of_seed(-1), [u32::MAX, u32::MAX]);
        let u = random::uniform(&random::key(0), &[2], UniformOpts::default()).unwrap();
        assert_eq!(u.dtype(), DType::F64);
    }
    assert_eq!(random::key_data_of_seed(-1), [0, u32::MAX]);
}

#[test]
fn layouts_differ_and_split_matches_fold_in() {
    // Partitionable: split(k, n)[i] == fold_in(k, i).
    let k = random::key(42);
    let ks = random::key_data(&random::split(&k, 3).unwrap());
    let f2 = random::key_data(&random::fold_in(&k, 2).unwrap());
    let all = ferrax::eval_many(&[ks, f2]).unwrap();
    let ks = all[0].to_vec::<u32>().unwrap();
    assert_eq!(&ks[4..6], all[1].to_vec::<u32>().unwrap().as_slice());
    let legacy = {
        let _l = config::threefry_partitionable_scope(false);
        random::key_data(&random::split(&k, 3).unwrap())
            .eval()
            .unwrap()
            .to_vec::<u32>()
            .unwrap()
    };
    assert_ne!(ks, legacy);
}

#[test]
fn special_functions_reject_bad_operands() {
    use ferrax_random::special;
    let f = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], [3]).unwrap();
    let i = Tensor::from_vec(vec![1i32, 2, 3], [3]).unwrap();
    let e = err(special::pow(&i, &i));
    assert!(e.contains("pow") && e.contains("float"), "{e}");
    let e = err(special::pow(&f, &Tensor::scalar(2.0f64)));
    assert!(e.contains("pow") && e.contains("dtype"), "{e}");
    let e = err(special::pow(
        &f,
        &Tensor::from_vec(vec![1.0f32, 2.0], [2]).unwrap(),
    ));
    assert!(e.contains("pow"), "{e}");
    let e = err(special::nextafter(&f, &Tensor::zeros(DType::F32, vec![4])));
    assert!(e.contains("nextafter"), "{e}");
    let e = err(special::log_libm(&i));
    assert!(e.contains("log_libm") && e.contains("float"), "{e}");
}
