# Shortcuts over cargo. `just --list` shows them.

# Run the main example (fetches the CPU PJRT plugin on first use).
quickstart:
    cargo run --release --example quickstart

# The whole test suite (what CI runs).
test:
    cargo test --workspace

# Lints as CI expects them.
lint:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets -- -D warnings

# Criterion benches, then the companion JAX timings on the same machine.
bench:
    cargo bench -p ferrax --bench runtime
    python3 scripts/bench_jax_foundation.py

# Write the built-in MLP example's graph as DOT and StableHLO text.
dump out="dump":
    cargo run --release -p ferrax-cli -- dump --out {{out}}

# Plugin status (path, platform, PJRT API version).
plugin:
    cargo run --release -p ferrax-cli -- plugin status

# GPU smoke test (needs a CUDA PJRT plugin: pip install jax-cuda12-pjrt jax-cuda12-plugin).
gpu:
    FERRAX_PLATFORM=cuda cargo test -p ferrax --test gpu_smoke -- --nocapture
