//! Raw JSON: a value's text, checked once and passed on without being rebuilt.

use std::fmt;

use super::scan::Scanner;
use super::Error;

/// The text of one JSON value, checked to be valid JSON, with no surrounding whitespace.
///
/// Results travel from the wire to the caller in this form: a tool's result is never parsed into
/// a tree and written again.
#[derive(Clone, PartialEq, Eq)]
pub struct RawValue(Box<str>);

impl RawValue {
    /// Checks `text` and keeps it (without surrounding whitespace).
    ///
    /// # Errors
    /// What is malformed, and where.
    pub fn from_string(text: String) -> Result<RawValue, Error> {
        let mut scan = Scanner::new(&text);
        scan.skip()?;
        scan.end()?;
        let trimmed = text.trim_matches([' ', '\t', '\n', '\r']);
        if trimmed.len() == text.len() {
            Ok(RawValue(text.into_boxed_str()))
        } else {
            Ok(RawValue(trimmed.into()))
        }
    }

    /// Text the parser already checked (one value, no surrounding whitespace).
    pub(crate) fn checked(text: &str) -> RawValue {
        RawValue(text.into())
    }

    /// The JSON text.
    pub fn get(&self) -> &str {
        &self.0
    }

    /// True for `null`.
    pub fn is_null(&self) -> bool {
        &*self.0 == "null"
    }
}

impl fmt::Debug for RawValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RawValue({})", self.0)
    }
}

impl fmt::Display for RawValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Reads one value at the scanner as raw text.
pub(crate) fn raw_at(scan: &mut Scanner<'_>) -> Result<RawValue, Error> {
    scan.skip_ws();
    let start = scan.pos();
    scan.skip()?;
    Ok(RawValue::checked(scan.slice(start, scan.pos())))
}
