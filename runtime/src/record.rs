//! What travels on a topic: a [`Record`] (topic, partition, offset, key, value) and its
//! [`Headers`], kept in one buffer.

use std::fmt;

/// One record on a topic partition.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Record {
    pub topic: String,
    pub partition: u32,
    pub offset: u64,
    pub key: Option<Vec<u8>>,
    pub headers: Headers,
    pub value: Vec<u8>,
}

/// A record's headers, in the order they came, names and values side by side in one buffer: a
/// record costs one allocation for all its headers, and reading them walks memory in order. A
/// name may repeat.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Headers {
    bytes: Vec<u8>,
    /// For each header, where its name ends and where its value ends in `bytes` (its name starts
    /// where the previous header's value ended).
    ends: Vec<(usize, usize)>,
}

impl Headers {
    pub fn new() -> Headers {
        Headers::default()
    }

    /// Room for `headers` headers of `bytes` bytes in all, names and values.
    pub fn with_capacity(headers: usize, bytes: usize) -> Headers {
        Headers {
            bytes: Vec::with_capacity(bytes),
            ends: Vec::with_capacity(headers),
        }
    }

    /// Adds a header after the others.
    pub fn push(&mut self, name: &str, value: &[u8]) {
        self.bytes.extend_from_slice(name.as_bytes());
        let name_end = self.bytes.len();
        self.bytes.extend_from_slice(value);
        self.ends.push((name_end, self.bytes.len()));
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The `i`th header's name and value, in the buffer.
    pub(crate) fn spans(&self) -> impl Iterator<Item = (std::ops::Range<usize>, std::ops::Range<usize>)> + '_ {
        let starts = std::iter::once(0).chain(self.ends.iter().map(|&(_, value_end)| value_end));
        starts
            .zip(&self.ends)
            .map(|(start, &(name_end, value_end))| (start..name_end, name_end..value_end))
    }

    /// The value of the `i`th header.
    #[inline]
    pub(crate) fn value(&self, i: usize) -> Option<&[u8]> {
        let &(name_end, value_end) = self.ends.get(i)?;
        self.bytes.get(name_end..value_end)
    }

    /// Where each header's name and value end in [`Headers::bytes`] (a header starts where the
    /// one before it ends).
    pub(crate) fn ends(&self) -> &[(usize, usize)] {
        &self.ends
    }

    /// The bytes `spans` points into.
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Each header's name and value, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[u8])> + '_ {
        self.spans().map(|(name, value)| {
            // Names are only ever pushed as `str`, and every span starts and ends between them.
            let name = std::str::from_utf8(&self.bytes[name]).unwrap_or_default();
            (name, &self.bytes[value])
        })
    }

    /// The value of the last header called `name`.
    pub fn last(&self, name: &str) -> Option<&[u8]> {
        self.spans()
            .filter(|(n, _)| &self.bytes[n.clone()] == name.as_bytes())
            .last()
            .map(|(_, value)| &self.bytes[value])
    }
}

impl fmt::Debug for Headers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.iter().map(|(name, value)| (name, String::from_utf8_lossy(value))))
            .finish()
    }
}

impl<N: AsRef<str>, V: AsRef<[u8]>> Extend<(N, V)> for Headers {
    fn extend<I: IntoIterator<Item = (N, V)>>(&mut self, headers: I) {
        for (name, value) in headers {
            self.push(name.as_ref(), value.as_ref());
        }
    }
}

impl<N: AsRef<str>, V: AsRef<[u8]>> FromIterator<(N, V)> for Headers {
    fn from_iter<I: IntoIterator<Item = (N, V)>>(headers: I) -> Headers {
        let mut all = Headers::new();
        all.extend(headers);
        all
    }
}
