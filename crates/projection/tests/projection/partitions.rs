//! Read models partitioned by case (`Projections::partition_handlers`, ADR 0019): two partitions fed every
//! event, interleaved, produce exactly the rows one unpartitioned consumer produces, each under its own
//! checkpoint; and on PostgreSQL a partition waits while an unpartitioned consumer of the same model holds
//! the model's checkpoint row, so the two never write the same case at once.

use std::time::Duration;

use domain::{Outcome, PetitionKind};
use feed::{Delivery, Partition};
use projection::Model;

use crate::harness::{BACKENDS, Backend, test_db};
use crate::history::{History, accept, classify, decide_with};

fn history() -> History {
    let mut h = History::new();
    let cases: Vec<_> = (0..24)
        .map(|_| {
            h.receive(
                PetitionKind::Complaint,
                "UBND-HN.HOAN-KIEM",
                "2026-03-02",
                1,
            )
        })
        .collect();
    for (i, case) in cases.iter().enumerate() {
        h.step(*case, "2026-03-03", classify(true));
        if i % 3 != 0 {
            h.step(*case, "2026-03-04", accept());
        }
        if i % 3 == 1 {
            h.step(*case, "2026-03-20", decide_with(Outcome::Upheld));
        }
    }
    h
}

fn delivery(event: &store::RecordedEvent) -> Delivery {
    Delivery {
        event: event.clone(),
        attempt: 1,
    }
}

async fn partitions_equal_one_consumer(backend: Backend) {
    let h = history();
    let whole = test_db(backend).await;
    for handler in whole.projections.handlers() {
        handler
            .handle_batch(&h.events.iter().map(delivery).collect::<Vec<_>>())
            .await
            .expect("applied");
    }
    let split = test_db(backend).await;
    let parts: Vec<_> = (0..2)
        .map(|i| {
            split
                .projections
                .partition_handlers(Partition::new(i, 2).expect("partition"))
        })
        .collect();
    // Interleaved: partition 0 takes pages of 5, partition 1 one event at a time.
    for (n, event) in h.events.iter().enumerate() {
        for handler in &parts[1] {
            handler.handle(&delivery(event)).await.expect("applied");
        }
        if n % 5 == 4 || n + 1 == h.events.len() {
            let page: Vec<Delivery> = h.events[n - n % 5..=n].iter().map(delivery).collect();
            for handler in &parts[0] {
                handler.handle_batch(&page).await.expect("applied");
            }
        }
    }
    for model in Model::ALL {
        assert_eq!(
            split.projections.dump(model).await.expect("dump"),
            whole.projections.dump(model).await.expect("dump"),
            "{} differs when partitioned",
            model.name()
        );
        for i in 0..2 {
            let name = Partition::new(i, 2).expect("partition").name(model.name());
            let mine = h
                .events
                .iter()
                .rfind(|e| Partition::new(i, 2).expect("partition").owns(e))
                .map(|e| e.checkpoint());
            assert_eq!(
                split
                    .projections
                    .checkpoint_named(&name)
                    .await
                    .expect("row"),
                mine
            );
        }
        assert_eq!(
            split.projections.checkpoint(model).await.expect("row"),
            None,
            "the model's own checkpoint is not the partitions'"
        );
    }
    assert_eq!(parts[0][0].name(), "case_list-p0of2");
}

#[tokio::test]
async fn two_partitions_build_the_same_read_models_as_one_consumer_on_sqlite() {
    partitions_equal_one_consumer(BACKENDS[0]).await;
}

#[tokio::test]
async fn two_partitions_build_the_same_read_models_as_one_consumer_on_postgres() {
    partitions_equal_one_consumer(BACKENDS[1]).await;
}

#[tokio::test]
async fn a_partition_waits_for_an_unpartitioned_consumer_of_the_same_model() {
    let db = test_db(Backend::Postgres).await;
    let h = history();
    let partition = Partition::new(0, 2).expect("partition");
    let event = h
        .events
        .iter()
        .find(|e| partition.owns(e))
        .expect("an event of partition 0")
        .clone();
    // What the unpartitioned consumer holds during its batch.
    let pool = sqlx::PgPool::connect(&db.url).await.expect("pool");
    let mut holder = pool.begin().await.expect("tx");
    sqlx::query("SELECT name FROM projection_checkpoints WHERE name = 'case_list' FOR UPDATE")
        .execute(&mut *holder)
        .await
        .expect("lock");
    let handler = db.projections.partition_handlers(partition).remove(0);
    let waiting = tokio::spawn(async move { handler.handle(&delivery(&event)).await });
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(
        !waiting.is_finished(),
        "the partition wrote beside the unpartitioned consumer"
    );
    holder.commit().await.expect("commit");
    tokio::time::timeout(Duration::from_secs(10), waiting)
        .await
        .expect("the partition goes on once the row is free")
        .expect("joined")
        .expect("applied");
    pool.close().await;
}
