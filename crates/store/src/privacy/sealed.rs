//! [`SealedStore`]: the decorator that seals personal data on append and opens it on read, around any backend.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

use super::envelope::{self, ALGORITHM, ENVELOPE_FORMAT, Envelope, frame};
use super::kek::{DataKey, KeyError, KeyProvider};
use super::keys::{PersonalKeys, StoredKey};
use super::parts::{OnePerson, PersonalParts};
use crate::{
    AppendOutcome, Checkpoint, CommandMeta, EventStore, ExpectedVersion, NewEvent, Page,
    RecordedEvent, StoreError, StreamId, hash,
};

/// What [`SealedStore::rotate`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RotationReport {
    /// The KEK every data key is now wrapped by.
    pub kek_id: String,
    /// Data keys re-wrapped by this run.
    pub rewrapped: u64,
}

/// An [`EventStore`] that seals every event's `personal` part before the inner store sees it, and opens it again
/// on every read. Events whose data key was destroyed read back with `personal: None` (erased); the inner store,
/// and so the hash chain, only ever holds the envelope.
#[derive(Debug, Clone)]
pub struct SealedStore {
    inner: Arc<dyn EventStore>,
    keys: Arc<dyn PersonalKeys>,
    provider: Arc<dyn KeyProvider>,
    parts: Arc<dyn PersonalParts>,
}

fn key_error(e: KeyError) -> StoreError {
    match e {
        KeyError::Unwrap(_) => StoreError::Corrupt(e.to_string()),
        KeyError::Unavailable(_) => StoreError::Unavailable(e.to_string()),
        KeyError::UnknownKek(_) | KeyError::File(_) => StoreError::Config(e.to_string()),
    }
}

/// The associated data a data key is wrapped with: it cannot be moved to another row's scope.
fn wrap_aad(key_id: Uuid, stream: &StreamId, person: &str) -> Vec<u8> {
    frame(&[
        "petition-ledger/data-key/v1",
        &key_id.hyphenated().to_string(),
        stream.as_str(),
        person,
    ])
}

impl SealedStore {
    pub fn new(
        inner: Arc<dyn EventStore>,
        keys: Arc<dyn PersonalKeys>,
        provider: Arc<dyn KeyProvider>,
    ) -> Self {
        Self {
            inner,
            keys,
            provider,
            parts: Arc::new(OnePerson),
        }
    }

    /// Divides personal parts into persons with `parts` instead of [`OnePerson`].
    pub fn with_parts(mut self, parts: Arc<dyn PersonalParts>) -> Self {
        self.parts = parts;
        self
    }

    /// The undecorated store: envelopes only, for components that never need personal data.
    pub fn sealed_only(&self) -> &Arc<dyn EventStore> {
        &self.inner
    }

    /// Destroys the data keys of `stream` (or of one `person` in it), erasing their personal data from every
    /// event, past and future reads alike, without touching the events. Returns how many keys were destroyed.
    pub async fn erase(&self, stream: &StreamId, person: Option<&str>) -> Result<u64, StoreError> {
        self.keys.destroy(stream, person).await
    }

    /// The persons of `stream` whose personal data is still readable.
    pub async fn readable_persons(&self, stream: &StreamId) -> Result<Vec<String>, StoreError> {
        self.keys.persons(stream).await
    }

    /// Re-wraps every data key not yet wrapped by the provider's current KEK. Events are not touched; safe to
    /// run while the service runs, and to run again after an interruption.
    pub async fn rotate(&self) -> Result<RotationReport, StoreError> {
        let current = self.provider.current_kek();
        let mut report = RotationReport {
            kek_id: current.clone(),
            rewrapped: 0,
        };
        loop {
            let batch = self.keys.wrapped_by_other(&current, 256).await?;
            if batch.is_empty() {
                return Ok(report);
            }
            for key in batch {
                let aad = wrap_aad(key.key_id, &key.stream_id, &key.person);
                let plain = self
                    .provider
                    .unwrap(&key.kek_id, &aad, &key.wrapped)
                    .await
                    .map_err(key_error)?;
                let (kek_id, wrapped) =
                    self.provider.wrap(&aad, &plain).await.map_err(key_error)?;
                if self
                    .keys
                    .rewrap(key.key_id, &key.kek_id, &kek_id, &wrapped)
                    .await?
                {
                    report.rewrapped += 1;
                }
            }
        }
    }

    /// The data key of one person in a stream, created on first use.
    ///
    /// `new_stream`: the append expects no stream, so no key of it is looked up first (one round trip less per
    /// person for every new case); one left by an earlier failed attempt, or by a concurrent writer, is still
    /// found by `insert_or_get`, which returns the key stored for the scope.
    async fn data_key(
        &self,
        stream: &StreamId,
        person: &str,
        new_stream: bool,
    ) -> Result<(Uuid, DataKey), StoreError> {
        if !new_stream && let Some(stored) = self.keys.find(stream, person).await? {
            return Ok((stored.key_id, self.unwrap(&stored).await?));
        }
        let key_id = Uuid::now_v7();
        let key = DataKey::generate();
        let (kek_id, wrapped) = self
            .provider
            .wrap(&wrap_aad(key_id, stream, person), &key)
            .await
            .map_err(key_error)?;
        let stored = self
            .keys
            .insert_or_get(StoredKey {
                key_id,
                stream_id: stream.clone(),
                person: person.to_owned(),
                kek_id,
                wrapped,
            })
            .await?;
        if stored.key_id == key_id {
            Ok((key_id, key))
        } else {
            Ok((stored.key_id, self.unwrap(&stored).await?))
        }
    }

    async fn unwrap(&self, stored: &StoredKey) -> Result<DataKey, StoreError> {
        let aad = wrap_aad(stored.key_id, &stored.stream_id, &stored.person);
        self.provider
            .unwrap(&stored.kek_id, &aad, &stored.wrapped)
            .await
            .map_err(key_error)
    }

    /// Seals the event's personal part; also returns it as reading the sealed event would give it back (the
    /// parts joined again), so that the append's answer need not open what was just sealed.
    async fn seal(
        &self,
        stream: &StreamId,
        mut event: NewEvent,
        new_stream: bool,
    ) -> Result<(NewEvent, Option<Value>), StoreError> {
        let Some(personal) = event.personal.take() else {
            return Ok((event, None));
        };
        let mut parts = Vec::new();
        let mut plain = Vec::new();
        for (person, part) in self
            .parts
            .split_event(&event.event_type, &event.payload, personal)
        {
            let (key_id, key) = self.data_key(stream, &person, new_stream).await?;
            parts.push(envelope::seal(
                &key,
                key_id,
                stream,
                event.event_id,
                &person,
                &part,
            )?);
            plain.push((person, Some(part)));
        }
        let joined = self.parts.join(&event.event_type, plain);
        event.personal = Some(
            Envelope {
                sealed: ENVELOPE_FORMAT.into(),
                alg: ALGORITHM.into(),
                parts,
            }
            .to_value(),
        );
        Ok((event, joined))
    }

    /// Replaces an event's envelope by its plaintext, or by `None` when every part was erased.
    async fn open(&self, mut event: RecordedEvent) -> Result<RecordedEvent, StoreError> {
        let Some(stored) = &event.personal else {
            return Ok(event);
        };
        // A plaintext value appended before sealing existed is returned as it is.
        let Some(envelope) = Envelope::from_stored(stored)? else {
            return Ok(event);
        };
        let mut parts = Vec::with_capacity(envelope.parts.len());
        for part in &envelope.parts {
            let opened = match self.keys.get(part.key_id).await? {
                None => None,
                Some(stored) => {
                    if stored.stream_id != event.stream_id || stored.person != part.person {
                        return Err(StoreError::Corrupt(format!(
                            "event {} names data key {} of another scope",
                            event.event_id, part.key_id
                        )));
                    }
                    let key = self.unwrap(&stored).await?;
                    Some(envelope::open(
                        &key,
                        &event.stream_id,
                        event.event_id,
                        part,
                    )?)
                }
            };
            parts.push((part.person.clone(), opened));
        }
        event.personal = self.parts.join(&event.event_type, parts);
        Ok(event)
    }

    async fn open_all(&self, events: Vec<RecordedEvent>) -> Result<Vec<RecordedEvent>, StoreError> {
        let mut out = Vec::with_capacity(events.len());
        for event in events {
            out.push(self.open(event).await?);
        }
        Ok(out)
    }

    async fn open_outcome(&self, mut outcome: AppendOutcome) -> Result<AppendOutcome, StoreError> {
        outcome.events = self.open_all(std::mem::take(&mut outcome.events)).await?;
        Ok(outcome)
    }
}

#[async_trait]
impl EventStore for SealedStore {
    async fn append(
        &self,
        stream: &StreamId,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
        meta: &CommandMeta,
    ) -> Result<AppendOutcome, StoreError> {
        let new_stream = matches!(expected, ExpectedVersion::NoStream);
        let mut sealed = Vec::with_capacity(events.len());
        let mut plain = HashMap::with_capacity(events.len());
        for event in events {
            let (event, personal) = self.seal(stream, event, new_stream).await?;
            plain.insert(event.event_id, personal);
            sealed.push(event);
        }
        let mut outcome = self.inner.append(stream, expected, sealed, meta).await?;
        // The events just appended are answered with the personal data they were given (as a read would
        // return it); a replayed command's events were recorded by an earlier call and are opened.
        if outcome.replayed
            || outcome
                .events
                .iter()
                .any(|e| !plain.contains_key(&e.event_id))
        {
            return self.open_outcome(outcome).await;
        }
        for event in &mut outcome.events {
            if event.personal.is_some() {
                event.personal = plain.remove(&event.event_id).flatten();
            }
        }
        Ok(outcome)
    }

    async fn find_command(
        &self,
        command_id: Uuid,
        fingerprint: Option<&str>,
    ) -> Result<Option<AppendOutcome>, StoreError> {
        match self.inner.find_command(command_id, fingerprint).await? {
            Some(outcome) => Ok(Some(self.open_outcome(outcome).await?)),
            None => Ok(None),
        }
    }

    async fn read_stream(&self, stream: &StreamId) -> Result<Vec<RecordedEvent>, StoreError> {
        let events = self.inner.read_stream(stream).await?;
        self.open_all(events).await
    }

    async fn read_stream_as_of(
        &self,
        stream: &StreamId,
        as_of: DateTime<Utc>,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let events = self.inner.read_stream_as_of(stream, as_of).await?;
        self.open_all(events).await
    }

    async fn read_all(&self, after: &Checkpoint, limit: usize) -> Result<Page, StoreError> {
        let page = self.inner.read_all(after, limit).await?;
        Ok(Page {
            events: self.open_all(page.events).await?,
            next: page.next,
        })
    }

    async fn head(&self) -> Result<Checkpoint, StoreError> {
        self.inner.head().await
    }

    /// Verifies the stored rows (the envelopes), never the opened plaintext, so erasure changes nothing here.
    async fn verify_stream(&self, stream: &StreamId) -> Result<hash::Verification, StoreError> {
        self.inner.verify_stream(stream).await
    }

    fn backend(&self) -> &'static str {
        self.inner.backend()
    }
}
