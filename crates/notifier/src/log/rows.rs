//! The delivery log's rows and the queries on them. Every state change is a conditional UPDATE, so two
//! processes (or a retry loop racing the handler) never both own one delivery.

use store::Checkpoint;

use super::{Db, now_ms, on_pool};
use crate::Result;

/// Where one delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Planned, not tried yet.
    Pending,
    /// Claimed by a process that is sending it now (until its lease expires).
    Sending,
    /// A server or gateway accepted it (SMTP 2xx to the end of DATA, HTTP 2xx).
    Sent,
    /// Written to the log only, because no transport was configured: nothing was transmitted. Final.
    Logged,
    /// Failed; retried at `next_attempt_ms`.
    Failed,
    /// Failed `max_attempts` times; only `retry-dead` brings it back.
    Dead,
    /// Waiting for the daily digest.
    Held,
}

impl Status {
    /// Every status, in the order status output lists them.
    pub const ALL: [Status; 7] = [
        Self::Sent,
        Self::Logged,
        Self::Failed,
        Self::Dead,
        Self::Pending,
        Self::Sending,
        Self::Held,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Sending => "sending",
            Self::Sent => "sent",
            Self::Logged => "logged",
            Self::Failed => "failed",
            Self::Dead => "dead",
            Self::Held => "held",
        }
    }
    fn parse(s: &str) -> Status {
        match s {
            "pending" => Self::Pending,
            "sending" => Self::Sending,
            "sent" => Self::Sent,
            "logged" => Self::Logged,
            "failed" => Self::Failed,
            "held" => Self::Held,
            _ => Self::Dead,
        }
    }
}

/// A delivery to plan: its id is derived from (event, recipient, channel), so planning twice is harmless.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDelivery {
    pub id: String,
    pub event_id: String,
    pub case_id: String,
    pub event_type: String,
    pub recipient: String,
    pub channel: String,
    pub template_id: String,
    pub lang: String,
    pub held: bool,
    /// Where the event that calls for it stands in the global order (the log lists deliveries in it).
    pub source: Checkpoint,
}

/// One row of the delivery log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryRow {
    pub id: String,
    pub event_id: String,
    pub case_id: String,
    pub event_type: String,
    pub recipient: String,
    pub channel: String,
    pub template_id: String,
    pub lang: String,
    pub status: Status,
    pub attempts: u32,
    pub last_error: Option<String>,
}

type Raw = (
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    i64,
    Option<String>,
);

/// Deliveries per planning `INSERT` (eleven parameters each, plus the time): well below both backends' limits.
const PLAN_ROWS: usize = 100;

/// `INSERT … VALUES (…), (…) ON CONFLICT DO NOTHING` for `rows` deliveries; `$1` is the time.
fn insert_deliveries(rows: usize) -> String {
    let tuples: Vec<String> = (0..rows)
        .map(|r| {
            let p: Vec<String> = (0..11).map(|c| format!("${}", 2 + r * 11 + c)).collect();
            format!(
                "({}, 0, $1, $1, $1, {}, {})",
                p[..9].join(", "),
                p[9],
                p[10]
            )
        })
        .collect();
    format!(
        "INSERT INTO notifier_deliveries (id, event_id, case_id, event_type, recipient, channel, template_id, lang, status, attempts, next_attempt_ms, created_ms, updated_ms, source_tx, source_pos) \
         VALUES {} ON CONFLICT DO NOTHING",
        tuples.join(", ")
    )
}

const COLUMNS: &str = "id, event_id, case_id, event_type, recipient, channel, template_id, lang, status, attempts, last_error";

fn row(r: Raw) -> DeliveryRow {
    DeliveryRow {
        id: r.0,
        event_id: r.1,
        case_id: r.2,
        event_type: r.3,
        recipient: r.4,
        channel: r.5,
        template_id: r.6,
        lang: r.7,
        status: Status::parse(&r.8),
        attempts: u32::try_from(r.9).unwrap_or(u32::MAX),
        last_error: r.10,
    }
}

impl Db {
    /// The last checkpoint `consumer` applied.
    pub async fn checkpoint(&self, consumer: &str) -> Result<Option<Checkpoint>> {
        let sql =
            "SELECT transaction_id, global_position FROM notifier_checkpoints WHERE consumer = $1";
        let found: Option<(i64, i64)> =
            on_pool!(self, pool => sqlx::query_as(sql).bind(consumer).fetch_optional(pool).await?);
        Ok(found.map(|(t, p)| Checkpoint {
            transaction_id: u64::try_from(t).unwrap_or(0),
            global_position: p,
        }))
    }

    /// Records the planned deliveries and the consumer's new checkpoint in one transaction: either the events
    /// (one, or a page of them) are fully planned and passed, or they will be delivered again and planned
    /// again (ids make that harmless). The deliveries go in with multi-row inserts. The checkpoint only moves
    /// forward, even if a source hands over events concurrently.
    pub async fn plan(
        &self,
        consumer: &str,
        at: Checkpoint,
        deliveries: &[NewDelivery],
    ) -> Result<()> {
        let now = now_ms();
        let checkpoint = "INSERT INTO notifier_checkpoints (consumer, transaction_id, global_position, updated_ms) VALUES ($1, $2, $3, $4) \
                          ON CONFLICT (consumer) DO UPDATE SET transaction_id = excluded.transaction_id, global_position = excluded.global_position, updated_ms = excluded.updated_ms \
                          WHERE (notifier_checkpoints.transaction_id, notifier_checkpoints.global_position) < (excluded.transaction_id, excluded.global_position)";
        let tx_id = i64::try_from(at.transaction_id).unwrap_or(i64::MAX);
        let inserts: Vec<(String, &[NewDelivery])> = deliveries
            .chunks(PLAN_ROWS)
            .map(|chunk| (insert_deliveries(chunk.len()), chunk))
            .collect();
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            for (sql, chunk) in &inserts {
                let mut q = sqlx::query(sql).bind(now);
                for d in *chunk {
                    let status = if d.held { Status::Held } else { Status::Pending };
                    let source_tx = i64::try_from(d.source.transaction_id).unwrap_or(i64::MAX);
                    q = q.bind(&d.id).bind(&d.event_id).bind(&d.case_id).bind(&d.event_type).bind(&d.recipient)
                        .bind(&d.channel).bind(&d.template_id).bind(&d.lang).bind(status.as_str())
                        .bind(source_tx).bind(d.source.global_position);
                }
                q.execute(&mut *tx).await?;
            }
            sqlx::query(checkpoint).bind(consumer).bind(tx_id).bind(at.global_position).bind(now)
                .execute(&mut *tx).await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// One delivery by id.
    pub async fn delivery(&self, id: &str) -> Result<Option<DeliveryRow>> {
        let sql = format!("SELECT {COLUMNS} FROM notifier_deliveries WHERE id = $1");
        let found: Option<Raw> =
            on_pool!(self, pool => sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?);
        Ok(found.map(row))
    }

    /// Every delivery of one event.
    pub async fn deliveries_of_event(&self, event_id: &str) -> Result<Vec<DeliveryRow>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM notifier_deliveries WHERE event_id = $1 ORDER BY recipient, channel"
        );
        let rows: Vec<Raw> =
            on_pool!(self, pool => sqlx::query_as(&sql).bind(event_id).fetch_all(pool).await?);
        Ok(rows.into_iter().map(row).collect())
    }

    /// The whole log in creation order, deliveries planned together in the order of their events (for tests,
    /// status output and audits).
    pub async fn all_deliveries(&self) -> Result<Vec<DeliveryRow>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM notifier_deliveries ORDER BY created_ms, source_tx, source_pos, id"
        );
        let rows: Vec<Raw> = on_pool!(self, pool => sqlx::query_as(&sql).fetch_all(pool).await?);
        Ok(rows.into_iter().map(row).collect())
    }

    /// Deliveries that may be claimed now: due pending or failed ones, and claims whose lease expired
    /// (their process died while sending).
    pub async fn due(&self, now: i64, limit: i64) -> Result<Vec<DeliveryRow>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM notifier_deliveries WHERE (status IN ('pending', 'failed') AND next_attempt_ms <= $1) \
             OR (status = 'sending' AND lease_until_ms < $1) ORDER BY next_attempt_ms, id LIMIT $2"
        );
        let rows: Vec<Raw> = on_pool!(self, pool => sqlx::query_as(&sql).bind(now).bind(limit).fetch_all(pool).await?);
        Ok(rows.into_iter().map(row).collect())
    }

    /// Held digest rows that are due.
    pub async fn held(&self, now: i64) -> Result<Vec<DeliveryRow>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM notifier_deliveries WHERE status = 'held' AND next_attempt_ms <= $1 ORDER BY created_ms, source_tx, source_pos, id"
        );
        let rows: Vec<Raw> =
            on_pool!(self, pool => sqlx::query_as(&sql).bind(now).fetch_all(pool).await?);
        Ok(rows.into_iter().map(row).collect())
    }

    /// Takes a delivery for sending, counting the attempt, and returns it as claimed; `None` when someone
    /// else has it or it is done. One statement (`UPDATE … RETURNING`), so claiming is atomic.
    pub async fn claim(
        &self,
        id: &str,
        now: i64,
        lease_ms: i64,
        from_held: bool,
    ) -> Result<Option<DeliveryRow>> {
        let condition = if from_held {
            "status = 'held'"
        } else {
            "((status IN ('pending', 'failed') AND next_attempt_ms <= $2) OR (status = 'sending' AND lease_until_ms < $2))"
        };
        let sql = format!(
            "UPDATE notifier_deliveries SET status = 'sending', attempts = attempts + 1, lease_until_ms = $2 + $3, updated_ms = $2 \
             WHERE id = $1 AND {condition} RETURNING {COLUMNS}"
        );
        let claimed: Option<Raw> = on_pool!(self, pool => sqlx::query_as(&sql).bind(id).bind(now).bind(lease_ms).fetch_optional(pool).await?);
        Ok(claimed.map(row))
    }

    pub async fn mark_sent(&self, id: &str) -> Result<()> {
        let sql = "UPDATE notifier_deliveries SET status = 'sent', sent_ms = $2, updated_ms = $2, lease_until_ms = NULL, last_error = NULL WHERE id = $1";
        on_pool!(self, pool => sqlx::query(sql).bind(id).bind(now_ms()).execute(pool).await?.rows_affected());
        Ok(())
    }

    /// Records that the message was only written to the log (no transport configured). Final, like `sent`,
    /// but `sent_ms` stays empty: nothing was sent.
    pub async fn mark_logged(&self, id: &str) -> Result<()> {
        let sql = "UPDATE notifier_deliveries SET status = 'logged', updated_ms = $2, lease_until_ms = NULL, last_error = NULL WHERE id = $1";
        on_pool!(self, pool => sqlx::query(sql).bind(id).bind(now_ms()).execute(pool).await?.rows_affected());
        Ok(())
    }

    /// How many deliveries each (channel, status) pair has, ordered by channel and status.
    pub async fn counts(&self) -> Result<Vec<(String, Status, u64)>> {
        let sql = "SELECT channel, status, COUNT(*) FROM notifier_deliveries GROUP BY channel, status ORDER BY channel, status";
        let rows: Vec<(String, String, i64)> =
            on_pool!(self, pool => sqlx::query_as(sql).fetch_all(pool).await?);
        Ok(rows
            .into_iter()
            .map(|(channel, status, n)| {
                (
                    channel,
                    Status::parse(&status),
                    u64::try_from(n).unwrap_or(0),
                )
            })
            .collect())
    }

    /// Records a failed attempt: `failed` (or `held` again for a digest row) until `next_attempt_ms`,
    /// or `dead` when the attempts are spent.
    pub async fn mark_failed(
        &self,
        id: &str,
        error: &str,
        next_attempt_ms: i64,
        status: Status,
    ) -> Result<()> {
        let sql = "UPDATE notifier_deliveries SET status = $2, last_error = $3, next_attempt_ms = $4, lease_until_ms = NULL, updated_ms = $5 WHERE id = $1";
        let error: String = error.chars().take(1000).collect();
        on_pool!(self, pool => sqlx::query(sql).bind(id).bind(status.as_str()).bind(error).bind(next_attempt_ms).bind(now_ms()).execute(pool).await?.rows_affected());
        Ok(())
    }

    /// Gives every dead delivery a fresh set of attempts, due now; returns how many.
    pub async fn revive_dead(&self) -> Result<u64> {
        let sql = "UPDATE notifier_deliveries SET status = 'failed', attempts = 0, next_attempt_ms = $1, updated_ms = $1 WHERE status = 'dead'";
        Ok(
            on_pool!(self, pool => sqlx::query(sql).bind(now_ms()).execute(pool).await?.rows_affected()),
        )
    }

    /// The case an event belongs to, if the log has seen it.
    pub async fn case_of_event(&self, event_id: &str) -> Result<Option<String>> {
        let sql = "SELECT case_id FROM notifier_deliveries WHERE event_id = $1 LIMIT 1";
        let found: Option<(String,)> =
            on_pool!(self, pool => sqlx::query_as(sql).bind(event_id).fetch_optional(pool).await?);
        Ok(found.map(|(c,)| c))
    }
}
