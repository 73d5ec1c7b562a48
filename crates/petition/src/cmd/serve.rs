//! `petition serve`: builds the app from the settings, binds the API listener and runs until SIGINT or
//! SIGTERM (see [`crate::app::App`]).

use anyhow::Context;

use crate::app::App;
use crate::runtime::shutdown_signal;
use crate::settings::Settings;

pub async fn run(settings: Settings) -> anyhow::Result<()> {
    let listen = settings.listen;
    let app = App::build(settings).await?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("binding {listen}"))?;
    app.run(listener, shutdown_signal()).await
}
