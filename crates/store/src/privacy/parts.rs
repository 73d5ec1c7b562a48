//! [`PersonalParts`]: how an event's personal part divides into persons, each sealed under a data key of its own.

use serde_json::Value;

/// How one event's personal part divides into persons, each sealed under their own data key. The store knows
/// nothing of petitions: the application that does supplies this.
pub trait PersonalParts: Send + Sync + std::fmt::Debug + 'static {
    /// Splits `personal` into `(person, part)` pairs. Person names are stable within a stream (`signatory-0`)
    /// and must not themselves be personal data.
    fn split(&self, event_type: &str, personal: Value) -> Vec<(String, Value)>;
    /// Like [`split`](Self::split), seeing the event's (non-personal) payload too, so that a person can be
    /// given a key of its own kind (a protected denouncer). The default ignores the payload.
    fn split_event(
        &self,
        event_type: &str,
        _payload: &Value,
        personal: Value,
    ) -> Vec<(String, Value)> {
        self.split(event_type, personal)
    }
    /// Rebuilds the personal part from its parts, in `split`'s order; `None` marks an erased part. Returns
    /// `None` when nothing meaningful is left.
    fn join(&self, event_type: &str, parts: Vec<(String, Option<Value>)>) -> Option<Value>;
}

/// The default division: the whole personal part belongs to one person, `subject`.
#[derive(Debug, Clone, Copy, Default)]
pub struct OnePerson;

impl PersonalParts for OnePerson {
    fn split(&self, _event_type: &str, personal: Value) -> Vec<(String, Value)> {
        vec![("subject".to_owned(), personal)]
    }
    fn join(&self, _event_type: &str, parts: Vec<(String, Option<Value>)>) -> Option<Value> {
        parts.into_iter().next().and_then(|(_, part)| part)
    }
}
