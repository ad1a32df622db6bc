//! Card codes at rest: AES-256-GCM with a random 96-bit nonce, stored as `nonce || ciphertext+tag`.
use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use rand::RngCore;
use std::path::Path;

#[derive(Clone)]
pub struct CardCipher {
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for CardCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CardCipher(***)")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("the card key must be 64 hex characters")]
    BadKey,
    #[error("could not read or create the key file {path}: {source}")]
    KeyFile { path: String, source: std::io::Error },
    #[error("a stored card code could not be decrypted (wrong CARD_ENCRYPTION_KEY?)")]
    Decrypt,
}

const NONCE_LEN: usize = 12;

impl CardCipher {
    pub fn from_key(key: &[u8; 32]) -> CardCipher {
        CardCipher { cipher: Aes256Gcm::new(key.into()) }
    }

    pub fn from_hex(hex: &str) -> Result<CardCipher, CryptoError> {
        Ok(CardCipher::from_key(&decode_hex_key(hex)?))
    }

    /// Loads the key file, or creates it (mode 0600) with a fresh random key. Returns whether it
    /// was created, so start-up can warn that it must be backed up with the database.
    pub fn from_key_file(path: &Path) -> Result<(CardCipher, bool), CryptoError> {
        let io = |source| CryptoError::KeyFile { path: path.display().to_string(), source };
        match std::fs::read_to_string(path) {
            Ok(s) => Ok((CardCipher::from_hex(s.trim())?, false)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut key = [0u8; 32];
                rand::thread_rng().fill_bytes(&mut key);
                let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
                write_private(path, &hex).map_err(io)?;
                Ok((CardCipher::from_key(&key), true))
            }
            Err(e) => Err(io(e)),
        }
    }

    pub fn encrypt(&self, plain: &str) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::thread_rng().fill_bytes(&mut nonce);
        let ct = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), plain.as_bytes())
            .expect("AES-GCM encryption of a short code cannot fail");
        let mut out = Vec::with_capacity(NONCE_LEN + ct.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        out
    }

    pub fn decrypt(&self, blob: &[u8]) -> Result<String, CryptoError> {
        if blob.len() < NONCE_LEN {
            return Err(CryptoError::Decrypt);
        }
        let (nonce, ct) = blob.split_at(NONCE_LEN);
        let plain = self.cipher.decrypt(Nonce::from_slice(nonce), ct).map_err(|_| CryptoError::Decrypt)?;
        String::from_utf8(plain).map_err(|_| CryptoError::Decrypt)
    }
}

fn decode_hex_key(hex: &str) -> Result<[u8; 32], CryptoError> {
    let hex = hex.trim();
    if hex.len() != 64 {
        return Err(CryptoError::BadKey);
    }
    let mut key = [0u8; 32];
    for (i, byte) in key.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2).ok_or(CryptoError::BadKey)?, 16)
            .map_err(|_| CryptoError::BadKey)?;
    }
    Ok(key)
}

#[cfg(unix)]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    f.write_all(contents.as_bytes())?;
    f.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, contents)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_hides_plaintext() {
        let c = CardCipher::from_hex(&"11".repeat(32)).unwrap();
        let blob = c.encrypt("123456789012");
        assert!(!blob.windows(12).any(|w| w == b"123456789012"));
        assert_eq!(c.decrypt(&blob).unwrap(), "123456789012");
        assert_ne!(c.encrypt("123456789012"), blob, "nonces are random");
    }

    #[test]
    fn wrong_key_or_tampering_fails_cleanly() {
        let a = CardCipher::from_hex(&"11".repeat(32)).unwrap();
        let b = CardCipher::from_hex(&"22".repeat(32)).unwrap();
        let mut blob = a.encrypt("code");
        assert!(b.decrypt(&blob).is_err());
        blob[15] ^= 1;
        assert!(a.decrypt(&blob).is_err());
        assert!(a.decrypt(&[1, 2, 3]).is_err());
    }

    #[test]
    fn bad_hex_keys_are_refused() {
        assert!(CardCipher::from_hex("abcd").is_err());
        assert!(CardCipher::from_hex(&"zz".repeat(32)).is_err());
    }

    #[test]
    fn key_file_is_created_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/card.key");
        let (c1, created) = CardCipher::from_key_file(&path).unwrap();
        assert!(created);
        let (c2, created) = CardCipher::from_key_file(&path).unwrap();
        assert!(!created);
        assert_eq!(c2.decrypt(&c1.encrypt("x")).unwrap(), "x");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
    }
}
