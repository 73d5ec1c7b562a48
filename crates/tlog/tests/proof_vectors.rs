//! The RFC 6962 reference vectors, the proof mutations of transparency-dev, and generated trees.
//!
//! Vectors: the eight standard leaves of Certificate Transparency, their roots for sizes 1..=8, and the
//! inclusion and consistency proofs, as published in transparency-dev/merkle `proof/verify_test.go` (first
//! written for google/certificate-transparency; Apache-2.0). The mutation families (wrong index, wrong size,
//! wrong leaf or root, garbage before or after, a flipped bit in each element, a removed or inserted element)
//! follow that file's `corruptInclusionProof` and `corruptConsistencyProof`.

use tlog::tree::{
    self, EMPTY_ROOT, Frontier, Hash, HashReader, MemoryHashes, ProofError, hash_from_slice,
    verify_consistency, verify_inclusion,
};

fn h(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap_or_default()
}

/// The standard leaves (raw data, hashed as `SHA-256(0x00 || data)`).
fn leaves() -> Vec<Vec<u8>> {
    [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
    .iter()
    .map(|s| h(s))
    .collect()
}

/// Roots of the trees of the first 1..=8 leaves.
const ROOTS: [&str; 8] = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

const EMPTY: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const SOME_HASH: &str = "abacaba000000000000000000000000000000000000000000060061e00123456";

/// (leaf index, tree size, proof)
fn inclusion_vectors() -> Vec<(u64, u64, Vec<Vec<u8>>)> {
    vec![
        (0, 1, vec![]),
        (
            0,
            8,
            vec![
                h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
                h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
                h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
            ],
        ),
        (
            5,
            8,
            vec![
                h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
                h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
                h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
            ],
        ),
        (
            2,
            3,
            vec![h(
                "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            )],
        ),
        (
            1,
            5,
            vec![
                h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
                h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
                h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
            ],
        ),
    ]
}

/// (old size, new size, proof)
fn consistency_vectors() -> Vec<(u64, u64, Vec<Vec<u8>>)> {
    vec![
        (1, 1, vec![]),
        (
            1,
            8,
            vec![
                h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
                h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
                h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
            ],
        ),
        (
            6,
            8,
            vec![
                h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
                h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
                h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
            ],
        ),
        (
            2,
            5,
            vec![
                h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
                h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
            ],
        ),
        (
            6,
            7,
            vec![
                h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
                h("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
                h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
            ],
        ),
    ]
}

/// (index, size, leaf hash, proof, root, description)
type InclusionProbe = (u64, u64, Vec<u8>, Vec<Vec<u8>>, Vec<u8>, String);
/// (old size, new size, old root, new root, proof, description)
type ConsistencyProbe = (u64, u64, Vec<u8>, Vec<u8>, Vec<Vec<u8>>, String);

/// A store holding only some stored hashes.
struct Only(std::collections::HashMap<u64, Hash>);

impl HashReader for Only {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, tlog_tiles::Error> {
        indexes
            .iter()
            .map(|i| {
                self.0
                    .get(i)
                    .copied()
                    .ok_or(tlog_tiles::Error::IndexesNotInTree)
            })
            .collect()
    }
}

fn leaf_hash(data: &[u8]) -> Hash {
    tlog_tiles::record_hash(data)
}

fn root(size: u64) -> Vec<u8> {
    if size == 0 {
        h(EMPTY)
    } else {
        h(ROOTS[size as usize - 1])
    }
}

/// Verifies with byte strings, as a hostile bundle would supply them: a wrong-length hash is a rejection.
fn inclusion_ok(index: u64, size: u64, leaf: &[u8], proof: &[Vec<u8>], root: &[u8]) -> bool {
    let (Ok(leaf), Ok(root)) = (hash_from_slice(leaf), hash_from_slice(root)) else {
        return false;
    };
    let Ok(proof) = proof
        .iter()
        .map(|p| hash_from_slice(p))
        .collect::<Result<Vec<_>, _>>()
    else {
        return false;
    };
    verify_inclusion(index, size, leaf, &proof, root).is_ok()
}

fn consistency_ok(old: u64, new: u64, r1: &[u8], r2: &[u8], proof: &[Vec<u8>]) -> bool {
    let (Ok(r1), Ok(r2)) = (hash_from_slice(r1), hash_from_slice(r2)) else {
        return false;
    };
    let Ok(proof) = proof
        .iter()
        .map(|p| hash_from_slice(p))
        .collect::<Result<Vec<_>, _>>()
    else {
        return false;
    };
    verify_consistency(old, new, r1, r2, &proof).is_ok()
}

fn with(proof: &[Vec<u8>], front: Option<Vec<u8>>, back: Option<Vec<u8>>) -> Vec<Vec<u8>> {
    front
        .into_iter()
        .chain(proof.iter().cloned())
        .chain(back)
        .collect()
}

#[test]
fn the_reference_roots_of_sizes_0_to_8_are_reproduced_by_the_frontier_and_the_stored_hashes() {
    let mut frontier = Frontier::new();
    let mut stored = MemoryHashes::new();
    assert_eq!(frontier.root().0.to_vec(), h(EMPTY));
    assert_eq!(EMPTY_ROOT.0.to_vec(), h(EMPTY));
    for (i, leaf) in leaves().iter().enumerate() {
        frontier.append(leaf_hash(leaf));
        stored.append(leaf_hash(leaf)).unwrap_or_default();
        let size = i as u64 + 1;
        assert_eq!(
            frontier.root().0.to_vec(),
            root(size),
            "frontier, size {size}"
        );
        let from_store = tree::root(size, &stored).map(|r| r.0.to_vec());
        assert_eq!(from_store, Ok(root(size)), "stored hashes, size {size}");
    }
}

#[test]
fn the_reference_inclusion_proofs_verify_and_are_the_ones_we_generate() {
    let mut stored = MemoryHashes::new();
    for leaf in leaves() {
        stored.append(leaf_hash(&leaf)).unwrap_or_default();
    }
    for (index, size, proof) in inclusion_vectors() {
        let leaf = leaf_hash(&leaves()[index as usize]).0;
        assert!(
            inclusion_ok(index, size, &leaf, &proof, &root(size)),
            "{index} in {size}"
        );
        let ours =
            tree::inclusion_proof(size, index, &stored).map(|p| tlog::bundle::proof_bytes(&p));
        assert_eq!(ours, Ok(proof), "generated proof of {index} in {size}");
    }
}

#[test]
fn every_mutation_of_a_reference_inclusion_proof_is_rejected() {
    for (index, size, proof) in inclusion_vectors().into_iter().filter(|v| v.1 > 1) {
        let leaf = leaf_hash(&leaves()[index as usize]).0.to_vec();
        let r = root(size);
        let mut probes: Vec<InclusionProbe> = vec![
            (
                index.wrapping_sub(1),
                size,
                leaf.clone(),
                proof.clone(),
                r.clone(),
                "index - 1".into(),
            ),
            (
                index + 1,
                size,
                leaf.clone(),
                proof.clone(),
                r.clone(),
                "index + 1".into(),
            ),
            (
                index ^ 2,
                size,
                leaf.clone(),
                proof.clone(),
                r.clone(),
                "index ^ 2".into(),
            ),
            (
                index,
                size * 2,
                leaf.clone(),
                proof.clone(),
                r.clone(),
                "size * 2".into(),
            ),
            (
                index,
                size / 2,
                leaf.clone(),
                proof.clone(),
                r.clone(),
                "size / 2".into(),
            ),
            (
                index,
                size,
                b"WrongLeaf".to_vec(),
                proof.clone(),
                r.clone(),
                "wrong leaf".into(),
            ),
            (
                index,
                size,
                leaf.clone(),
                proof.clone(),
                h(EMPTY),
                "empty root".into(),
            ),
            (
                index,
                size,
                leaf.clone(),
                proof.clone(),
                h(SOME_HASH),
                "random root".into(),
            ),
            (
                index,
                size,
                leaf.clone(),
                with(&proof, None, Some(vec![])),
                r.clone(),
                "trailing garbage".into(),
            ),
            (
                index,
                size,
                leaf.clone(),
                with(&proof, None, Some(r.clone())),
                r.clone(),
                "trailing root".into(),
            ),
            (
                index,
                size,
                leaf.clone(),
                with(&proof, Some(vec![]), None),
                r.clone(),
                "preceding garbage".into(),
            ),
            (
                index,
                size,
                leaf.clone(),
                with(&proof, Some(r.clone()), None),
                r.clone(),
                "preceding root".into(),
            ),
            (
                index,
                size,
                leaf.clone(),
                proof[..proof.len() - 1].to_vec(),
                r.clone(),
                "removed component".into(),
            ),
        ];
        if proof.len() > 1 {
            let mut inserted = vec![proof[0].clone(), h(SOME_HASH)];
            inserted.extend(proof[1..].iter().cloned());
            probes.push((
                index,
                size,
                leaf.clone(),
                inserted,
                r.clone(),
                "inserted component".into(),
            ));
            let mut swapped = proof.clone();
            swapped.swap(0, 1);
            probes.push((
                index,
                size,
                leaf.clone(),
                swapped,
                r.clone(),
                "swapped components".into(),
            ));
        }
        for i in 0..proof.len() {
            let mut flipped = proof.clone();
            flipped[i][0] ^= 8;
            probes.push((
                index,
                size,
                leaf.clone(),
                flipped,
                r.clone(),
                format!("proof[{i}] bit 3 flipped"),
            ));
        }
        for (i, s, l, p, rt, desc) in probes {
            assert!(
                !inclusion_ok(i, s, &l, &p, &rt),
                "accepted {desc} for leaf {index} in {size}"
            );
        }
    }
}

#[test]
fn the_reference_consistency_proofs_verify_and_are_the_ones_we_generate() {
    let mut stored = MemoryHashes::new();
    for leaf in leaves() {
        stored.append(leaf_hash(&leaf)).unwrap_or_default();
    }
    for (old, new, proof) in consistency_vectors() {
        assert!(
            consistency_ok(old, new, &root(old), &root(new), &proof),
            "{old} -> {new}"
        );
        let ours =
            tree::consistency_proof(old, new, &stored).map(|p| tlog::bundle::proof_bytes(&p));
        assert_eq!(ours, Ok(proof), "generated proof {old} -> {new}");
    }
}

#[test]
fn every_mutation_of_a_reference_consistency_proof_is_rejected() {
    for (old, new, proof) in consistency_vectors()
        .into_iter()
        .filter(|v| !v.2.is_empty())
    {
        let (r1, r2) = (root(old), root(new));
        let mut probes: Vec<ConsistencyProbe> = vec![
            (
                old - 1,
                new,
                r1.clone(),
                r2.clone(),
                proof.clone(),
                "old - 1".into(),
            ),
            (
                old + 1,
                new,
                r1.clone(),
                r2.clone(),
                proof.clone(),
                "old + 1".into(),
            ),
            (
                old ^ 2,
                new,
                r1.clone(),
                r2.clone(),
                proof.clone(),
                "old ^ 2".into(),
            ),
            (
                old,
                new * 2,
                r1.clone(),
                r2.clone(),
                proof.clone(),
                "new * 2".into(),
            ),
            (
                old,
                new / 2,
                r1.clone(),
                r2.clone(),
                proof.clone(),
                "new / 2".into(),
            ),
            (
                old,
                new,
                b"WrongRoot".to_vec(),
                r2.clone(),
                proof.clone(),
                "wrong root1".into(),
            ),
            (
                old,
                new,
                r1.clone(),
                b"WrongRoot".to_vec(),
                proof.clone(),
                "wrong root2".into(),
            ),
            (
                old,
                new,
                r2.clone(),
                r1.clone(),
                proof.clone(),
                "swapped roots".into(),
            ),
            (
                old,
                new,
                r1.clone(),
                r2.clone(),
                vec![],
                "empty proof".into(),
            ),
            (
                old,
                new,
                r1.clone(),
                r2.clone(),
                with(&proof, None, Some(vec![])),
                "trailing garbage".into(),
            ),
            (
                old,
                new,
                r1.clone(),
                r2.clone(),
                with(&proof, None, Some(r1.clone())),
                "trailing root1".into(),
            ),
            (
                old,
                new,
                r1.clone(),
                r2.clone(),
                with(&proof, None, Some(r2.clone())),
                "trailing root2".into(),
            ),
            (
                old,
                new,
                r1.clone(),
                r2.clone(),
                with(&proof, Some(vec![]), None),
                "preceding garbage".into(),
            ),
            (
                old,
                new,
                r1.clone(),
                r2.clone(),
                with(&proof, Some(r1.clone()), None),
                "preceding root1".into(),
            ),
            (
                old,
                new,
                r1.clone(),
                r2.clone(),
                with(&proof, Some(r2.clone()), None),
                "preceding root2".into(),
            ),
            (
                old,
                new,
                r1.clone(),
                r2.clone(),
                with(&proof, Some(proof[0].clone()), None),
                "preceding proof[0]".into(),
            ),
            (
                old,
                new,
                r1.clone(),
                r2.clone(),
                proof[..proof.len() - 1].to_vec(),
                "truncated proof".into(),
            ),
        ];
        if proof.len() > 1 {
            let mut swapped = proof.clone();
            swapped.swap(0, 1);
            probes.push((
                old,
                new,
                r1.clone(),
                r2.clone(),
                swapped,
                "swapped components".into(),
            ));
        }
        for i in 0..proof.len() {
            let mut flipped = proof.clone();
            flipped[i][0] ^= 16;
            probes.push((
                old,
                new,
                r1.clone(),
                r2.clone(),
                flipped,
                format!("proof[{i}] bit 4 flipped"),
            ));
        }
        for (o, n, a, b, p, desc) in probes {
            assert!(
                !consistency_ok(o, n, &a, &b, &p),
                "accepted {desc} for {old} -> {new}"
            );
        }
    }
}

#[test]
fn the_edge_cases_of_rfc_9162_hold() {
    let some = hash_from_slice(&h(SOME_HASH)).unwrap_or_default();
    let other = leaf_hash(b"other");
    // The empty tree is a prefix of every tree, with an empty proof; equal sizes need equal roots.
    assert!(verify_consistency(0, 0, some, some, &[]).is_ok());
    assert!(verify_consistency(0, 5, some, other, &[]).is_ok());
    assert!(verify_consistency(0, 5, some, other, &[some]).is_err());
    assert!(verify_consistency(3, 3, some, other, &[]).is_err());
    assert!(verify_consistency(3, 3, some, some, &[some]).is_err());
    // A tree never shrinks.
    assert!(matches!(
        verify_consistency(2, 1, some, some, &[]),
        Err(ProofError::Impossible(_))
    ));
    // No leaf is in an empty tree, or beyond the size.
    for (index, size) in [(0, 0), (1, 0), (2, 1), (5, 5)] {
        assert!(
            verify_inclusion(index, size, some, &[], some).is_err(),
            "{index} in {size}"
        );
    }
    // In a tree of one leaf, the root is the leaf hash and the proof is empty.
    assert!(verify_inclusion(0, 1, some, &[], some).is_ok());
    assert!(verify_inclusion(0, 1, some, &[], other).is_err());
}

#[test]
fn every_generated_proof_up_to_64_leaves_verifies_and_fails_for_any_other_leaf_or_size() {
    let mut stored = MemoryHashes::new();
    let mut frontier = Frontier::new();
    let mut roots = vec![EMPTY_ROOT];
    let leaf = |i: u64| leaf_hash(&i.to_be_bytes());
    for i in 0..64u64 {
        stored.append(leaf(i)).unwrap_or_default();
        frontier.append(leaf(i));
        assert_eq!(tree::root(i + 1, &stored).ok(), Some(frontier.root()));
        roots.push(frontier.root());
    }
    for size in 1..=64u64 {
        let r = roots[size as usize];
        for index in 0..size {
            let proof = tree::inclusion_proof(size, index, &stored).unwrap_or_default();
            // A store that fetched only the announced indexes first produces the same proof.
            let needed = tree::inclusion_proof_indexes(size, index).unwrap_or_default();
            let only = Only(
                needed
                    .iter()
                    .copied()
                    .zip(stored.read_hashes(&needed).unwrap_or_default())
                    .collect(),
            );
            assert_eq!(
                tree::inclusion_proof(size, index, &only).ok(),
                Some(proof.clone())
            );
            assert!(
                verify_inclusion(index, size, leaf(index), &proof, r).is_ok(),
                "{index} in {size}"
            );
            assert!(verify_inclusion(index, size, leaf(index + 1), &proof, r).is_err());
            if size > 1 {
                assert!(
                    verify_inclusion((index + 1) % size, size, leaf(index), &proof, r).is_err()
                );
            }
        }
        for old in 0..=size {
            let proof = tree::consistency_proof(old, size, &stored).unwrap_or_default();
            let old_root = roots[old as usize];
            assert!(
                verify_consistency(old, size, old_root, r, &proof).is_ok(),
                "{old} -> {size}"
            );
            if old > 0 && old < size {
                assert!(verify_consistency(old, size, roots[old as usize - 1], r, &proof).is_err());
                assert!(verify_consistency(old - 1, size, old_root, r, &proof).is_err());
            }
        }
    }
}

#[test]
fn a_frontier_restored_from_its_parts_goes_on_as_if_never_stopped() {
    let mut a = Frontier::new();
    for i in 0..13u64 {
        a.append(leaf_hash(&i.to_be_bytes()));
    }
    let restored = Frontier::from_parts(a.size(), a.nodes().to_vec());
    assert_eq!(restored.as_ref().map(Frontier::root), Ok(a.root()));
    assert!(
        Frontier::from_parts(12, a.nodes().to_vec()).is_err(),
        "13 has three set bits, 12 two"
    );
    let mut b = restored.unwrap_or_default();
    a.append(leaf_hash(b"next"));
    b.append(leaf_hash(b"next"));
    assert_eq!(a, b);
}
