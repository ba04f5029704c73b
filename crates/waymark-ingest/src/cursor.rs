//! A cursor over a JSON text's bytes, for the hand-written scanners that read history
//! files faster than a full parse (`fast_history` here, the profile-key scan of `waymark
//! audiences`): each builds its own grammar on these steps and leaves anything it does not
//! recognise to the full parse.

/// A position in `b`.
#[derive(Debug, Clone, Copy)]
pub struct Cursor<'a> {
    /// The text.
    pub b: &'a [u8],
    /// The next byte's index.
    pub i: usize,
}

impl<'a> Cursor<'a> {
    /// At the start of `b`.
    pub fn new(b: &'a [u8]) -> Self {
        Self { b, i: 0 }
    }

    /// The next byte, not taken.
    pub fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    /// Takes the next byte.
    pub fn take(&mut self) -> Option<u8> {
        let c = self.peek()?;
        self.i += 1;
        Some(c)
    }

    /// Takes `c`, or fails.
    pub fn eat(&mut self, c: u8) -> Option<()> {
        (self.take()? == c).then_some(())
    }

    /// Skips JSON whitespace.
    pub fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_over_bytes_and_whitespace() {
        let mut c = Cursor::new(b" \t{ }");
        c.ws();
        assert_eq!(c.eat(b'{'), Some(()));
        c.ws();
        assert_eq!(c.eat(b'{'), None);
        assert_eq!(c.peek(), None);
    }
}
