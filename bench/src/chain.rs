//! Counting what the contract recorded during a run, with plain JSON-RPC.

use std::collections::HashSet;

use anyhow::{anyhow, Context as _};
use serde_json::{json, Value};

#[derive(Clone, Debug)]
pub struct ChainProbe {
    http: reqwest::Client,
    url: String,
    contract: String,
}

/// Events and transactions the contract produced in a block range.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ChainCount {
    pub events: u64,
    pub transactions: u64,
}

impl ChainProbe {
    pub fn new(url: &str, contract: &str) -> Self {
        Self { http: reqwest::Client::new(), url: url.to_owned(), contract: contract.to_owned() }
    }

    async fn call(&self, method: &str, params: Value) -> anyhow::Result<Value> {
        let body: Value = self
            .http
            .post(&self.url)
            .json(&json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}))
            .send()
            .await
            .with_context(|| format!("chain RPC {} unreachable", self.url))?
            .json()
            .await?;
        if let Some(e) = body.get("error") {
            return Err(anyhow!("{method}: {e}"));
        }
        Ok(body["result"].clone())
    }

    pub async fn block_number(&self) -> anyhow::Result<u64> {
        let hex = self.call("eth_blockNumber", json!([])).await?;
        parse_hex(&hex)
    }

    /// Every log of the contract in `(after, upto]`.
    pub async fn count(&self, after: u64, upto: u64) -> anyhow::Result<ChainCount> {
        let mut count = ChainCount::default();
        let mut txs = HashSet::new();
        let mut from = after + 1;
        while from <= upto {
            let to = (from + 999).min(upto);
            let logs = self
                .call(
                    "eth_getLogs",
                    json!([{ "address": self.contract, "fromBlock": format!("0x{from:x}"), "toBlock": format!("0x{to:x}") }]),
                )
                .await?;
            for log in logs.as_array().into_iter().flatten() {
                count.events += 1;
                txs.insert(log["transactionHash"].as_str().unwrap_or_default().to_owned());
            }
            from = to + 1;
        }
        count.transactions = txs.len() as u64;
        Ok(count)
    }
}

fn parse_hex(v: &Value) -> anyhow::Result<u64> {
    let s = v.as_str().ok_or_else(|| anyhow!("expected a hex string, got {v}"))?;
    Ok(u64::from_str_radix(s.trim_start_matches("0x"), 16)?)
}
