//! `#[derive(Module)]` for ferrax, structured like serde_derive: [`ast`] parses the input and
//! checks it, collecting every error rather than stopping at the first; [`gen`] writes the
//! `Module` impl (an ordered, path-named traversal of the struct's variables).
//!
//! Attributes:
//! - `#[module(skip)]` on a field: not traversed (plain configuration of any type).
//! - `#[module(crate = "path")]` on the struct: where the `nn` items live (default
//!   `::ferrax::nn`).

mod ast;
mod gen;

use proc_macro::TokenStream;

/// Derives `ferrax::nn::Module`: every field that is a module, a variable, or a
/// `Vec`/`Option`/array/`Box` of them is visited in declaration order under its field name
/// (tuple structs: its position); plain configuration (numbers, strings, dtypes) carries no
/// state; `#[module(skip)]` leaves a field out.
#[proc_macro_derive(Module, attributes(module))]
pub fn derive_module(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    match ast::Container::from_ast(&input) {
        Ok(c) => gen::expand(&c).into(),
        Err(errors) => {
            let mut ts = proc_macro2::TokenStream::new();
            for e in errors {
                ts.extend(e.to_compile_error());
            }
            ts.into()
        }
    }
}
