//! Little-endian field readers and writers for message payloads (never panic on short input).

/// Writes fields into a slice; writing past the end is recorded and reported by [`Writer::finish`].
pub(crate) struct Writer<'a> {
    output: &'a mut [u8],
    position: usize,
    overflowed: bool,
}

impl<'a> Writer<'a> {
    pub(crate) fn new(output: &'a mut [u8]) -> Self {
        Self {
            output,
            position: 0,
            overflowed: false,
        }
    }

    /// Forgets what was written (a refusal replaces a reply begun).
    pub(crate) fn clear(&mut self) {
        self.position = 0;
        self.overflowed = false;
    }

    pub(crate) fn bytes(&mut self, bytes: &[u8]) {
        match self
            .output
            .get_mut(self.position..self.position + bytes.len())
        {
            Some(target) => {
                target.copy_from_slice(bytes);
                self.position += bytes.len();
            }
            None => self.overflowed = true,
        }
    }

    pub(crate) fn u8(&mut self, value: u8) {
        self.bytes(&[value]);
    }

    pub(crate) fn u16(&mut self, value: u16) {
        self.bytes(&value.to_le_bytes());
    }

    pub(crate) fn u32(&mut self, value: u32) {
        self.bytes(&value.to_le_bytes());
    }

    /// Bytes written, or `None` if the output was too small.
    pub(crate) fn finish(self) -> Option<usize> {
        (!self.overflowed).then_some(self.position)
    }
}

/// Reads fields from a payload; every read returns `None` past the end.
pub(crate) struct Reader<'a> {
    input: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(input: &'a [u8]) -> Self {
        Self { input }
    }

    pub(crate) fn bytes(&mut self, count: usize) -> Option<&'a [u8]> {
        if count > self.input.len() {
            return None;
        }
        let (head, tail) = self.input.split_at(count);
        self.input = tail;
        Some(head)
    }

    pub(crate) fn u8(&mut self) -> Option<u8> {
        Some(self.bytes(1)?[0])
    }

    pub(crate) fn u16(&mut self) -> Option<u16> {
        let bytes = self.bytes(2)?;
        Some(u16::from_le_bytes([bytes[0], bytes[1]]))
    }

    pub(crate) fn u32(&mut self) -> Option<u32> {
        let bytes = self.bytes(4)?;
        Some(u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
    }

    /// Everything not read yet.
    pub(crate) fn rest(&mut self) -> &'a [u8] {
        core::mem::take(&mut self.input)
    }

    /// Bytes not read yet.
    pub(crate) fn rest_length(&self) -> usize {
        self.input.len()
    }

    /// `Some(())` if everything was read.
    // Out of line: every request's decoding ends with it; one copy is 20 B less bootloader
    // flash (2026-12-06, with `Device::poll` out of line too).
    #[inline(never)]
    pub(crate) fn end(&self) -> Option<()> {
        self.input.is_empty().then_some(())
    }
}
