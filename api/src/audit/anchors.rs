//! The content hashes anchored on chain, read from the chain's own logs:
//! every `RecordVersionCreated` event of the contract, found by its indexed
//! record id. The integrity proof reads these and never the audit index,
//! which a database administrator could rewrite.

use alloy::primitives::B256;
use alloy::providers::Provider;
use alloy::rpc::types::{Filter, Log};
use alloy::sol_types::SolEvent;

use crate::chain::bindings::CareLedgerAccess::RecordVersionCreated;
use crate::chain::deployment::Deployment;
use crate::chain::{Chain, ChainError};
use crate::records::RecordId;

/// One anchored version: what the contract's event says, and where it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Anchor {
    pub record: RecordId,
    pub version: u64,
    pub content_hash: B256,
    pub transaction_hash: B256,
    pub block_number: u64,
    pub log_index: u64,
}

/// Every anchor of `record` (of every record with `None`), in chain order,
/// from the deployment block to the chain head. One `eth_getLogs` where the
/// node allows it; a node that limits the range of one query (Besu's
/// `--rpc-max-logs-range`, some providers) is asked in ranges of
/// [`super::indexer::RANGE`] blocks instead.
pub async fn anchors(
    chain: &Chain,
    deployment: &Deployment,
    record: Option<RecordId>,
) -> Result<Vec<Anchor>, ChainError> {
    let head = chain.block_number().await?;
    let mut filter = Filter::new()
        .address(deployment.address)
        .event_signature(RecordVersionCreated::SIGNATURE_HASH);
    if let Some(id) = record {
        filter = filter.topic3(B256::from(id));
    }
    let whole = filter.clone().from_block(deployment.block).to_block(head);
    let logs = match chain.provider().get_logs(&whole).await {
        Ok(logs) => logs,
        Err(error) => {
            tracing::debug!(%error, "one eth_getLogs over the whole chain refused; asking in ranges");
            let mut logs = Vec::new();
            let mut from = deployment.block;
            while from <= head {
                let to = head.min(from + super::indexer::RANGE - 1);
                let range = filter.clone().from_block(from).to_block(to);
                logs.extend(chain.provider().get_logs(&range).await?);
                from = to + 1;
            }
            logs
        }
    };
    let mut anchors: Vec<Anchor> = logs.iter().filter_map(anchor).collect();
    anchors.sort_by_key(|a| (a.block_number, a.log_index));
    Ok(anchors)
}

fn anchor(log: &Log) -> Option<Anchor> {
    let event = RecordVersionCreated::decode_log(&log.inner).ok()?.data;
    Some(Anchor {
        record: RecordId::from_word(&event.recordId)?,
        version: event.version,
        content_hash: event.contentHash,
        transaction_hash: log.transaction_hash?,
        block_number: log.block_number?,
        log_index: log.log_index?,
    })
}
