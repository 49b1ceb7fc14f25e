//! The system status card: database, chain and contract, from `/healthz`.

use serde::Deserialize;
use yew::prelude::*;

#[derive(Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Health {
    status: String,
    version: String,
    database: Component,
    chain: ChainHealth,
}

#[derive(Clone, PartialEq, Deserialize)]
struct Component {
    ok: bool,
}

#[derive(Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ChainHealth {
    ok: bool,
    chain_id: u64,
    contract: String,
    block_number: Option<u64>,
}

#[derive(Clone, PartialEq)]
enum Load {
    Loading,
    Loaded(Health),
    Failed(String),
}

async fn fetch_health() -> Load {
    match gloo_net::http::Request::get("/healthz").send().await {
        Ok(response) => match response.json::<Health>().await {
            Ok(health) => Load::Loaded(health),
            Err(_) => Load::Failed("The server answered, but not with a health report.".into()),
        },
        Err(_) => Load::Failed("The CareLedger server cannot be reached.".into()),
    }
}

fn verdict(ok: bool) -> Html {
    if ok {
        html! { <span class="ok">{ "reachable" }</span> }
    } else {
        html! { <span class="bad">{ "unreachable" }</span> }
    }
}

#[function_component(SystemStatus)]
pub fn system_status() -> Html {
    let load = use_state(|| Load::Loading);
    {
        let load = load.clone();
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move { load.set(fetch_health().await) });
        });
    }
    let body = match &*load {
        Load::Loading => html! { <p class="muted" aria-live="polite">{ "Checking the system…" }</p> },
        Load::Failed(message) => html! { <p class="bad" role="alert">{ message.clone() }</p> },
        Load::Loaded(h) => html! {
            <dl class="facts" id="system-status">
                <dt>{ "Status" }</dt><dd id="status">{ h.status.clone() }</dd>
                <dt>{ "Database" }</dt><dd>{ verdict(h.database.ok) }</dd>
                <dt>{ "Chain" }</dt><dd>{ verdict(h.chain.ok) }{ format!(" — chain id {}", h.chain.chain_id) }</dd>
                <dt>{ "Access contract" }</dt><dd><code id="contract">{ h.chain.contract.clone() }</code></dd>
                <dt>{ "Latest block" }</dt><dd>{ h.chain.block_number.map(|n| n.to_string()).unwrap_or_else(|| "—".into()) }</dd>
                <dt>{ "Version" }</dt><dd>{ h.version.clone() }</dd>
            </dl>
        },
    };
    html! {
        <section class="card" aria-labelledby="status-title">
            <h2 id="status-title">{ "System status" }</h2>
            { body }
        </section>
    }
}
