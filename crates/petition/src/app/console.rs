//! The console's wiring in `petition serve`: the API's access policy, the OpenID Connect sign-in (`[console]`
//! with the API's `[oidc]` issuer and audience), the https origin, and the auditor page's case export built
//! by the same code as `petition audit export --case` (`ledger_log::export`).

use std::sync::Arc;

use anyhow::Context;

use crate::settings::Settings;

pub fn configure(
    console: console::ConsoleState,
    settings: &Settings,
    policy: command::access::AccessPolicy,
    log: Option<&crate::app::wire::Log>,
    store: Arc<dyn store::EventStore>,
) -> anyhow::Result<console::ConsoleState> {
    let c = &settings.console;
    let mut console = console.with_policy(policy).with_https_origin(
        c.public_origin
            .as_deref()
            .is_some_and(|o| o.starts_with("https://")),
    );
    match (&c.oidc, &settings.oidc) {
        (Some(login), Some(api)) => {
            let audience = api.audience.first().cloned().unwrap_or_default();
            let login = console::OidcLogin::new(login.clone(), api.issuer.clone(), audience)
                .context("the [console.oidc] settings")?;
            console = console.with_oidc(login);
        }
        (Some(_), None) => anyhow::bail!("[console.oidc] needs the API's [oidc] provider"),
        _ => {}
    }
    if let Some(log) = log {
        let db = log.db.clone();
        let origin = settings.tlog.origin.clone();
        console = console.with_exporter(console::Exporter(Arc::new(move |case| {
            let (db, origin, store) = (db.clone(), origin.clone(), store.clone());
            Box::pin(async move {
                let scope = ledger_log::export::Scope::Stream {
                    stream_id: store::StreamId::for_case(case).to_string(),
                };
                let bundle =
                    ledger_log::export::export(store.as_ref(), &db, &origin, scope, &[]).await?;
                Ok(serde_json::to_value(bundle)?)
            })
        })));
    }
    Ok(console)
}
