//! The log's Ed25519 signing key, kept in a file in the Go note private-key form
//! `PRIVATE+KEY+<name>+<key id>+base64(0x01 || seed)` (what `tlog::note::NoteSigner::from_skey` reads).

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use tlog::note::{KeyRole, NoteSigner};

use crate::LogError;

/// Reads the signing key at `path`; when it does not exist and `create` is set, generates one named `name`
/// and writes it there, readable only by its owner.
pub fn load_or_create(path: &Path, name: &str, create: bool) -> Result<NoteSigner, LogError> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let signer = NoteSigner::from_skey(text.trim())
                .map_err(|e| LogError::Key(format!("{}: {e}", path.display())))?;
            check_private(path)?;
            Ok(signer)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && create => {
            let seed: [u8; 32] = rand::random();
            let signer = NoteSigner::from_seed(name, KeyRole::Log, seed)?;
            let mut raw = vec![0x01];
            raw.extend_from_slice(&seed);
            let skey = format!(
                "PRIVATE+KEY+{name}+{:08x}+{}\n",
                signer.verifier_key().key_id(),
                BASE64.encode(raw)
            );
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)
                    .map_err(|e| LogError::Key(format!("creating {}: {e}", dir.display())))?;
            }
            write_private(path, &skey)
                .map_err(|e| LogError::Key(format!("writing {}: {e}", path.display())))?;
            tracing::warn!(path = %path.display(), key = %signer.verifier_key().to_vkey(),
                "generated a new transparency-log signing key; publish its public key where auditors can find it");
            Ok(signer)
        }
        Err(e) => Err(LogError::Key(format!("reading {}: {e}", path.display()))),
    }
}

#[cfg(unix)]
fn check_private(path: &Path) -> Result<(), LogError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)
        .map_err(|e| LogError::Key(format!("{}: {e}", path.display())))?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        tracing::warn!(path = %path.display(), mode = format!("{:o}", mode & 0o777),
            "the transparency-log signing key is readable by others; chmod 600 it");
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_: &Path) -> Result<(), LogError> {
    Ok(())
}

#[cfg(unix)]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(contents.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    std::fs::write(path, contents)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_key_is_private_and_reads_back() {
        let dir = std::env::temp_dir().join(format!("tlog-key-{}", uuid::Uuid::new_v4()));
        let path = dir.join("k");
        let a = load_or_create(&path, "example.org/log", true).expect("create");
        let b = load_or_create(&path, "ignored", false).expect("read back");
        assert_eq!(a.verifier_key().to_vkey(), b.verifier_key().to_vkey());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(load_or_create(&dir.join("absent"), "x", false).is_err());
        let _ = std::fs::remove_dir_all(dir);
    }
}
