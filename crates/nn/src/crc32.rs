//! CRC-32 (IEEE 802.3, the checksum of zip, gzip and PNG), for checkpoint integrity.
//!
//! Written here rather than pulled in as a dependency because it is twenty lines. A CRC
//! detects every error burst of up to 32 bits, so a flipped byte is always caught, which a
//! plain sum or xor would not guarantee.

/// The reflected IEEE polynomial.
const POLY: u32 = 0xEDB8_8320;

/// Lookup table: the CRC of each byte value, built at compile time.
const TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 { POLY ^ (c >> 1) } else { c >> 1 };
            k += 1;
        }
        table[i] = c;
        i += 1;
    }
    table
};

/// The CRC-32 of `bytes` (checked against published values in the tests below).
pub(crate) fn crc32(bytes: &[u8]) -> u32 {
    let mut c = !0u32;
    for &b in bytes {
        c = TABLE[((c ^ u32::from(b)) & 0xFF) as usize] ^ (c >> 8);
    }
    !c
}

#[cfg(test)]
mod tests {
    use super::crc32;

    #[test]
    fn published_check_values() {
        // Published values: the CRC catalogue's check value for CRC-32/ISO-HDLC, and the
        // widely quoted CRC-32 of the pangram (as zlib's crc32 gives it).
        assert_eq!(crc32(b""), 0);
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(
            crc32(b"The quick brown fox jumps over the lazy dog"),
            0x414F_A339
        );
    }

    #[test]
    fn every_single_byte_flip_changes_the_crc() {
        let data: Vec<u8> = (0..64u8).collect();
        let reference = crc32(&data);
        for i in 0..data.len() {
            for bit in 0..8 {
                let mut d = data.clone();
                d[i] ^= 1 << bit;
                assert_ne!(
                    crc32(&d),
                    reference,
                    "flip of byte {i} bit {bit} undetected"
                );
            }
        }
    }
}
