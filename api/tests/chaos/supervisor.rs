//! The chain's supervisor (`scripts/anvil-supervisor.sh`, as `make run` uses
//! it): a state dump torn by the kill is set aside and Anvil comes back from
//! the last whole one, instead of failing to start for ever.

use std::time::{Duration, Instant, SystemTime};

use alloy::providers::{Provider, ProviderBuilder};

use crate::procs::{Chain, Scratch};

async fn head(url: &str, within: Duration) -> u64 {
    let provider = ProviderBuilder::new().connect_http(url.parse().expect("url"));
    let deadline = Instant::now() + within;
    loop {
        if let Ok(n) = provider.get_block_number().await {
            return n;
        }
        assert!(Instant::now() < deadline, "the chain did not answer within {within:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_torn_state_dump_is_set_aside_for_the_last_whole_one() {
    let scratch = Scratch::new();
    let chain = Chain::start(&scratch.0);
    let url = chain.url();
    head(&url, Duration::from_secs(30)).await;
    let provider = ProviderBuilder::new().connect_http(url.parse().expect("url"));
    for _ in 0..10 {
        let _: serde_json::Value =
            provider.raw_request("evm_mine".into(), ()).await.expect("evm_mine");
    }
    let mined = SystemTime::now();
    assert_eq!(head(&url, Duration::from_secs(1)).await, 10);

    // Wait until a whole dump made after the mining is kept aside (every 2 s).
    let state = scratch.0.join("anvil-state.json");
    let good = scratch.0.join("anvil-state.json.good");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !std::fs::metadata(&good).and_then(|m| m.modified()).is_ok_and(|t| t > mined) {
        assert!(Instant::now() < deadline, "no whole dump kept within 30 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Anvil dies while writing its state: the file holds half a dump.
    chain.pause_supervisor();
    chain.kill9();
    let whole = std::fs::read(&good).expect("the kept dump");
    std::fs::write(&state, &whole[..whole.len() / 2]).expect("a torn dump");
    chain.resume_supervisor();

    assert_eq!(head(&url, Duration::from_secs(60)).await, 10, "back from the last whole dump");
    assert_eq!(
        std::fs::read(scratch.0.join("anvil-state.json.torn")).expect("the torn dump, kept"),
        &whole[..whole.len() / 2]
    );
    assert!(chain.log().contains("cut short"), "the supervisor says why: {}", chain.log());
}
