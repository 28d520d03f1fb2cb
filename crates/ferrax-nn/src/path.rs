//! Variable paths: `layer1.kernel`, `blocks.0.norm.scale`.

use std::borrow::Cow;
use std::fmt;

/// One step of a path: a named field or an index into a sequence.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PathPart {
    /// A struct field (or a tuple-struct position written as its number), or an RNG stream name.
    Field(Cow<'static, str>),
    /// An element of a `Vec`, array or tuple field.
    Index(usize),
}

/// The path of a variable inside a module tree.
///
/// ```
/// use ferrax_nn::{VarPath, PathPart};
/// let mut p = VarPath::default();
/// p.push(PathPart::Field("layers".into()));
/// p.push(PathPart::Index(1));
/// p.push(PathPart::Field("kernel".into()));
/// assert_eq!(p.to_string(), "layers.1.kernel");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VarPath(pub Vec<PathPart>);

impl VarPath {
    /// Appends a part.
    pub fn push(&mut self, p: PathPart) {
        self.0.push(p);
    }
    /// Removes the last part.
    pub fn pop(&mut self) {
        self.0.pop();
    }
    /// The parts.
    pub fn parts(&self) -> &[PathPart] {
        &self.0
    }
}

impl fmt::Display for VarPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            match p {
                PathPart::Field(s) => f.write_str(s)?,
                PathPart::Index(n) => write!(f, "{n}")?,
            }
        }
        Ok(())
    }
}
