//! Faults of the scaled-out topology under load, each on its own loopback cluster (scripts/cluster.sh):
//! a NATS node and the lease-holding relay die, PostgreSQL restarts, a read-model process is killed; in
//! every case nothing acknowledged is lost, nothing is stored twice, the stream equals the store and every
//! read-model partition and the notifier catch up (`system_tests::check`).

use std::time::{Duration, Instant};

use system_tests::load::{Load, percentile_ms};
use system_tests::{Cluster, check};

const SETTLE: Duration = Duration::from_secs(90);

fn load(cluster: &Cluster) -> Load {
    Load::start(
        cluster.apis(),
        cluster.var("TOKEN"),
        4,
        Duration::from_millis(20),
    )
}

/// Waits until `load` has had `more` further commands acknowledged (proof that it is not stalled).
async fn progresses(load: &Load, more: usize, within: Duration) {
    let target = load.acknowledged() + more;
    let until = Instant::now() + within;
    while load.acknowledged() < target {
        assert!(
            Instant::now() < until,
            "the load stalled below {target} acknowledged commands"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_nats_node_and_a_dead_lease_holder_lose_nothing() {
    let cluster = Cluster::start().expect("cluster");
    let load = load(&cluster);
    progresses(&load, 40, Duration::from_secs(30)).await;

    // One of three JetStream nodes dies: the R3 streams keep a quorum; it rejoins and catches up.
    cluster.kill("nats-2").unwrap();
    progresses(&load, 60, Duration::from_secs(30)).await;
    cluster.run("nats-2").unwrap();

    // The relay holding the lease dies: the standby takes the lease once it expires and publishes on.
    let holder = check::lease_holder(&cluster).await.unwrap();
    let (dead, standby) = match holder.ends_with(&format!("pid{}", cluster.pid("relay-1").unwrap()))
    {
        true => ("relay-1", "relay-2"),
        false => ("relay-2", "relay-1"),
    };
    assert!(
        holder.ends_with(&format!("pid{}", cluster.pid(dead).unwrap())),
        "{holder}"
    );
    cluster.kill(dead).unwrap();
    let killed = Instant::now();
    let want = format!("pid{}", cluster.pid(standby).unwrap());
    loop {
        if check::lease_holder(&cluster)
            .await
            .is_ok_and(|h| h.ends_with(&want))
        {
            break;
        }
        assert!(
            killed.elapsed() < Duration::from_secs(30),
            "the standby never took the lease over"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let takeover = killed.elapsed();
    progresses(&load, 60, Duration::from_secs(30)).await;
    let record = load.stop().await;
    check::settle(&cluster, SETTLE).await.unwrap();
    let counts = check::verify(&cluster, &record).await.unwrap();
    eprintln!("lease taken over after {takeover:?}; {counts:?}");
    assert!(
        takeover < Duration::from_secs(25),
        "takeover took {takeover:?} (lease TTL 10 s)"
    );
    assert!(cluster.log(standby).contains("relay"), "the standby ran");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_restart_answers_503_promptly_then_resumes_without_loss() {
    let cluster = Cluster::start().expect("cluster");
    let load = load(&cluster);
    progresses(&load, 40, Duration::from_secs(30)).await;
    let down_at = load.started.elapsed();
    cluster.pg("stop").unwrap();
    tokio::time::sleep(Duration::from_secs(5)).await;
    let up_at = load.started.elapsed();
    cluster.pg("start").unwrap();
    progresses(&load, 60, Duration::from_secs(60)).await;
    let record = load.stop().await;

    let outage: Vec<_> = record
        .samples
        .iter()
        .filter(|s| s.at >= down_at && s.at < up_at)
        .collect();
    assert!(
        !outage.is_empty(),
        "no command was sent while the database was down"
    );
    let refused: Vec<_> = outage.iter().filter(|s| s.status == 503).collect();
    assert!(
        !refused.is_empty(),
        "no 503 while the database was down: {outage:?}"
    );
    for s in &outage {
        assert!(
            (200..300).contains(&s.status) || s.status == 503,
            "an answer during the outage was neither 2xx nor 503: {s:?}"
        );
        if s.status == 503 {
            let (kind, is_problem) = s.problem.clone().unwrap();
            assert!(is_problem && kind.ends_with("store-unavailable"), "{s:?}");
        }
    }
    let mut latencies: Vec<Duration> = refused.iter().map(|s| s.latency).collect();
    let p99 = percentile_ms(&mut latencies, 99.0);
    assert!(
        latencies.iter().all(|l| *l < Duration::from_secs(6)),
        "a 503 took {:?} (it must not hang)",
        latencies.last()
    );
    assert!(
        record
            .samples
            .iter()
            .any(|s| s.at > up_at && (200..300).contains(&s.status)),
        "commands did not resume"
    );
    check::settle(&cluster, SETTLE).await.unwrap();
    let counts = check::verify(&cluster, &record).await.unwrap();
    eprintln!(
        "{} refusals during the outage, p99 {p99:.0} ms; {counts:?}",
        refused.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_read_model_resumes_and_the_partitions_share_the_cases() {
    let cluster = Cluster::start().expect("cluster");
    let load = load(&cluster);
    progresses(&load, 60, Duration::from_secs(30)).await;
    // Killed while events keep arriving, so most likely between a batch's transaction and its ack.
    cluster.kill("read-model-0").unwrap();
    progresses(&load, 60, Duration::from_secs(30)).await;
    cluster.run("read-model-0").unwrap();
    progresses(&load, 60, Duration::from_secs(30)).await;
    let record = load.stop().await;
    check::settle(&cluster, SETTLE).await.unwrap();
    let counts = check::verify(&cluster, &record).await.unwrap();
    eprintln!("{counts:?}");
    assert!(
        counts.partition_cases.iter().all(|c| *c > 0),
        "both partitions had cases: {:?}",
        counts.partition_cases
    );
    assert!(
        cluster
            .log("read-model-0")
            .matches("read models running")
            .count()
            >= 2
    );
}
