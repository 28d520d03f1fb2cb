use ferrax_pjrt::*;
use std::time::Instant;
const TINY: &str = r#""builtin.module"() ({
  "func.func"() ({
  ^bb0(%arg0: tensor<2x3xf32>, %arg1: tensor<2x3xf32>):
    %0 = "stablehlo.add"(%arg0, %arg1) : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
    %1 = "stablehlo.dot_general"(%0, %arg1) {dot_dimension_numbers = #stablehlo.dot<lhs_contracting_dimensions = [1], rhs_contracting_dimensions = [1]>} : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x2xf32>
    "func.return"(%0, %1) : (tensor<2x3xf32>, tensor<2x2xf32>) -> ()
  }) {function_type = (tensor<2x3xf32>, tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<2x2xf32>), sym_name = "main", sym_visibility = "public"} : () -> ()
}) {sym_name = "tiny"} : () -> ()"#;
fn f32s(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}
fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let path = std::env::var("PLUGIN").unwrap_or_else(|_| {
        format!(
            "{}/.cache/ferrax/xla-cpu-pjrt-0.0.1/xla_cpu_pjrt.so",
            std::env::var("HOME").unwrap()
        )
    });
    let t = Instant::now();
    let p = Plugin::load(std::path::Path::new(&path))?;
    println!("load {:?} api {:?}", t.elapsed(), p.api_version());
    for (k, v) in p.attributes() {
        println!("  attr {k} = {v}");
    }
    let t = Instant::now();
    let c = Client::new(&p)?;
    println!(
        "client {:?} {} {}",
        t.elapsed(),
        c.platform_name(),
        c.platform_version()
    );
    println!("devices {:?}", c.devices()?);
    let t = Instant::now();
    let exe = c.probe_compile_unchecked(TINY)?;
    println!("compile {:?} outputs {}", t.elapsed(), exe.num_outputs());
    let e = exe.executable().unwrap();
    println!(
        "name {:?} types {:?} dims {:?}",
        e.name(),
        e.output_element_types(),
        e.output_dims()
    );
    let a = c.buffer_from_host(
        &f32s(&[1., 2., 3., 4., 5., 6.]),
        ElementType::F32,
        &[2, 3],
        None,
    )?;
    let b = c.buffer_from_host(&f32s(&[1.; 6]), ElementType::F32, &[2, 3], None)?;
    let mode = args.get(1).map(|s| s.as_str()).unwrap_or("");
    match mode {
        "count1" => {
            let r = exe.execute(&[&a]);
            println!("count1 -> {r:?}");
        }
        "count3" => {
            let r = exe.execute(&[&a, &b, &a]);
            println!("count3 -> {r:?}");
        }
        "count0" => {
            let r = exe.execute(&[]);
            println!("count0 -> {r:?}");
        }
        "dims" => {
            let x = c.buffer_from_host(&f32s(&[1.; 6]), ElementType::F32, &[3, 2], None)?;
            let r = exe.execute(&[&a, &x]);
            println!("dims -> {r:?}");
            if let Ok(o) = r {
                println!("{:?}", o[1].to_host());
            }
        }
        "size" => {
            let x = c.buffer_from_host(&f32s(&[1.; 4]), ElementType::F32, &[4], None)?;
            let r = exe.execute(&[&a, &x]);
            println!("size -> {r:?}");
            if let Ok(o) = r {
                println!("{:?}", o[1].to_host());
            }
        }
        "type" => {
            let x = c.buffer_from_host(&[0u8; 48], ElementType::F64, &[2, 3], None)?;
            let r = exe.execute(&[&a, &x]);
            println!("type -> {r:?}");
            if let Ok(o) = r {
                println!("{:?}", o[1].to_host());
            }
        }
        "type32" => {
            let x = c.buffer_from_host(&[0u8; 24], ElementType::S32, &[2, 3], None)?;
            let r = exe.execute(&[&a, &x]);
            println!("type32 -> {r:?}");
            if let Ok(o) = r {
                println!("{:?}", o[1].to_host());
            }
        }
        "dev1" => {
            let d = c.addressable_devices()?;
            let x = c.buffer_from_host(&f32s(&[1.; 6]), ElementType::F32, &[2, 3], Some(&d[1]))?;
            println!("x on {:?}", x.device());
            let r = exe.execute(&[&a, &x]);
            println!("dev1 -> {r:?}");
            if let Ok(o) = r {
                println!("{:?} on {:?}", o[1].to_host(), o[1].device());
            }
        }
        "badprog" => {
            let r = c.compile("this is not mlir");
            println!("badprog -> {:?}", r.err().map(|e| e.to_string()));
            let r = c.compile("func.func @main(%a: tensor<2xf32>) -> tensor<2xf32> { %0 = stablehlo.add %a, %b : tensor<2xf32> return %0 : tensor<2xf32> }");
            println!("badprog2 -> {:?}", r.err().map(|e| e.to_string()));
        }
        "zero" => {
            let x = c.buffer_from_host(&[], ElementType::F32, &[0, 3], None)?;
            println!(
                "zero {:?} {:?} {:?}",
                x.to_host(),
                x.read_in_place(|b| b.len()),
                x.on_device_size_in_bytes()
            );
            let s = c.buffer_from_host(&7i32.to_le_bytes(), ElementType::S32, &[], None)?;
            println!(
                "scalar {:?} {:?} {:?}",
                s.to_host(),
                s.read_in_place(|b| b.to_vec()),
                s.dims()
            );
            let p = c.buffer_from_host(&[1, 0, 1], ElementType::Pred, &[3], None)?;
            println!("pred {:?}", p.to_host());
        }
        _ => {}
    }
    let outs = exe.execute(&[&a, &b])?;
    for o in &outs {
        let v = o.to_host()?;
        let f: Vec<f32> = v
            .chunks(4)
            .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
            .collect();
        println!("{:?} {:?} ondev {:?}", o, f, o.on_device_size_in_bytes());
    }
    // timings
    let n = 20000;
    let mut ts = Vec::new();
    for _ in 0..n {
        let t = Instant::now();
        let o = exe.execute(&[&a, &b])?;
        let s: f32 =
            o[1].read_in_place(|bytes| f32::from_le_bytes(bytes[0..4].try_into().unwrap()))?;
        std::hint::black_box(s);
        ts.push(t.elapsed());
    }
    ts.sort();
    println!(
        "execute+read_in_place median {:?} p90 {:?}",
        ts[n / 2],
        ts[n * 9 / 10]
    );
    let mut ts = Vec::new();
    for _ in 0..n {
        let t = Instant::now();
        let o = exe.execute(&[&a, &b])?;
        let v = o[1].to_host()?;
        std::hint::black_box(v);
        ts.push(t.elapsed());
    }
    ts.sort();
    println!(
        "execute+to_host median {:?} p90 {:?}",
        ts[n / 2],
        ts[n * 9 / 10]
    );
    let mut ts = Vec::new();
    let data = f32s(&[1.; 6]);
    for _ in 0..n {
        let t = Instant::now();
        let x = c.buffer_from_host(&data, ElementType::F32, &[2, 3], None)?;
        std::hint::black_box(x);
        ts.push(t.elapsed());
    }
    ts.sort();
    println!(
        "buffer_from_host median {:?} p90 {:?}",
        ts[n / 2],
        ts[n * 9 / 10]
    );
    let mut ts = Vec::new();
    for _ in 0..n {
        let t = Instant::now();
        let x = c.buffer_from_host(&data, ElementType::F32, &[2, 3], None)?;
        let y = c.buffer_from_host(&data, ElementType::F32, &[2, 3], None)?;
        let o = exe.execute(&[&x, &y])?;
        let s: f32 =
            o[1].read_in_place(|bytes| f32::from_le_bytes(bytes[0..4].try_into().unwrap()))?;
        std::hint::black_box(s);
        ts.push(t.elapsed());
    }
    ts.sort();
    println!(
        "h2d x2 + execute + read_in_place median {:?} p90 {:?}",
        ts[n / 2],
        ts[n * 9 / 10]
    );
    Ok(())
}
