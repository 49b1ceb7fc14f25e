//! `--compare-naive`: a second api, started with `--gate naive` on the same
//! database, chain, keys and data directory (so the run's tokens are valid
//! there too), on its own port.

use std::process::Stdio;
use std::time::Duration;

use anyhow::{anyhow, Context as _};
use tokio::process::{Child, Command};

use crate::client::Client;

pub struct NaiveApi {
    child: Child,
    pub url: String,
}

impl NaiveApi {
    /// Starts `binary serve --gate naive` bound to `bind`, inheriting the
    /// environment (DATABASE_URL, CHAIN_RPC_URL, CHAIN_GATEWAY_KEY, ...).
    pub async fn start(binary: &str, bind: &str, insecure: bool) -> anyhow::Result<Self> {
        let child = Command::new(binary)
            .args(["serve", "--gate", "naive"])
            .env("CARELEDGER_BIND", bind)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {binary}"))?;
        let url = format!("https://{bind}");
        let client = Client::new(&url, insecure)?;
        for _ in 0..300 {
            if client.health().await.is_ok_and(|h| h["status"] == "ok") {
                return Ok(Self { child, url });
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(anyhow!("the naive api on {bind} did not become healthy in 30 s"))
    }

    pub async fn stop(mut self) {
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
    }
}
