//! petition-ledger as a library: [`settings`] (one typed tree from a file and `PETITION_*` variables),
//! [`app`] (opening the store, read models, notifier, relay and sources; [`app::App::build`] and
//! [`app::App::run`]), [`runtime`] (tasks, supervision, shutdown) and [`cmd`] (the subcommands, which use
//! only `app` and `runtime`). The `petition` binary is a thin shell over [`cmd::main`].

pub mod app;
pub mod cmd;
pub mod observe;
pub mod runtime;
pub mod settings;

pub use app::App;
pub use settings::Settings;
