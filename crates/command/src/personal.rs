//! How a petition's personal part divides into persons for sealing: one data key per signatory of the case, so
//! one signatory can be erased without the others (ADR 0010).
//!
//! `petition.received` stores `{"petitioners": {"signatories": [...], "representatives": [...]}}`. Each signatory
//! is sealed as `signatory-<i>`; the rest (the representatives' indexes and the number of signatories) as
//! `petitioners`. Any other event's personal part is one person, `subject`.
//!
//! A denunciation's denouncers (`identity_protected` in the payload, LTC art. 47) are sealed as `denouncer-<i>`
//! instead: their own data keys, apart from the case's other personal data, revealed through the API only by the
//! audited reveal (ADR 0016) and erasable on their own.

use serde_json::{Map, Value, json};
use store::privacy::PersonalParts;

/// The person name of the `i`-th signatory of a case.
pub fn signatory(i: usize) -> String {
    format!("signatory-{i}")
}

/// The person name of the `i`-th denouncer of a denunciation (a protected identity).
pub fn denouncer(i: usize) -> String {
    format!("denouncer-{i}")
}

/// The index of a signatory or denouncer person name.
fn person_index(person: &str) -> Option<usize> {
    person
        .strip_prefix("signatory-")
        .or_else(|| person.strip_prefix("denouncer-"))
        .and_then(|i| i.parse::<usize>().ok())
}

/// The part that holds everything but the signatories themselves.
pub const PETITIONERS: &str = "petitioners";

/// What an erased signatory reads back as, so that every other signatory keeps its index (notifications and
/// representatives refer to signatories by index). It carries no contact detail, so nobody is told anything.
pub const ERASED_NAME: &str = "[erased]";

/// [`PersonalParts`] for petitions.
#[derive(Debug, Clone, Copy, Default)]
pub struct PetitionerParts;

impl PersonalParts for PetitionerParts {
    fn split_event(
        &self,
        event_type: &str,
        payload: &Value,
        personal: Value,
    ) -> Vec<(String, Value)> {
        let parts = self.split(event_type, personal);
        let protected = event_type == "petition.received"
            && payload.get("identity_protected").and_then(Value::as_bool) == Some(true);
        if !protected {
            return parts;
        }
        parts
            .into_iter()
            .map(|(person, part)| match person.strip_prefix("signatory-") {
                Some(i) => (format!("denouncer-{i}"), part),
                None => (person, part),
            })
            .collect()
    }

    fn split(&self, event_type: &str, personal: Value) -> Vec<(String, Value)> {
        let Value::Object(mut outer) = personal else {
            return vec![("subject".into(), personal)];
        };
        let signatories = match outer.get_mut(PETITIONERS).and_then(Value::as_object_mut) {
            Some(p) if event_type == "petition.received" => match p.remove("signatories") {
                Some(Value::Array(list)) => list,
                Some(other) => {
                    p.insert("signatories".into(), other);
                    return vec![("subject".into(), Value::Object(outer))];
                }
                None => Vec::new(),
            },
            _ => return vec![("subject".into(), Value::Object(outer))],
        };
        outer.insert("signatory_count".into(), json!(signatories.len()));
        let mut parts = vec![(PETITIONERS.to_owned(), Value::Object(outer))];
        parts.extend(
            signatories
                .into_iter()
                .enumerate()
                .map(|(i, person)| (signatory(i), person)),
        );
        parts
    }

    fn join(&self, _event_type: &str, parts: Vec<(String, Option<Value>)>) -> Option<Value> {
        let mut parts = parts.into_iter();
        let (first, rest) = parts.next()?;
        // Erasing the whole case destroys this part too: nothing is left to show.
        let Value::Object(mut outer) = rest? else {
            return None;
        };
        if first != PETITIONERS {
            return Some(Value::Object(outer));
        }
        let count = outer
            .remove("signatory_count")
            .and_then(|n| n.as_u64())
            .unwrap_or(0);
        let mut signatories: Vec<Value> = (0..count)
            .map(|_| json!({ "full_name": ERASED_NAME }))
            .collect();
        for (person, part) in parts {
            let index = person_index(&person);
            if let (Some(i), Some(part)) = (index, part)
                && let Some(slot) = signatories.get_mut(i)
            {
                *slot = part;
            }
        }
        if let Some(Value::Object(p)) = outer.get_mut(PETITIONERS) {
            p.insert("signatories".into(), Value::Array(signatories));
        } else {
            let mut p = Map::new();
            p.insert("signatories".into(), Value::Array(signatories));
            outer.insert(PETITIONERS.into(), Value::Object(p));
        }
        Some(Value::Object(outer))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn received() -> Value {
        json!({"petitioners": {
            "signatories": [{"full_name": "A", "phone": "0912345678"}, {"full_name": "B"}],
            "representatives": [1]
        }})
    }

    #[test]
    fn each_signatory_is_its_own_part_and_the_parts_join_back_exactly() {
        let parts = PetitionerParts.split("petition.received", received());
        let names: Vec<&str> = parts.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(names, ["petitioners", "signatory-0", "signatory-1"]);
        assert!(!parts[0].1.to_string().contains("0912345678"));
        let all = parts.into_iter().map(|(p, v)| (p, Some(v))).collect();
        assert_eq!(
            PetitionerParts.join("petition.received", all),
            Some(received())
        );
    }

    #[test]
    fn a_protected_denouncer_is_sealed_as_a_denouncer_and_joins_back_exactly() {
        let payload = json!({"identity_protected": true});
        let parts = PetitionerParts.split_event("petition.received", &payload, received());
        let names: Vec<&str> = parts.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(names, ["petitioners", "denouncer-0", "denouncer-1"]);
        let all = parts.into_iter().map(|(p, v)| (p, Some(v))).collect();
        assert_eq!(
            PetitionerParts.join("petition.received", all),
            Some(received())
        );
        let plain = PetitionerParts.split_event("petition.received", &json!({}), received());
        assert_eq!(plain[1].0, "signatory-0");
    }

    #[test]
    fn an_erased_signatory_keeps_its_place_and_an_erased_case_is_nothing() {
        let parts: Vec<(String, Option<Value>)> = PetitionerParts
            .split("petition.received", received())
            .into_iter()
            .map(|(p, v)| {
                let erased = p == "signatory-0";
                (p, (!erased).then_some(v))
            })
            .collect();
        let joined = PetitionerParts
            .join("petition.received", parts.clone())
            .expect("joined");
        assert_eq!(
            joined["petitioners"]["signatories"],
            json!([{"full_name": ERASED_NAME}, {"full_name": "B"}])
        );
        assert_eq!(joined["petitioners"]["representatives"], json!([1]));
        let mut none = parts;
        none[0].1 = None;
        assert_eq!(PetitionerParts.join("petition.received", none), None);
    }
}
