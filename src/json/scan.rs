//! The parser: one pass over JSON text (RFC 8259), with a nesting limit.
//!
//! It either builds a [`Value`] tree or only checks and skips a value (for raw fields, whose text
//! is kept as it came). Strings are unescaped only when they are built.

use super::value::{Number, Value};
use super::{Error, Map};

/// Deeper nesting than this is refused, so a hostile document cannot exhaust the stack.
const MAX_DEPTH: u32 = 128;

/// A cursor over JSON text.
#[derive(Debug)]
pub(crate) struct Scanner<'a> {
    text: &'a str,
    pos: usize,
    depth: u32,
}

impl<'a> Scanner<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        Scanner {
            text,
            pos: 0,
            depth: 0,
        }
    }

    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// The text between two positions of this scanner.
    pub(crate) fn slice(&self, from: usize, to: usize) -> &'a str {
        self.text.get(from..to).unwrap_or("")
    }

    pub(crate) fn error(&self, message: &'static str) -> Error {
        Error::new(message, self.pos)
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    pub(crate) fn skip_ws(&mut self) -> Option<u8> {
        while let Some(b) = self.peek() {
            if !matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
                return Some(b);
            }
            self.pos += 1;
        }
        None
    }

    /// Expects `byte` after optional whitespace.
    pub(crate) fn expect(&mut self, byte: u8, message: &'static str) -> Result<(), Error> {
        if self.skip_ws() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error(message))
        }
    }

    /// Fails unless only whitespace is left.
    pub(crate) fn end(&mut self) -> Result<(), Error> {
        match self.skip_ws() {
            None => Ok(()),
            Some(_) => Err(self.error("trailing characters after the JSON value")),
        }
    }

    /// Enters the container that must start here with `open` (else fails with `message`); true
    /// when it is empty (and already closed).
    fn open(&mut self, open: u8, close: u8, message: &'static str) -> Result<bool, Error> {
        if self.skip_ws() != Some(open) {
            return Err(self.error(message));
        }
        self.enter()?;
        Ok(self.empty(close))
    }

    fn enter(&mut self) -> Result<(), Error> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error("JSON nested too deeply"));
        }
        self.pos += 1;
        Ok(())
    }

    /// After `{` or `[`: true when the container is empty (its closer is consumed).
    fn empty(&mut self, close: u8) -> bool {
        if self.skip_ws() == Some(close) {
            self.pos += 1;
            self.depth -= 1;
            true
        } else {
            false
        }
    }

    /// After a member or element: true when there is another one, false at the closer.
    fn more(&mut self, close: u8, message: &'static str) -> Result<bool, Error> {
        match self.skip_ws() {
            Some(b',') => {
                self.pos += 1;
                Ok(true)
            }
            Some(b) if b == close => {
                self.pos += 1;
                self.depth -= 1;
                Ok(false)
            }
            _ => Err(self.error(message)),
        }
    }

    /// Checks and skips one value (keys are checked, not built).
    pub(crate) fn skip(&mut self) -> Result<(), Error> {
        match self.skip_ws() {
            Some(b'{') => self.members(false, |scan, _| scan.skip()),
            Some(b'[') => self.array(Self::skip),
            Some(b'"') => self.skip_string(),
            _ => self.skip_scalar(),
        }
    }

    /// Reads one value into a tree.
    pub(crate) fn value(&mut self) -> Result<Value, Error> {
        match self.skip_ws() {
            Some(b'{') => {
                let mut members = Vec::new();
                self.object(|scan, key| {
                    members.push((key, scan.value()?));
                    Ok(())
                })?;
                Ok(Value::Object(Map::from_pairs(members)))
            }
            Some(b'[') => {
                let mut items = Vec::new();
                self.array(|scan| {
                    items.push(scan.value()?);
                    Ok(())
                })?;
                Ok(Value::Array(items))
            }
            Some(b'"') => self.string().map(Value::String),
            _ => self.scalar(),
        }
    }

    /// Reads the members of an object, calling `member` with each key; `member` must consume
    /// the value. Fails when the value is not an object.
    pub(crate) fn object(
        &mut self,
        member: impl FnMut(&mut Self, String) -> Result<(), Error>,
    ) -> Result<(), Error> {
        self.members(true, member)
    }

    /// [`Scanner::object`], building the keys only when `keys` is true (an empty key otherwise).
    fn members(
        &mut self,
        keys: bool,
        mut member: impl FnMut(&mut Self, String) -> Result<(), Error>,
    ) -> Result<(), Error> {
        if self.open(b'{', b'}', "expected a JSON object")? {
            return Ok(());
        }
        loop {
            if self.skip_ws() != Some(b'"') {
                return Err(self.error("expected a string key in an object"));
            }
            let key = if keys {
                self.string()?
            } else {
                self.skip_string()?;
                String::new()
            };
            self.expect(b':', "expected ':' after an object key")?;
            member(self, key)?;
            if !self.more(b'}', "expected ',' or '}' in an object")? {
                return Ok(());
            }
        }
    }

    /// Reads the elements of an array, calling `element` for each; `element` must consume it.
    /// Fails when the value is not an array.
    pub(crate) fn array(
        &mut self,
        mut element: impl FnMut(&mut Self) -> Result<(), Error>,
    ) -> Result<(), Error> {
        if self.open(b'[', b']', "expected a JSON array")? {
            return Ok(());
        }
        loop {
            element(self)?;
            if !self.more(b']', "expected ',' or ']' in an array")? {
                return Ok(());
            }
        }
    }

    /// Skips `true`, `false`, `null` or a number.
    fn skip_scalar(&mut self) -> Result<(), Error> {
        let rest = self.text.get(self.pos..).unwrap_or("");
        for word in ["true", "false", "null"] {
            if rest.starts_with(word) {
                self.pos += word.len();
                return Ok(());
            }
        }
        self.number()
    }

    /// Reads `true`, `false`, `null` or a number.
    fn scalar(&mut self) -> Result<Value, Error> {
        let start = self.pos;
        self.skip_scalar()?;
        Ok(match self.slice(start, self.pos) {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            "null" => Value::Null,
            number => Value::Number(Number::from_text(number)),
        })
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
        self.pos - start
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`
    fn number(&mut self) -> Result<(), Error> {
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.error("expected a JSON value")),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return Err(self.error("expected a digit after the decimal point"));
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(self.error("expected a digit in the exponent"));
            }
        }
        Ok(())
    }

    /// Moves past the plain bytes of a string (anything but `"`, `\\` and control characters),
    /// eight at a time: a long text is most of a large result, and this loop is its cost.
    fn plain(&mut self) {
        const ONES: u64 = 0x0101_0101_0101_0101;
        const HIGH: u64 = 0x8080_8080_8080_8080;
        // A high bit set for every zero byte of `x` (and maybe for bytes after one).
        let zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
        let bytes = self.text.as_bytes();
        let mut at = self.pos;
        while let Some(chunk) = bytes.get(at..at + 8) {
            let word = u64::from_le_bytes(<[u8; 8]>::try_from(chunk).unwrap_or([0; 8]));
            let special = zero(word ^ (ONES * u64::from(b'"')))
                | zero(word ^ (ONES * u64::from(b'\\')))
                | (word.wrapping_sub(ONES * 0x20) & !word & HIGH);
            if special != 0 {
                break;
            }
            at += 8;
        }
        while bytes
            .get(at)
            .is_some_and(|&b| b != b'"' && b != b'\\' && b >= 0x20)
        {
            at += 1;
        }
        self.pos = at;
    }

    /// Skips a string at `"`, checking its escapes.
    fn skip_string(&mut self) -> Result<(), Error> {
        self.pos += 1;
        loop {
            self.plain();
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(());
                }
                Some(b'\\') => {
                    self.escape()?;
                }
                Some(0..=0x1f) => return Err(self.error("control character in a string")),
                Some(_) => self.pos += 1,
                None => return Err(self.error("end of input inside a string")),
            }
        }
    }

    /// Reads a string at `"`, unescaped.
    pub(crate) fn string(&mut self) -> Result<String, Error> {
        self.pos += 1;
        let mut out = String::new();
        let mut run = self.pos;
        loop {
            self.plain();
            match self.peek() {
                Some(b'"') => {
                    out.push_str(self.slice(run, self.pos));
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    out.push_str(self.slice(run, self.pos));
                    out.push(self.escape()?);
                    run = self.pos;
                }
                Some(0..=0x1f) => return Err(self.error("control character in a string")),
                Some(_) => self.pos += 1,
                None => return Err(self.error("end of input inside a string")),
            }
        }
    }

    /// Reads the escape at `\`.
    fn escape(&mut self) -> Result<char, Error> {
        self.pos += 1;
        let Some(b) = self.peek() else {
            return Err(self.error("end of input inside a string"));
        };
        self.pos += 1;
        Ok(match b {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => return self.unicode(),
            _ => return Err(self.error("invalid escape in a string")),
        })
    }

    fn hex4(&mut self) -> Result<u32, Error> {
        let digits = self.text.get(self.pos..self.pos + 4).unwrap_or("");
        match u32::from_str_radix(digits, 16) {
            Ok(n) if digits.bytes().all(|b| b.is_ascii_hexdigit()) => {
                self.pos += 4;
                Ok(n)
            }
            _ => Err(self.error("invalid \\u escape in a string")),
        }
    }

    /// After `\u`: one code point, joining a surrogate pair.
    fn unicode(&mut self) -> Result<char, Error> {
        let first = self.hex4()?;
        let code = match first {
            0xD800..=0xDBFF => {
                if self.text.get(self.pos..self.pos + 2) != Some("\\u") {
                    return Err(self.error("lone surrogate in a \\u escape"));
                }
                self.pos += 2;
                let second = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&second) {
                    return Err(self.error("lone surrogate in a \\u escape"));
                }
                0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
            }
            0xDC00..=0xDFFF => return Err(self.error("lone surrogate in a \\u escape")),
            n => n,
        };
        char::from_u32(code).ok_or_else(|| self.error("invalid \\u escape in a string"))
    }
}
