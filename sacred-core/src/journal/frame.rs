//! The journal's framing: a header, then records of `[length u32 LE][crc32 u32 LE][payload]`.
//!
//! A reader trusts nothing: a record whose checksum does not match, or a record cut short
//! at the end (the process was killed mid-write), ends the readable part of the journal,
//! and the reader says where and why. Everything before it is intact and is replayed.

use std::io::{self, Read, Write};

/// The first bytes of every journal file: the format and its version.
pub(crate) const MAGIC: &[u8; 8] = b"SACREDJ\x01";

/// The largest payload a record may hold (a larger one is refused when written, and a
/// length field above it is read as corruption rather than allocated).
pub(crate) const MAX_PAYLOAD: u32 = 256 * 1024 * 1024;

/// The size of a record's header: length and checksum.
pub(crate) const RECORD_HEADER: usize = 8;

/// The CRC-32 (IEEE 802.3, reflected, as zlib and PNG compute it) lookup table.
const CRC_TABLE: [u32; 256] = crc_table();

const fn crc_table() -> [u32; 256] {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut crc = i as u32;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
            bit += 1;
        }
        table[i] = crc;
        i += 1;
    }
    table
}

/// The CRC-32 of `bytes`.
pub(crate) fn crc32(bytes: &[u8]) -> u32 {
    !bytes.iter().fold(!0u32, |crc, &b| {
        CRC_TABLE[usize::from((crc as u8) ^ b)] ^ (crc >> 8)
    })
}

/// Appends one record holding `payload` to `out`.
///
/// # Errors
/// The payload is larger than [`MAX_PAYLOAD`], or writing failed.
pub(crate) fn write_record(out: &mut impl Write, payload: &[u8]) -> io::Result<()> {
    let len = u32::try_from(payload.len())
        .ok()
        .filter(|&len| len <= MAX_PAYLOAD)
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "a journal record of {} bytes is larger than the limit of {MAX_PAYLOAD}",
                    payload.len()
                ),
            )
        })?;
    let mut header = [0u8; RECORD_HEADER];
    header[..4].copy_from_slice(&len.to_le_bytes());
    header[4..].copy_from_slice(&crc32(payload).to_le_bytes());
    out.write_all(&header)?;
    out.write_all(payload)
}

/// Where and why the readable part of a journal ended before the end of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Damage {
    /// The file does not start with [`MAGIC`].
    NotAJournal,
    /// A record was cut short at byte `offset` (a write interrupted by a kill or a full
    /// disk): expected after a crash, and only ever at the end.
    Torn {
        /// Where the cut record starts.
        offset: u64,
    },
    /// The record at byte `offset` does not match its checksum, or its length is absurd.
    Corrupt {
        /// Where the bad record starts.
        offset: u64,
    },
}

impl std::fmt::Display for Damage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Damage::NotAJournal => f.write_str("it is not a sacred journal (bad header)"),
            Damage::Torn { offset } => write!(f, "its last record, at byte {offset}, is cut short"),
            Damage::Corrupt { offset } => {
                write!(f, "the record at byte {offset} does not match its checksum")
            }
        }
    }
}

/// Reads the records of a journal in order.
#[derive(Debug)]
pub(crate) struct FrameReader<R> {
    input: R,
    offset: u64,
    damage: Option<Damage>,
    started: bool,
}

impl<R: Read> FrameReader<R> {
    /// A reader of the journal `input`, positioned before its header.
    pub(crate) fn new(input: R) -> Self {
        Self {
            input,
            offset: 0,
            damage: None,
            started: false,
        }
    }

    /// A reader of a journal's records from byte `offset` on: `input` is positioned there,
    /// past the header, at the start of a record.
    pub(crate) fn resume(input: R, offset: u64) -> Self {
        Self {
            input,
            offset,
            damage: None,
            started: true,
        }
    }

    /// The byte offset just after the last record read: where a writer resuming the
    /// journal appends, cutting off any damaged tail.
    pub(crate) fn offset(&self) -> u64 {
        self.offset
    }

    /// What ended the readable part early, once [`next_record`](Self::next_record)
    /// returned `None`; `None` when the file ended cleanly.
    pub(crate) fn damage(&self) -> Option<&Damage> {
        self.damage.as_ref()
    }

    /// The next record's payload; `None` at the end of the readable part.
    ///
    /// # Errors
    /// Reading failed (an I/O error, not damage: damage ends the records).
    pub(crate) fn next_record(&mut self) -> io::Result<Option<Vec<u8>>> {
        if self.damage.is_some() {
            return Ok(None);
        }
        if !self.started {
            let mut magic = [0u8; 8];
            let n = read_full(&mut self.input, &mut magic)?;
            if n == 0 {
                // An empty file: a journal whose header was never written.
                self.started = true;
                return Ok(None);
            }
            if n < magic.len() || &magic != MAGIC {
                self.damage = Some(Damage::NotAJournal);
                return Ok(None);
            }
            self.started = true;
            self.offset = magic.len() as u64;
        }
        let mut header = [0u8; RECORD_HEADER];
        let n = read_full(&mut self.input, &mut header)?;
        if n == 0 {
            return Ok(None);
        }
        if n < RECORD_HEADER {
            self.damage = Some(Damage::Torn {
                offset: self.offset,
            });
            return Ok(None);
        }
        let [l0, l1, l2, l3, c0, c1, c2, c3] = header;
        let len = u32::from_le_bytes([l0, l1, l2, l3]);
        let crc = u32::from_le_bytes([c0, c1, c2, c3]);
        if len > MAX_PAYLOAD {
            self.damage = Some(Damage::Corrupt {
                offset: self.offset,
            });
            return Ok(None);
        }
        let mut payload = vec![0u8; len as usize];
        let n = read_full(&mut self.input, &mut payload)?;
        if n < payload.len() {
            self.damage = Some(Damage::Torn {
                offset: self.offset,
            });
            return Ok(None);
        }
        if crc32(&payload) != crc {
            self.damage = Some(Damage::Corrupt {
                offset: self.offset,
            });
            return Ok(None);
        }
        self.offset += (RECORD_HEADER + payload.len()) as u64;
        Ok(Some(payload))
    }
}

/// Reads until `buf` is full or the input ends; how many bytes were read.
fn read_full(input: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match input.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn journal(records: &[&[u8]]) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        for record in records {
            write_record(&mut out, record).unwrap_or_else(|e| panic!("{e}"));
        }
        out
    }

    fn read_all(bytes: &[u8]) -> (Vec<Vec<u8>>, Option<Damage>, u64) {
        let mut reader = FrameReader::new(bytes);
        let mut records = Vec::new();
        while let Some(record) = reader.next_record().unwrap_or_else(|e| panic!("{e}")) {
            records.push(record);
        }
        (records, reader.damage().cloned(), reader.offset())
    }

    #[test]
    fn crc32_matches_the_standard_check_value() {
        // The check value of CRC-32/ISO-HDLC (zlib's crc32) for "123456789".
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
    }

    #[test]
    fn records_read_back_in_order() {
        let bytes = journal(&[b"first", b"", b"third"]);
        let (records, damage, offset) = read_all(&bytes);
        assert_eq!(records, [b"first".to_vec(), Vec::new(), b"third".to_vec()]);
        assert_eq!(damage, None);
        assert_eq!(offset, bytes.len() as u64);
        assert_eq!(read_all(b""), (Vec::new(), None, 0));
    }

    #[test]
    fn a_torn_tail_ends_the_records_at_the_last_whole_one() {
        let whole = journal(&[b"kept", b"also kept"]);
        let full = journal(&[b"kept", b"also kept", b"cut in the middle"]);
        // Every cut inside the last record leaves the first two, and says where it was cut.
        for cut in whole.len() + 1..full.len() {
            let (records, damage, offset) = read_all(&full[..cut]);
            assert_eq!(records.len(), 2, "cut at {cut}");
            assert_eq!(
                damage,
                Some(Damage::Torn {
                    offset: whole.len() as u64
                }),
                "cut at {cut}"
            );
            assert_eq!(offset, whole.len() as u64);
        }
    }

    #[test]
    fn a_flipped_bit_is_caught() {
        let mut bytes = journal(&[b"good", b"flipped"]);
        let last = bytes.len() - 1;
        bytes[last] ^= 0x01;
        let (records, damage, _) = read_all(&bytes);
        assert_eq!(records, [b"good".to_vec()]);
        assert_eq!(
            damage,
            Some(Damage::Corrupt {
                offset: (MAGIC.len() + RECORD_HEADER + 4) as u64
            })
        );
        // An absurd length is corruption, not an allocation of gigabytes.
        let mut bytes = MAGIC.to_vec();
        bytes.extend_from_slice(&u32::MAX.to_le_bytes());
        bytes.extend_from_slice(&[0; 4]);
        let (_, damage, _) = read_all(&bytes);
        assert_eq!(damage, Some(Damage::Corrupt { offset: 8 }));
    }

    #[test]
    fn other_files_are_not_journals() {
        let (records, damage, _) = read_all(b"{\"not\": \"a journal\"}");
        assert!(records.is_empty());
        assert_eq!(damage, Some(Damage::NotAJournal));
        assert_eq!(
            Damage::NotAJournal.to_string(),
            "it is not a sacred journal (bad header)"
        );
    }

    #[test]
    fn oversized_records_are_refused_before_writing() {
        let mut out = Vec::new();
        let big = vec![0u8; MAX_PAYLOAD as usize + 1];
        let error = write_record(&mut out, &big).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
        assert!(out.is_empty());
    }
}
