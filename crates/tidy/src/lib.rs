//! The tidy crate has no library code: its test (`tests/tidy`) checks the workspace's house rules.
