//! Rebuilding from scratch gives exactly the rows incremental updates gave, on fixed and random histories.

use domain::{CaseId, Command, Outcome, PetitionKind};
use feed::{Delivery, EventSource, StoreTail};
use projection::{Model, Projections};
use proptest::prelude::*;

use crate::harness::{BACKENDS, Backend, TestDb, test_db};
use crate::history::{History, accept, agency, classify, date, decide_with, text};

const HK: &str = "UBND-HN.HOAN-KIEM";

pub async fn catch_up(db: &TestDb) {
    let tail = StoreTail::new(db.store.clone());
    for handler in db.projections.handlers() {
        loop {
            let o = tail.run_once(&handler, 1000).await.expect("tail");
            assert_eq!(
                (o.retried, o.dead_lettered),
                (0, 0),
                "{} failed",
                handler.name()
            );
            if o.handled == 0 {
                break;
            }
        }
    }
}

pub async fn dumps(p: &Projections) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for model in Model::ALL {
        out.push(p.dump(model).await.expect("dump"));
    }
    out
}

/// Lifecycles the random histories mostly follow (action codes of `play`): appeal, forwarding,
/// suspension, withdrawal, missed deadlines.
const SCRIPTS: [&[u8]; 4] = [
    &[0, 2, 10, 3, 5, 2, 4, 14],
    &[1, 8, 9, 0, 2, 11, 12, 4],
    &[0, 2, 13, 6, 7],
    &[0, 2, 10, 11, 12, 13, 3],
];

/// Plays one step of a random history: codes 100+ take the case's next scripted step, others are taken as
/// they are. Refused steps are simply not recorded.
pub(crate) fn play(
    h: &mut History,
    cases: &mut Vec<(CaseId, chrono::NaiveDate, usize)>,
    slot: usize,
    action: u8,
    gap: u64,
) {
    let action = match cases.get(slot) {
        Some(&(_, _, pos)) if action >= 100 => {
            cases[slot].2 += 1;
            match SCRIPTS[slot % 4].get(pos) {
                Some(&a) => a,
                None => return,
            }
        }
        _ => action % 100,
    };
    let Some(&(id, last, _)) = cases.get(slot) else {
        let on = date("2026-01-05") + chrono::Days::new(gap);
        let kind = [
            PetitionKind::Complaint,
            PetitionKind::Denunciation,
            PetitionKind::Feedback,
        ][usize::from(action) % 3];
        let id = h.receive(
            kind,
            HK,
            &on.to_string(),
            if action.is_multiple_of(4) { 6 } else { 1 },
        );
        cases.push((id, on, 0));
        return;
    };
    let on = last + chrono::Days::new(gap);
    let cmd = match action {
        0 => classify(true),
        1 => classify(false),
        2 => accept(),
        3 => decide_with(Outcome::Upheld),
        4 => decide_with(Outcome::Rejected),
        5 => Command::LodgeAppeal(domain::LodgeAppeal {
            grounds: text("Disagrees."),
            superior: None,
        }),
        6 => Command::Withdraw(domain::Withdraw {
            reason: text("Settled."),
        }),
        7 => Command::Terminate(domain::Terminate {
            reason: text("Withdrawn."),
        }),
        8 => Command::Forward(domain::Forward {
            to_agency: agency("UBND-HN"),
            reason: text("Province matter."),
        }),
        9 => Command::ReceiveForwarded(domain::ReceiveForwarded {}),
        10 => Command::StartVerification(domain::StartVerification {
            assigned_unit: None,
        }),
        11 => Command::Suspend(domain::Suspend {
            reason: text("Awaiting a court."),
        }),
        12 => Command::Resume(domain::Resume {
            reason: text("Court ruled."),
        }),
        13 => Command::RecordDeadlineMissed(domain::RecordDeadlineMissed {
            deadline: domain::DeadlineKey::Decision,
        }),
        _ => Command::Close(domain::Close { note: None }),
    };
    if h.try_step(id, &on.to_string(), cmd).is_ok() {
        cases[slot].1 = on;
    }
}

async fn rebuild_equals_incremental(backend: Backend, steps: &[(usize, u8, u64)], rich: bool) {
    rebuild_equals_incremental_from(backend, steps, rich, None).await;
}

/// With `next_transaction_id`, the store's transaction ids are placed just below that value first (PostgreSQL).
async fn rebuild_equals_incremental_from(
    backend: Backend,
    steps: &[(usize, u8, u64)],
    rich: bool,
    next_transaction_id: Option<u64>,
) {
    let db = test_db(backend).await;
    if let Some(next) = next_transaction_id {
        place_next_transaction_id(&db.url, next).await;
    }
    let mut h = History::new();
    let mut cases = Vec::new();
    for &(slot, action, gap) in steps {
        play(&mut h, &mut cases, slot, action, gap);
    }
    if rich {
        assert!(
            h.events.len() > 40,
            "the fixed history is rich enough: {} events",
            h.events.len()
        );
        let types: std::collections::BTreeSet<&str> =
            h.events.iter().map(|e| e.event_type.as_str()).collect();
        assert!(
            types.contains("deadline.missed")
                && types.contains("appeal.lodged")
                && types.contains("case.resumed")
        );
    }
    h.append_to(&db.store, 0).await;
    if let Some(next) = next_transaction_id {
        let page = db
            .store
            .read_all(&store::Checkpoint::START, 100_000)
            .await
            .expect("read");
        let ids: Vec<u64> = page.events.iter().map(|e| e.transaction_id).collect();
        assert!(
            ids.iter().any(|&t| t < next + 20) && ids.iter().any(|&t| t >= next + 20),
            "the history straddles {}: {ids:?}",
            next + 20
        );
    }
    // Incrementally, one delivery at a time, as a live consumer sees them.
    let recorded = {
        let mut all = Vec::new();
        let mut cp = store::Checkpoint::START;
        loop {
            let page = db.store.read_all(&cp, 500).await.expect("read");
            if page.events.is_empty() {
                break;
            }
            cp = page.next;
            all.extend(page.events);
        }
        all
    };
    let handlers = db.projections.handlers();
    for event in recorded {
        for handler in &handlers {
            handler
                .handle(&Delivery {
                    event: event.clone(),
                    attempt: 1,
                })
                .await
                .expect("handled");
        }
    }
    let incremental = dumps(&db.projections).await;
    projection::rebuild(&db.store, &db.projections, None)
        .await
        .expect("rebuilt");
    assert_eq!(dumps(&db.projections).await, incremental);
}

/// Seven cases through scripted lifecycles: appeal, forwarding, suspension, withdrawal, missed deadlines.
pub(crate) fn scripted_steps() -> Vec<(usize, u8, u64)> {
    let mut steps: Vec<(usize, u8, u64)> =
        (0..7).map(|slot| (slot, slot as u8, slot as u64)).collect();
    for round in 0..8 {
        for slot in 0..7 {
            if let Some(&action) = SCRIPTS[slot % 4].get(round) {
                steps.push((slot, action, if action == 13 { 60 } else { 3 }));
            }
        }
    }
    steps
}

#[tokio::test]
async fn rebuilding_gives_the_same_rows_as_incremental_updates_on_sqlite() {
    let steps = scripted_steps();
    rebuild_equals_incremental(BACKENDS[0], &steps, true).await;
}

#[tokio::test]
async fn rebuilding_gives_the_same_rows_as_incremental_updates_on_postgres() {
    let steps = scripted_steps();
    rebuild_equals_incremental(BACKENDS[1], &steps, true).await;
}

/// Makes the next transaction id of the store about `next` (privileged: the test connects as the owner).
async fn place_next_transaction_id(url: &str, next: u64) {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(url).await.expect("connect");
    sqlx::query(
        "INSERT INTO transaction_id_offsets (epoch, xid_offset, reason) \
         SELECT max(epoch) + 1, $1 - pg_current_xact_id()::text::bigint, 'test' FROM transaction_id_offsets",
    )
    .bind(i64::try_from(next).expect("small"))
    .execute(&mut conn)
    .await
    .expect("place the transaction ids");
}

#[tokio::test]
async fn rebuilding_across_a_transaction_id_digit_boundary_on_postgres() {
    // Ids 99,980 … 100,0xx: sorted as text, "100000" came before "99999" and the rebuild met version 2 of a case
    // before version 1.
    let steps = scripted_steps();
    rebuild_equals_incremental_from(BACKENDS[1], &steps, true, Some(99_980)).await;
}

#[tokio::test]
async fn a_rebuild_swaps_in_while_the_consumer_keeps_going_and_a_version_bump_is_detected() {
    let db = test_db(Backend::Sqlite).await;
    let mut h = History::new();
    let a = h.receive(PetitionKind::Complaint, HK, "2026-03-02", 1);
    h.step(a, "2026-03-02", classify(true));
    h.append_to(&db.store, 0).await;
    catch_up(&db).await;
    let reports = projection::rebuild(&db.store, &db.projections, Some("statistics"))
        .await
        .expect("rebuilt");
    assert_eq!((reports.len(), reports[0].events), (1, 2));
    let n = h.events.len();
    h.step(a, "2026-03-03", accept());
    h.append_to(&db.store, n).await;
    catch_up(&db).await;
    let list = db
        .projections
        .list_cases(&Default::default(), date("2026-03-04"))
        .await
        .expect("list");
    assert_eq!(list.items[0].status, "accepted");
    assert!(db.projections.stale().await.expect("stale").is_empty());
    assert!(
        projection::rebuild(&db.store, &db.projections, Some("nope"))
            .await
            .is_err()
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 10, ..ProptestConfig::default() })]

    #[test]
    fn rebuilding_a_random_history_gives_the_same_rows_as_incremental_updates(
        steps in proptest::collection::vec(
            (0usize..6, prop_oneof![4 => 100u8..101, 1 => 0u8..16], prop_oneof![3 => 0u64..6, 1 => 30u64..70]),
            1..80,
        )
    ) {
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        rt.block_on(rebuild_equals_incremental(Backend::Sqlite, &steps, false));
    }
}
