//! Lower-case hexadecimal text of bytes, as file digests and token hashes are stored and shown.

/// `bytes` as lower-case hexadecimal, two digits a byte.
pub fn lower_hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn bytes_become_two_lower_case_digits_each() {
        assert_eq!(super::lower_hex(&[0x00, 0x0f, 0xab, 0xff]), "000fabff");
        assert_eq!(super::lower_hex(&[]), "");
    }
}
