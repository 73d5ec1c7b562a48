//! The event store conformance suite: every case runs unchanged against SQLite and PostgreSQL.
//!
//! PostgreSQL tests read `TEST_DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`),
//! create a fresh database per test and drop it afterwards. They fail, never skip, when PostgreSQL is unreachable.

mod cases;
mod fixtures;
mod harness;
mod postgres_horizon;
mod postgres_only;
mod postgres_restore;
mod postgres_roles;
mod sqlite_only;

/// Instantiates every conformance case as a test in module `$backend`, each on a fresh database from `$factory`.
macro_rules! conformance_tests {
    ($backend:ident, $factory:path) => {
        mod $backend {
            conformance_tests!(@cases $factory;
                append::appended_events_read_back_exactly_with_dense_versions_metadata_and_an_intact_chain,
                append::a_second_append_continues_the_versions_and_the_chain,
                append::an_empty_batch_or_a_non_object_payload_is_invalid_and_writes_nothing,
                append::expected_versions_are_honoured_and_a_wrong_one_is_a_conflict_with_the_actual_version,
                concurrency::eight_concurrent_writers_on_one_stream_get_exactly_one_winner_per_version,
                global_order::a_tailing_reader_sees_every_committed_event_once_and_nothing_rolled_back,
                idempotency::retrying_a_command_returns_the_first_outcome_and_appends_nothing,
                idempotency::a_command_id_reused_with_another_fingerprint_is_refused,
                idempotency::concurrent_duplicates_of_a_command_on_one_stream_append_once,
                idempotency::concurrent_duplicates_of_a_create_command_on_fresh_streams_append_once,
                immutability::the_database_refuses_update_delete_and_truncate_on_events_and_commands,
                tamper::an_altered_payload_is_reported_as_a_hash_mismatch_at_its_version,
                tamper::an_altered_prev_hash_is_reported_as_a_broken_link,
                tamper::an_append_after_a_forged_negative_version_is_refused_as_corrupt,
                paging::paging_through_read_all_covers_every_event_exactly_once_for_any_page_size,
                paging::head_is_the_checkpoint_of_the_last_readable_event,
                paging::read_stream_as_of_returns_only_events_recorded_up_to_that_instant,
                unavailable::connecting_to_a_database_that_is_not_running_is_unavailable,
                unavailable::a_closed_store_answers_unavailable_instead_of_panicking,
                privacy::personal_data_is_sealed_in_the_database_and_opens_only_through_the_sealed_store,
                privacy::erasing_a_stream_leaves_nothing_readable_and_the_chain_still_verifies,
                privacy::erasing_one_person_leaves_the_others_of_the_stream_readable,
                privacy::rotating_the_key_encryption_key_rewraps_every_data_key_and_keeps_data_readable,
                privacy::a_sealed_part_copied_into_another_event_does_not_open,
                privacy::batched_key_creation_keeps_one_key_per_scope_and_every_case_readable,
                privacy_answer::an_append_answers_with_its_personal_data_exactly_as_a_read_returns_it,
                privacy_answer::a_refused_create_keeps_the_keys_the_stream_has,
            );
        }
    };
    (@cases $factory:path; $($module:ident :: $case:ident),* $(,)?) => {
        $(
            // Several worker threads, so that concurrent cases really run in parallel.
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $case() {
                let db = $factory().await;
                crate::cases::$module::$case(&db).await;
                db.finish().await;
            }
        )*
    };
}

conformance_tests!(sqlite, crate::harness::make_sqlite_store);
conformance_tests!(postgres, crate::harness::make_pg_store);
conformance_tests!(
    sqlite_group_commit,
    crate::cases::group_commit::sqlite_store
);
conformance_tests!(postgres_group_commit, crate::cases::group_commit::pg_store);

/// What only a group commit can show, on each backend.
macro_rules! group_commit_tests {
    ($backend:ident, $factory:path) => {
        mod $backend {
            conformance_tests!(@cases $factory;
                group_commit::concurrent_appends_to_different_streams_share_one_transaction,
                group_commit::a_streams_commands_in_one_batch_apply_in_arrival_order,
                group_commit::a_failing_command_in_a_batch_fails_only_itself,
                group_commit::a_conflict_in_a_batch_is_answered_alone_and_the_batch_still_commits_once,
                group_batch::a_mixed_batch_answers_each_command_as_if_they_ran_one_after_another,
                group_batch::a_batch_larger_than_one_insert_statement_commits_whole_and_in_order,
            );
        }
    };
}
group_commit_tests!(sqlite_group_commit_only, crate::harness::make_sqlite_store);
group_commit_tests!(postgres_group_commit_only, crate::harness::make_pg_store);
