//! The key file: the KEKs of a [`super::FileKeyProvider`] and the fingerprint secret, mode 0600, outside the
//! database and its backups.

use std::path::{Path, PathBuf};

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::kek::{DataKey, KeyError, KeyProvider};

const KEY_FILE_FORMAT: &str = "petition-ledger/keys/v1";

/// The key file: every KEK still needed (the current one wraps new keys), and the server secret that keys the
/// request fingerprints. JSON, mode 0600, outside the database and outside the database's backups.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFile {
    format: String,
    current: String,
    keks: Vec<KekEntry>,
    fingerprint_secret: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KekEntry {
    id: String,
    created_at: chrono::DateTime<chrono::Utc>,
    key: String,
}

/// A [`KeyProvider`] backed by a key file (the embedded default creates one in its data directory).
pub struct FileKeyProvider {
    path: PathBuf,
    current: String,
    keks: Vec<(String, Zeroizing<[u8; 32]>)>,
    fingerprint_secret: Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for FileKeyProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileKeyProvider")
            .field("path", &self.path)
            .field("current", &self.current)
            .field("keks", &self.kek_ids())
            .finish_non_exhaustive()
    }
}

fn file_err(path: &Path, what: impl std::fmt::Display) -> KeyError {
    KeyError::File(format!("{}: {what}", path.display()))
}

fn new_kek_entry() -> KekEntry {
    let now = chrono::Utc::now();
    let key: Zeroizing<[u8; 32]> = Zeroizing::new(rand::random());
    KekEntry {
        id: format!(
            "kek-{}-{}",
            now.format("%Y%m%dT%H%M%SZ"),
            hex::encode(rand::random::<[u8; 4]>())
        ),
        created_at: now,
        key: B64.encode(*key),
    }
}

impl FileKeyProvider {
    /// Loads the key file at `path`, refusing one that others may read.
    pub fn load(path: &Path) -> Result<Self, KeyError> {
        check_private(path)?;
        let text = Zeroizing::new(std::fs::read_to_string(path).map_err(|e| file_err(path, e))?);
        let file: KeyFile = serde_json::from_str(&text).map_err(|e| file_err(path, e))?;
        if file.format != KEY_FILE_FORMAT {
            return Err(file_err(path, format!("unknown format `{}`", file.format)));
        }
        let mut keks = Vec::new();
        for entry in &file.keks {
            let bytes = Zeroizing::new(B64.decode(&entry.key).map_err(|e| file_err(path, e))?);
            let key: [u8; 32] = bytes
                .as_slice()
                .try_into()
                .map_err(|_| file_err(path, format!("KEK `{}` is not 32 bytes", entry.id)))?;
            keks.push((entry.id.clone(), Zeroizing::new(key)));
        }
        if !keks.iter().any(|(id, _)| *id == file.current) {
            return Err(file_err(
                path,
                format!("current KEK `{}` is missing", file.current),
            ));
        }
        let fingerprint_secret = Zeroizing::new(
            B64.decode(&file.fingerprint_secret)
                .map_err(|e| file_err(path, e))?,
        );
        if fingerprint_secret.len() < 32 {
            return Err(file_err(
                path,
                "the fingerprint secret is shorter than 32 bytes",
            ));
        }
        Ok(Self {
            path: path.to_owned(),
            current: file.current,
            keks,
            fingerprint_secret,
        })
    }

    /// Loads the key file, first creating it (mode 0600, with one KEK and a fingerprint secret) if it is missing.
    pub fn load_or_create(path: &Path) -> Result<Self, KeyError> {
        if !path.exists() {
            let kek = new_kek_entry();
            let file = KeyFile {
                format: KEY_FILE_FORMAT.into(),
                current: kek.id.clone(),
                keks: vec![kek],
                fingerprint_secret: B64.encode(Zeroizing::new(rand::random::<[u8; 32]>()).as_ref()),
            };
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| file_err(dir, e))?;
            }
            write_private(path, &file, true)?;
        }
        Self::load(path)
    }

    /// Adds a new KEK to the key file and makes it current; returns its id. The old KEKs stay until retired, so
    /// data keys wrapped by them stay readable until [`super::SealedStore::rotate`] has re-wrapped them.
    pub fn add_kek(path: &Path) -> Result<String, KeyError> {
        let mut file = read_file(path)?;
        let kek = new_kek_entry();
        let id = kek.id.clone();
        file.keks.push(kek);
        file.current = id.clone();
        write_private(path, &file, false)?;
        Ok(id)
    }

    /// Removes a KEK that is no longer current from the key file. Only do so once rotation reported no data
    /// key wrapped by it, and after the backups that still need it have expired.
    pub fn retire_kek(path: &Path, id: &str) -> Result<(), KeyError> {
        let mut file = read_file(path)?;
        if file.current == id {
            return Err(file_err(
                path,
                "the current KEK cannot be retired; add a new one first",
            ));
        }
        let before = file.keks.len();
        file.keks.retain(|k| k.id != id);
        if file.keks.len() == before {
            return Err(KeyError::UnknownKek(id.to_owned()));
        }
        write_private(path, &file, false)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Every KEK id this provider can unwrap with.
    pub fn kek_ids(&self) -> Vec<String> {
        self.keks.iter().map(|(id, _)| id.clone()).collect()
    }

    /// The server secret that keys request fingerprints. It is not a KEK and is not rotated with them, so the
    /// fingerprints of recorded commands stay comparable for the life of the deployment.
    pub fn fingerprint_secret(&self) -> &[u8] {
        &self.fingerprint_secret
    }

    fn kek(&self, id: &str) -> Result<XChaCha20Poly1305, KeyError> {
        self.keks
            .iter()
            .find(|(kid, _)| kid == id)
            .map(|(_, key)| XChaCha20Poly1305::new(key.as_ref().into()))
            .ok_or_else(|| KeyError::UnknownKek(id.to_owned()))
    }
}

fn read_file(path: &Path) -> Result<KeyFile, KeyError> {
    check_private(path)?;
    let text = Zeroizing::new(std::fs::read_to_string(path).map_err(|e| file_err(path, e))?);
    serde_json::from_str(&text).map_err(|e| file_err(path, e))
}

/// Writes the file with mode 0600: a new file directly, a replacement through a temporary file and a rename so
/// that a crash never leaves a half-written key file.
fn write_private(path: &Path, file: &KeyFile, create_new: bool) -> Result<(), KeyError> {
    use std::io::Write;
    let text = Zeroizing::new(serde_json::to_string_pretty(file).map_err(|e| file_err(path, e))?);
    let target = if create_new {
        path.to_owned()
    } else {
        path.with_extension("tmp")
    };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut out = options.open(&target).map_err(|e| file_err(&target, e))?;
    out.write_all(text.as_bytes())
        .and_then(|()| out.sync_all())
        .map_err(|e| file_err(&target, e))?;
    if !create_new {
        std::fs::rename(&target, path).map_err(|e| file_err(path, e))?;
    }
    Ok(())
}

#[cfg(unix)]
fn check_private(path: &Path) -> Result<(), KeyError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)
        .map_err(|e| file_err(path, e))?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        return Err(file_err(
            path,
            format!(
                "is accessible by group or others (mode {:o}); chmod 600 it",
                mode & 0o777
            ),
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_path: &Path) -> Result<(), KeyError> {
    Ok(())
}

#[async_trait]
impl KeyProvider for FileKeyProvider {
    fn current_kek(&self) -> String {
        self.current.clone()
    }

    async fn wrap(&self, aad: &[u8], key: &DataKey) -> Result<(String, Vec<u8>), KeyError> {
        let nonce: [u8; 24] = rand::random();
        let sealed = self
            .kek(&self.current)?
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: key.bytes(),
                    aad,
                },
            )
            .map_err(|_| KeyError::Unwrap(self.current.clone()))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok((self.current.clone(), out))
    }

    async fn unwrap(&self, kek_id: &str, aad: &[u8], wrapped: &[u8]) -> Result<DataKey, KeyError> {
        if wrapped.len() < 24 {
            return Err(KeyError::Unwrap(kek_id.to_owned()));
        }
        let (nonce, sealed) = wrapped.split_at(24);
        let opened = Zeroizing::new(
            self.kek(kek_id)?
                .decrypt(XNonce::from_slice(nonce), Payload { msg: sealed, aad })
                .map_err(|_| KeyError::Unwrap(kek_id.to_owned()))?,
        );
        let bytes: [u8; 32] = opened
            .as_slice()
            .try_into()
            .map_err(|_| KeyError::Unwrap(kek_id.to_owned()))?;
        Ok(DataKey::from_bytes(bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_path() -> PathBuf {
        std::env::temp_dir()
            .join(format!("petition-kek-test-{}", uuid::Uuid::new_v4()))
            .join("keys.json")
    }

    #[cfg(unix)]
    #[test]
    fn the_embedded_key_file_is_created_private_and_a_readable_one_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let path = temp_path();
        let provider = FileKeyProvider::load_or_create(&path).expect("created");
        let mode = std::fs::metadata(&path).expect("file").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(provider.kek_ids(), vec![provider.current_kek()]);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        assert!(matches!(
            FileKeyProvider::load(&path),
            Err(KeyError::File(_))
        ));
    }

    #[tokio::test]
    async fn a_key_wrapped_before_a_new_kek_was_added_still_unwraps_and_is_bound_to_its_aad() {
        let path = temp_path();
        let first = FileKeyProvider::load_or_create(&path).expect("created");
        let key = DataKey::generate();
        let (old_kek, wrapped) = first.wrap(b"scope", &key).await.expect("wrap");
        let new_kek = FileKeyProvider::add_kek(&path).expect("added");
        let second = FileKeyProvider::load(&path).expect("reloaded");
        assert_eq!(second.current_kek(), new_kek);
        assert_eq!(second.fingerprint_secret(), first.fingerprint_secret());
        let back = second
            .unwrap(&old_kek, b"scope", &wrapped)
            .await
            .expect("unwrap");
        assert_eq!(back.bytes(), key.bytes());
        assert!(matches!(
            second.unwrap(&old_kek, b"another scope", &wrapped).await,
            Err(KeyError::Unwrap(_))
        ));
        assert!(FileKeyProvider::retire_kek(&path, &new_kek).is_err());
        FileKeyProvider::retire_kek(&path, &old_kek).expect("retired");
        let third = FileKeyProvider::load(&path).expect("reloaded");
        assert!(matches!(
            third.unwrap(&old_kek, b"scope", &wrapped).await,
            Err(KeyError::UnknownKek(_))
        ));
    }
}
