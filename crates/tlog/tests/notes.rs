//! Signed checkpoints: interoperability vectors, forged and foreign signatures, and witness cosignatures.
//!
//! Vectors: the `PeterNeumann` key and note of Go's `golang.org/x/mod/sumdb/note` (note_test.go and the package
//! example; BSD-3-Clause), and a checkpoint of the public `arche2025h1.staging.ct.transparency.dev` log carrying
//! its Ed25519 signature and a tlog-cosignature/v1 by the public witness `remora.n621.de`, with both keys as
//! their operators publish them.

use tlog::Checkpoint;
use tlog::note::{
    KeyRole, NoteFormatError, NoteSigner, TrustedKeys, VerifierKey, cosign, sign_checkpoint,
};
use tlog::tree::{EMPTY_ROOT, leaf_hash};

const PETER_VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
const PETER_SKEY: &str =
    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
const PETER_TEXT: &str = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const PETER_SIG: &str =
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=";

const ARCHE_VKEY: &str =
    "arche2025h1.staging.ct.transparency.dev+ba2f06c0+AU0vHmlGCS/PdN8b2OaGmKprLI8HKM+dJ472xgFYh15f";
const REMORA_VKEY: &str = "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2";
const ARCHE_CHECKPOINT: &str = "arche2025h1.staging.ct.transparency.dev
1432088532
U7WM79jrzyhGZ5/GUBTpM7NzwdyfFx61t3RovgcC4Ro=

— arche2025h1.staging.ct.transparency.dev zTM8sQAAAZ5W0WdjBAMARjBEAiBjW5IQf9pvsYLfQFX6hoGREPMHbdQ3urbllzalApkptQIgIpwtEroeW2BXaHAI4kJXFbon5Ch9MNL5zRNZ55lvGt0=
— arche2025h1.staging.ct.transparency.dev ui8GwCF1+kWqZrxGdhj4aX3gcw7XUlXQQabg/27lefwhUkzbC3NygNI75MdhL1bfTW9g8Ei59RA23oHP7Ry1k3ZFWwQ=
— remora.n621.de 2net5wAAAABqEiEgPlfF3V06o0Y+fHM+J5J9s27wgxxcOVSpZ/2g/KSiXCg9DEZI+aVCIobWX9sXTynk5XeU/zZ0WBxtqB0DrAWfBw==
";

fn vkey(s: &str) -> VerifierKey {
    VerifierKey::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn log_signer(seed: u8) -> NoteSigner {
    NoteSigner::from_seed("petition.example/log", KeyRole::Log, [seed; 32])
        .unwrap_or_else(|e| panic!("{e}"))
}

fn witness(seed: u8) -> NoteSigner {
    NoteSigner::from_seed("witness.example/w1", KeyRole::Witness, [seed; 32])
        .unwrap_or_else(|e| panic!("{e}"))
}

fn checkpoint(size: u64) -> Checkpoint {
    Checkpoint::new("petition.example/log", size, leaf_hash(&[7; 32]), "")
        .unwrap_or_else(|e| panic!("{e}"))
}

fn trust(keys: &[VerifierKey]) -> TrustedKeys {
    TrustedKeys::new(keys.to_vec())
}

#[test]
fn go_notes_key_parses_and_its_private_key_signs_the_published_note_byte_for_byte() {
    let key = vkey(PETER_VKEY);
    assert_eq!(key.to_vkey(), PETER_VKEY);
    assert_eq!(key.key_id(), 0xc74f20a3);
    let signer = NoteSigner::from_skey(PETER_SKEY).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(signer.verifier_key(), key);
    // Ed25519 is deterministic, so signing the same text must give the Go package's exact note.
    let want = format!("{PETER_TEXT}\n— PeterNeumann {PETER_SIG}\n");
    assert_eq!(signer.sign_note(PETER_TEXT).ok(), Some(want.clone()));
    // And the Go note verifies under the published key.
    let note = signed_note::Note::from_bytes(want.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    let known = signed_note::VerifierList::new(vec![Box::new(
        signed_note::StandardVerifier::new(PETER_VKEY).unwrap_or_else(|e| panic!("{e}")),
    )]);
    assert!(note.verify(&known).is_ok());
}

#[test]
fn a_real_checkpoint_verifies_with_its_log_key_and_its_witness_cosignature() {
    let trusted = trust(&[vkey(ARCHE_VKEY), vkey(REMORA_VKEY)]);
    let v = trusted
        .open_checkpoint(
            ARCHE_CHECKPOINT,
            Some("arche2025h1.staging.ct.transparency.dev"),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(v.checkpoint.size(), 1432088532);
    assert_eq!(
        v.log_signers,
        vec!["arche2025h1.staging.ct.transparency.dev".to_owned()]
    );
    assert_eq!(v.witnesses.len(), 1);
    assert_eq!(v.witnesses[0].0, "remora.n621.de");
    // The RFC 6962 signature line (type 0x05) is by a key nobody configured: ignored, as the spec requires.
    assert_eq!(v.unknown_signers.len(), 1);
}

#[test]
fn a_real_checkpoint_with_a_changed_size_no_longer_verifies() {
    let trusted = trust(&[vkey(ARCHE_VKEY), vkey(REMORA_VKEY)]);
    let forged = ARCHE_CHECKPOINT.replace("1432088532", "1432088533");
    assert!(matches!(
        trusted.open_checkpoint(&forged, None),
        Err(NoteFormatError::BadSignature(_))
    ));
}

#[test]
fn a_checkpoint_we_sign_verifies_and_round_trips() {
    let log = log_signer(1);
    let note = sign_checkpoint(&checkpoint(5), &log).unwrap_or_default();
    let v = trust(&[log.verifier_key()]).open_checkpoint(&note, Some("petition.example/log"));
    let v = v.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(v.checkpoint, checkpoint(5));
    assert_eq!(note.lines().next(), Some("petition.example/log"));
    assert!(note.contains("\n\n— petition.example/log "));
    // A vkey survives its text form.
    assert_eq!(vkey(&log.verifier_key().to_vkey()), log.verifier_key());
}

#[test]
fn a_checkpoint_signed_by_a_foreign_key_is_untrusted() {
    let note = sign_checkpoint(&checkpoint(5), &log_signer(2)).unwrap_or_default();
    let result = trust(&[log_signer(1).verifier_key()]).open_checkpoint(&note, None);
    assert!(
        matches!(result, Err(NoteFormatError::Untrusted(_))),
        "{result:?}"
    );
}

#[test]
fn a_forged_signature_under_the_trusted_key_name_and_id_is_rejected() {
    let log = log_signer(1);
    let good = sign_checkpoint(&checkpoint(5), &log).unwrap_or_default();
    // Same body, the trusted key's name and id, another key's signature bytes.
    let other = sign_checkpoint(&checkpoint(5), &log_signer(2)).unwrap_or_default();
    let sig_of = |note: &str| {
        note.rsplit(' ')
            .next()
            .unwrap_or_default()
            .trim()
            .to_owned()
    };
    let forged_sig = {
        use base64::Engine as _;
        let engine = base64::engine::general_purpose::STANDARD;
        let mut good_raw = engine.decode(sig_of(&good)).unwrap_or_default();
        let other_raw = engine.decode(sig_of(&other)).unwrap_or_default();
        good_raw.truncate(4);
        good_raw.extend_from_slice(&other_raw[4..]);
        engine.encode(good_raw)
    };
    let forged = good.replace(&sig_of(&good), &forged_sig);
    let result = trust(&[log.verifier_key()]).open_checkpoint(&forged, None);
    assert!(
        matches!(result, Err(NoteFormatError::BadSignature(_))),
        "{result:?}"
    );
}

#[test]
fn a_flipped_bit_in_the_body_or_the_signature_is_rejected() {
    let log = log_signer(1);
    let trusted = trust(&[log.verifier_key()]);
    let note = sign_checkpoint(&checkpoint(5), &log).unwrap_or_default();
    let bigger = note.replacen("\n5\n", "\n6\n", 1);
    assert!(trusted.open_checkpoint(&bigger, None).is_err());
    let mut bytes = note.clone().into_bytes();
    let last_sig_char = bytes.len() - 3;
    bytes[last_sig_char] = if bytes[last_sig_char] == b'A' {
        b'B'
    } else {
        b'A'
    };
    let flipped = String::from_utf8(bytes).unwrap_or_default();
    assert!(trusted.open_checkpoint(&flipped, None).is_err());
}

#[test]
fn a_checkpoint_of_another_log_is_refused() {
    let log = log_signer(1);
    let note = sign_checkpoint(&checkpoint(5), &log).unwrap_or_default();
    let result = trust(&[log.verifier_key()]).open_checkpoint(&note, Some("other.example/log"));
    assert!(matches!(result, Err(NoteFormatError::WrongOrigin { .. })));
}

#[test]
fn a_witness_cosignature_verifies_and_a_witness_alone_does_not_make_a_checkpoint_trusted() {
    let (log, w) = (log_signer(1), witness(9));
    let note = sign_checkpoint(&checkpoint(5), &log).unwrap_or_default();
    let cosigned = cosign(&note, &w, 1_700_000_000).unwrap_or_default();
    let v = trust(&[log.verifier_key(), w.verifier_key()]).open_checkpoint(&cosigned, None);
    let v = v.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        v.witnesses,
        vec![("witness.example/w1".to_owned(), 1_700_000_000)]
    );
    // Trusting only the witness is not enough: the log's own signature is what a checkpoint is.
    let only_witness = trust(&[w.verifier_key()]).open_checkpoint(&cosigned, None);
    assert!(matches!(only_witness, Err(NoteFormatError::Untrusted(_))));
    // The cosignature covers the time: changing it breaks it.
    let later = {
        use base64::Engine as _;
        let engine = base64::engine::general_purpose::STANDARD;
        let line = cosigned.lines().last().unwrap_or_default();
        let b64 = line.rsplit(' ').next().unwrap_or_default();
        let mut raw = engine.decode(b64).unwrap_or_default();
        raw[11] ^= 1; // The low byte of the 8-byte timestamp, after the 4-byte key id.
        cosigned.replace(b64, &engine.encode(raw))
    };
    let result = trust(&[log.verifier_key(), w.verifier_key()]).open_checkpoint(&later, None);
    assert!(
        matches!(result, Err(NoteFormatError::BadSignature(_))),
        "{result:?}"
    );
}

#[test]
fn keys_are_refused_when_their_id_type_or_length_is_wrong() {
    let good = log_signer(1).verifier_key().to_vkey();
    let (name, rest) = good.split_once('+').unwrap_or_default();
    let (_, key) = rest.split_once('+').unwrap_or_default();
    for bad in [
        format!("{name}+00000000+{key}"),
        format!("{name}+{}", key),
        format!("other.example+{rest}"),
        format!("{name} x+{rest}"),
        format!("{name}+{}+AQ==", &rest[..8]),
        {
            // Signature type 0x02 (ECDSA), which this verifier does not accept.
            use base64::Engine as _;
            let engine = base64::engine::general_purpose::STANDARD;
            let mut raw = engine.decode(key).unwrap_or_default();
            raw[0] = 0x02;
            format!("{name}+{}+{}", &rest[..8], engine.encode(raw))
        },
    ] {
        assert!(VerifierKey::parse(&bad).is_err(), "accepted {bad}");
    }
    assert!(NoteSigner::from_seed("a name", KeyRole::Log, [1; 32]).is_err());
    // A log key cannot cosign and a witness key cannot sign.
    assert!(
        cosign(
            &sign_checkpoint(&checkpoint(1), &log_signer(1)).unwrap_or_default(),
            &log_signer(1),
            1
        )
        .is_err()
    );
    assert!(sign_checkpoint(&checkpoint(1), &witness(1)).is_err());
    // The empty tree's checkpoint carries SHA-256 of nothing.
    assert!(Checkpoint::new("petition.example/log", 0, EMPTY_ROOT, "").is_ok());
}
