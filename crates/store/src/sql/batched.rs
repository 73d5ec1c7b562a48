//! The set-based write of a group commit (ADR 0012): a whole batch in a handful of statements whatever its size.
//! Every stream lock in the begin, every command id and stream head in one probe, each command decided in memory
//! in arrival order by the same rules as a single append (`crate::batch`), then one multi-row insert of all
//! events and all commands (one statement on PostgreSQL; chunked below the backend's bind limit). A later command of a stream
//! sees the head, versions and hash chain the earlier ones left; a command id repeated in the batch replays its
//! first occurrence, as it would one after the other.

use std::collections::HashMap;
use std::ops::Range;

use uuid::Uuid;

use super::append::insert;
use super::read::{command_record, stream_head, with_events};
use super::stmt::{get, stmt};
use super::{Conn, Sql};
use crate::batch::{self, CommandRecord, StreamHead};
use crate::db_error::{self, Failure};
use crate::{
    AppendOutcome, CommandMeta, ExpectedVersion, NewEvent, RecordedEvent, StoreError, StreamId,
};

/// One command of a batch.
#[derive(Debug, Clone, Copy)]
pub(super) struct Command<'a> {
    pub stream: &'a StreamId,
    pub expected: ExpectedVersion,
    pub events: &'a [NewEvent],
    pub meta: &'a CommandMeta,
}

/// What a command of the batch comes to, decided before anything is written.
#[derive(Debug)]
enum Plan {
    /// Decided by reads alone: a version conflict, a replay of a recorded command, a reused command id.
    Answered(Result<AppendOutcome, StoreError>),
    /// Appends these rows of the batch's rows.
    Writes(Range<usize>),
    /// The same command id as the command at this index of the batch, which writes.
    Repeats(usize),
}

/// The batch's streams, each once, for [`super::Backend::begin_append`].
pub(super) fn streams<'a>(commands: &[Command<'a>]) -> Vec<&'a StreamId> {
    let mut streams: Vec<&StreamId> = commands.iter().map(|c| c.stream).collect();
    streams.sort();
    streams.dedup();
    streams
}

type Recorded = HashMap<Uuid, (CommandRecord, Vec<RecordedEvent>)>;

/// Runs the whole batch in the transaction `conn`, begun with [`super::Backend::begin_append`] over [`streams`], and
/// returns each command's outcome, in the batch's order. An `Err` means the transaction must be rolled back.
pub(super) async fn write<B: Sql>(
    conn: &mut Conn<B>,
    commands: &[Command<'_>],
) -> Result<Vec<Result<AppendOutcome, StoreError>>, Failure> {
    // Read after the begin took the locks, so that what their holders committed before us is visible.
    let (mut heads, recorded) = probe::<B>(conn, commands).await?;
    let (plans, mut rows) = decide(commands, &mut heads, &recorded)?;
    let written: Vec<_> = commands
        .iter()
        .zip(&plans)
        .filter_map(|(c, plan)| match plan {
            Plan::Writes(range) => Some((c.meta, range.clone())),
            _ => None,
        })
        .collect();
    insert::<B>(conn, &mut rows, &written).await?;
    Ok(answers(commands, plans, &rows))
}

/// Every command of the batch in arrival order, as a single append would decide it after the ones before it.
fn decide(
    commands: &[Command<'_>],
    heads: &mut HashMap<StreamId, StreamHead>,
    recorded: &Recorded,
) -> Result<(Vec<Plan>, Vec<RecordedEvent>), Failure> {
    let mut rows = Vec::new();
    let mut plans = Vec::with_capacity(commands.len());
    let mut writers: HashMap<Uuid, usize> = HashMap::new();
    for (i, c) in commands.iter().enumerate() {
        let (id, fingerprint) = (c.meta.command_id, c.meta.fingerprint.as_deref());
        let plan = if let Some((record, events)) = recorded.get(&id) {
            match batch::replay(record, events.clone(), id, fingerprint) {
                // Missing rows are not this command's to answer alone: the retry alone reports them.
                Err(e @ StoreError::Corrupt(_)) => return Err(e.into()),
                answer => Plan::Answered(answer),
            }
        } else if let Some(&first) = writers.get(&id) {
            Plan::Repeats(first)
        } else {
            let head = heads
                .entry(c.stream.clone())
                .or_insert_with(StreamHead::empty);
            match batch::check_expected(c.stream, c.expected, head.version) {
                Err(conflict) => Plan::Answered(Err(conflict)),
                Ok(()) => {
                    let at = batch::recorded_at(head);
                    let new = batch::build(c.stream, head, c.events.to_vec(), c.meta, at);
                    if let Some(last) = new.last() {
                        *head = StreamHead {
                            version: last.version,
                            hash: last.hash.clone(),
                            recorded_at: Some(at),
                        };
                    }
                    let start = rows.len();
                    rows.extend(new);
                    writers.insert(id, i);
                    Plan::Writes(start..rows.len())
                }
            }
        };
        plans.push(plan);
    }
    Ok((plans, rows))
}

/// Each command's outcome, once the rows carry the positions the database assigned.
fn answers(
    commands: &[Command<'_>],
    plans: Vec<Plan>,
    rows: &[RecordedEvent],
) -> Vec<Result<AppendOutcome, StoreError>> {
    let mut out: Vec<Result<AppendOutcome, StoreError>> = Vec::with_capacity(plans.len());
    for (c, plan) in commands.iter().zip(plans) {
        let answer = match plan {
            Plan::Answered(answer) => answer,
            Plan::Writes(range) => {
                let events = rows[range].to_vec();
                Ok(AppendOutcome {
                    stream_id: c.stream.clone(),
                    last_version: events.last().map_or(0, |e| e.version),
                    events,
                    replayed: false,
                })
            }
            // The first occurrence comes earlier in the batch, so its answer is already there.
            Plan::Repeats(first) => match out.get(first) {
                Some(Ok(written)) => {
                    let record = CommandRecord {
                        stream_id: written.stream_id.clone(),
                        fingerprint: commands[first].meta.fingerprint.clone(),
                        first_version: written.events.first().map_or(0, |e| e.version),
                        last_version: written.last_version,
                    };
                    let (id, fingerprint) = (c.meta.command_id, c.meta.fingerprint.as_deref());
                    batch::replay(&record, written.events.clone(), id, fingerprint)
                }
                _ => Err(StoreError::Corrupt(
                    "a repeated command points at one that did not write".into(),
                )),
            },
        };
        out.push(answer);
    }
    out
}

/// The heads of the batch's streams and the recorded commands among its command ids, with their events. One
/// statement per group of commands (one group unless the batch is larger than the bind limit allows), plus one
/// per recorded command (a retry, rare). The lists are padded by repeating their last entry to a power of two,
/// so that a backend's statement cache holds few shapes.
async fn probe<B: Sql>(
    conn: &mut Conn<B>,
    commands: &[Command<'_>],
) -> Result<(HashMap<StreamId, StreamHead>, Recorded), StoreError> {
    let group = (B::DIALECT.max_binds / 2).max(1);
    let group = if group.is_power_of_two() {
        group
    } else {
        group.next_power_of_two() / 2
    };
    let mut heads = HashMap::new();
    let mut records = Vec::new();
    for part in commands.chunks(group) {
        let mut streams: Vec<&StreamId> = part.iter().map(|c| c.stream).collect();
        streams.sort();
        streams.dedup();
        let width = part.len().next_power_of_two();
        let sql = probe_sql(width);
        let mut query = stmt::<B>(&sql);
        for i in 0..width {
            query = query.bind(streams[i.min(streams.len() - 1)].as_str());
        }
        for i in 0..width {
            query = query.bind(part[i.min(part.len() - 1)].meta.command_id);
        }
        for row in query.all(conn).await.map_err(db_error::map)? {
            match get::<B, Option<Uuid>>(&row, "command_id")? {
                Some(id) => records.extend(command_record::<B>(&row)?.map(|r| (id, r))),
                None => {
                    let stream = StreamId::parse(get::<B, String>(&row, "stream_id")?)
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                    heads.insert(stream, stream_head::<B>(&row)?);
                }
            }
        }
    }
    let mut recorded = HashMap::new();
    for (id, record) in records {
        recorded.insert(id, with_events::<B>(conn, record).await?);
    }
    Ok((heads, recorded))
}

/// The last event of each listed stream (its `version`, `hash`, `recorded_at`; no `command_id`) and the listed
/// commands' records (with `command_id`), in one result.
fn probe_sql(width: usize) -> String {
    let list = |from: usize| {
        (from..from + width)
            .map(|n| format!("${n}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!(
        "SELECT e.stream_id, NULL AS command_id, NULL AS fingerprint, NULL AS first_version, NULL AS last_version, \
         e.version, e.hash, e.recorded_at \
         FROM events e JOIN (SELECT stream_id, max(version) AS version FROM events \
                             WHERE stream_id IN ({}) GROUP BY stream_id) m \
           ON e.stream_id = m.stream_id AND e.version = m.version \
         UNION ALL \
         SELECT stream_id, command_id, fingerprint, first_version, last_version, NULL, NULL, NULL \
         FROM commands WHERE command_id IN ({})",
        list(1),
        list(width + 1)
    )
}
