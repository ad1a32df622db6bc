//! Card codes at rest: AES-256-GCM with a random 96-bit nonce.
//!
//! Stored as `0x01 || nonce || ciphertext+tag`, with the order's ref as associated data: a code
//! copied into another order's row does not decrypt there. Rows written before that format
//! (`nonce || ciphertext+tag`, no associated data) are still read.
use aes_gcm::aead::{Aead, KeyInit, Payload};
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
    #[error("the key file {path} can be read by other users (mode {mode:o}); run: chmod 600 {path}")]
    KeyFileOpen { path: String, mode: u32 },
}

const NONCE_LEN: usize = 12;
/// First byte of a code bound to its order.
const BOUND: u8 = 1;

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
            Ok(s) => {
                refuse_open_permissions(path)?;
                Ok((CardCipher::from_hex(s.trim())?, false))
            }
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

    /// Encrypts an order's card code, bound to the order's ref.
    pub fn seal(&self, order_ref: &str, code: &str) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::thread_rng().fill_bytes(&mut nonce);
        let payload = Payload { msg: code.as_bytes(), aad: order_ref.as_bytes() };
        let ct = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), payload)
            .expect("AES-GCM encryption of a short code cannot fail");
        let mut out = Vec::with_capacity(1 + NONCE_LEN + ct.len());
        out.push(BOUND);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        out
    }

    /// Decrypts the card code stored in the row of order `order_ref`.
    pub fn open(&self, order_ref: &str, blob: &[u8]) -> Result<String, CryptoError> {
        if let [BOUND, rest @ ..] = blob
            && rest.len() >= NONCE_LEN
        {
            let (nonce, ct) = rest.split_at(NONCE_LEN);
            let payload = Payload { msg: ct, aad: order_ref.as_bytes() };
            if let Ok(plain) = self.cipher.decrypt(Nonce::from_slice(nonce), payload) {
                return String::from_utf8(plain).map_err(|_| CryptoError::Decrypt);
            }
        }
        // A row from before codes were bound (its random nonce may start with any byte). A bound
        // code moved to another row fails here too: its tag covers the whole blob.
        self.decrypt(blob)
    }

    /// The unbound format of rows written before codes were bound to their orders.
    #[cfg(test)]
    fn encrypt(&self, plain: &str) -> Vec<u8> {
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

    fn decrypt(&self, blob: &[u8]) -> Result<String, CryptoError> {
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

/// The key decrypts every card sold: a key file others can read is a leak waiting to happen.
#[cfg(unix)]
fn refuse_open_permissions(path: &Path) -> Result<(), CryptoError> {
    use std::os::unix::fs::PermissionsExt;
    let meta =
        std::fs::metadata(path).map_err(|source| CryptoError::KeyFile { path: path.display().to_string(), source })?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(CryptoError::KeyFileOpen { path: path.display().to_string(), mode });
    }
    Ok(())
}

#[cfg(not(unix))]
fn refuse_open_permissions(_path: &Path) -> Result<(), CryptoError> {
    Ok(())
}

#[cfg(unix)]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    f.write_all(contents.as_bytes())?;
    f.sync_all()?;
    // The file's name lives in the folder: without this a power loss can lose a key that already
    // encrypted codes.
    std::fs::File::open(dir)?.sync_all()
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
    fn a_code_is_bound_to_its_order() {
        let c = CardCipher::from_hex(&"11".repeat(32)).unwrap();
        let blob = c.seal("nc-1", "123456789012");
        assert!(!blob.windows(12).any(|w| w == b"123456789012"));
        assert_eq!(c.open("nc-1", &blob).unwrap(), "123456789012");
        assert!(c.open("nc-2", &blob).is_err(), "moved to another order's row");
        let mut tampered = blob.clone();
        tampered[20] ^= 1;
        assert!(c.open("nc-1", &tampered).is_err());
        // Rows written before codes were bound still read, under any order.
        let legacy = c.encrypt("987654321098");
        assert_eq!(c.open("nc-9", &legacy).unwrap(), "987654321098");
        assert!(c.open("nc-1", &[BOUND, 1, 2]).is_err());
    }

    #[cfg(unix)]
    #[test]
    fn a_key_file_others_can_read_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("card.key");
        CardCipher::from_key_file(&path).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        let err = CardCipher::from_key_file(&path).unwrap_err();
        assert!(matches!(err, CryptoError::KeyFileOpen { mode: 0o640, .. }), "{err}");
        assert!(err.to_string().contains("chmod 600"), "{err}");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(CardCipher::from_key_file(&path).is_ok());
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
