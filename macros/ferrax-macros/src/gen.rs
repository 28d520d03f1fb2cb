//! Code generation of the `Module` impl.

use crate::ast::Container;
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

fn mentions_generic(ty: &syn::Type, names: &[String]) -> bool {
    let s = quote!(#ty).to_string();
    s.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .any(|tok| names.iter().any(|n| n == tok))
}

/// The impl block.
pub fn expand(c: &Container) -> TokenStream {
    let ident = c.ident;
    let krate = &c.krate;
    let (impl_g, ty_g, where_g) = c.generics.split_for_impl();
    let generic_names: Vec<String> = c
        .generics
        .type_params()
        .map(|p| p.ident.to_string())
        .collect();
    let live: Vec<_> = c.fields.iter().filter(|f| !f.skip).collect();
    let bounds: Vec<TokenStream> = live
        .iter()
        .filter(|f| mentions_generic(&f.ty, &generic_names))
        .map(|f| {
            let ty = &f.ty;
            quote!(#ty: #krate::Module)
        })
        .collect();
    let where_clause = match (where_g, bounds.is_empty()) {
        (Some(w), true) => quote!(#w),
        (Some(w), false) => {
            let comma = if w.predicates.trailing_punct() || w.predicates.is_empty() {
                quote!()
            } else {
                quote!(,)
            };
            quote!(#w #comma #(#bounds),*)
        }
        (None, true) => quote!(),
        (None, false) => quote!(where #(#bounds),*),
    };
    let visits = live.iter().map(|f| {
        let m = &f.member;
        let name = &f.name;
        let call = quote_spanned!(f.ty.span()=> #krate::Module::visit(&self.#m, path, f););
        quote! {
            path.push(#krate::PathPart::Field(::std::borrow::Cow::Borrowed(#name)));
            #call
            path.pop();
        }
    });
    let visits_mut = live.iter().map(|f| {
        let m = &f.member;
        let name = &f.name;
        let call = quote_spanned!(f.ty.span()=> #krate::Module::visit_mut(&mut self.#m, path, f););
        quote! {
            path.push(#krate::PathPart::Field(::std::borrow::Cow::Borrowed(#name)));
            #call
            path.pop();
        }
    });
    let (unused_path, unused_f) = if live.is_empty() {
        (quote!(let _ = &path;), quote!(let _ = &f;))
    } else {
        (quote!(), quote!())
    };
    quote! {
        #[automatically_derived]
        impl #impl_g #krate::Module for #ident #ty_g #where_clause {
            fn visit(
                &self,
                path: &mut #krate::VarPath,
                f: &mut dyn FnMut(&#krate::VarPath, &dyn #krate::AnyVariable),
            ) {
                #unused_path #unused_f
                #(#visits)*
            }
            fn visit_mut(
                &mut self,
                path: &mut #krate::VarPath,
                f: &mut dyn FnMut(&#krate::VarPath, &mut dyn #krate::AnyVariable),
            ) {
                #unused_path #unused_f
                #(#visits_mut)*
            }
        }
    }
}
