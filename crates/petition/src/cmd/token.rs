//! `petition token`: creates a static service token and prints the settings entry that stores only its hash.

use anyhow::Context;
use command::http::ApiToken;
use command::http::tokens::sha256_hex;

#[derive(Debug, clap::Args)]
pub struct TokenArgs {
    /// The name recorded as the actor of every event written with the token.
    #[arg(long)]
    actor: String,
    /// A role of rules/access/policy.cedar; repeat for several.
    #[arg(long = "role", required = true)]
    roles: Vec<String>,
    /// The agency code the roles apply to, or `*` for the whole state.
    #[arg(long)]
    agency: String,
}

/// Prints the token (give it to the service, once) and the `PETITION_TOKENS` entry (put it in the settings).
pub fn run(args: TokenArgs) -> anyhow::Result<()> {
    let token = hex::encode(rand::random::<[u8; 32]>());
    let entry = format!(
        "{}:{}:{}:{}",
        args.actor,
        args.roles.join("+"),
        args.agency,
        sha256_hex(&token)
    );
    ApiToken::parse_spec(&entry).context("the token's actor, roles or agency")?;
    println!("token (give it to the service; it is not stored anywhere): {token}");
    println!("PETITION_TOKENS entry (only the SHA-256 of the token): {entry}");
    Ok(())
}
