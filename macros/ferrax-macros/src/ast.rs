//! Parsing and checking of the derive input.

use syn::spanned::Spanned;

/// A field to traverse.
pub struct Field {
    /// `self.<member>`.
    pub member: syn::Member,
    /// The path component: the field name, or the position for tuple structs.
    pub name: String,
    /// The field's type.
    pub ty: syn::Type,
    /// `#[module(skip)]`.
    pub skip: bool,
}

/// The checked derive input.
pub struct Container<'a> {
    /// The struct's name.
    pub ident: &'a syn::Ident,
    /// Its generics.
    pub generics: &'a syn::Generics,
    /// Its fields, in order.
    pub fields: Vec<Field>,
    /// Path of the `nn` module (`::ferrax::nn`).
    pub krate: syn::Path,
}

fn module_attrs(attrs: &[syn::Attribute]) -> Vec<&syn::Attribute> {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("module"))
        .collect()
}

impl<'a> Container<'a> {
    /// Parses and checks; on failure returns every error found.
    pub fn from_ast(input: &'a syn::DeriveInput) -> Result<Container<'a>, Vec<syn::Error>> {
        let mut errors = Vec::new();
        let mut krate: Option<syn::Path> = None;
        for attr in module_attrs(&input.attrs) {
            let r = attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("crate") {
                    let s: syn::LitStr = meta.value()?.parse()?;
                    if krate.is_some() {
                        return Err(meta.error("duplicate `crate` attribute"));
                    }
                    krate = Some(s.parse()?);
                    Ok(())
                } else if meta.path.is_ident("skip") {
                    Err(meta.error("`skip` goes on a field, not on the struct"))
                } else {
                    Err(meta.error(format!(
                        "unknown module attribute `{}`; on a struct the only one is `crate = \"path\"`",
                        path_str(&meta.path)
                    )))
                }
            });
            if let Err(e) = r {
                errors.push(e);
            }
        }
        let data = match &input.data {
            syn::Data::Struct(s) => Some(s),
            syn::Data::Enum(e) => {
                errors.push(syn::Error::new(
                    e.enum_token.span(),
                    "#[derive(Module)] supports structs only: a module's variables need fixed, named paths; \
                     wrap the variants' modules in a struct (Option fields work for optional parts)",
                ));
                None
            }
            syn::Data::Union(u) => {
                errors.push(syn::Error::new(
                    u.union_token.span(),
                    "#[derive(Module)] supports structs only, not unions",
                ));
                None
            }
        };
        let mut fields = Vec::new();
        if let Some(s) = data {
            for (i, f) in s.fields.iter().enumerate() {
                let mut skip = false;
                for attr in module_attrs(&f.attrs) {
                    let r = attr.parse_nested_meta(|meta| {
                        if meta.path.is_ident("skip") {
                            if skip {
                                return Err(meta.error("duplicate `skip`"));
                            }
                            if !meta.input.is_empty() && !meta.input.peek(syn::Token![,]) {
                                return Err(
                                    meta.error("`skip` takes no value: write #[module(skip)]")
                                );
                            }
                            skip = true;
                            Ok(())
                        } else if meta.path.is_ident("crate") {
                            Err(meta.error("`crate = \"...\"` goes on the struct, not on a field"))
                        } else {
                            Err(meta.error(format!(
                                "unknown module attribute `{}`; on a field the only one is `skip`",
                                path_str(&meta.path)
                            )))
                        }
                    });
                    if let Err(e) = r {
                        errors.push(e);
                    }
                }
                let (member, name) = match &f.ident {
                    Some(id) => (syn::Member::Named(id.clone()), unraw(id)),
                    None => (
                        syn::Member::Unnamed(syn::Index {
                            index: i as u32,
                            span: f.span(),
                        }),
                        i.to_string(),
                    ),
                };
                fields.push(Field {
                    member,
                    name,
                    ty: f.ty.clone(),
                    skip,
                });
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let krate = krate.unwrap_or_else(|| syn::parse_quote!(::ferrax::nn));
        Ok(Container {
            ident: &input.ident,
            generics: &input.generics,
            fields,
            krate,
        })
    }
}

fn unraw(id: &syn::Ident) -> String {
    let s = id.to_string();
    s.strip_prefix("r#").map(str::to_owned).unwrap_or(s)
}

fn path_str(p: &syn::Path) -> String {
    p.segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect::<Vec<_>>()
        .join("::")
}
