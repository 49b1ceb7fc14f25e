//! The system status card: database, chain and contract (`systemStatus`).

use yew::prelude::*;

use crate::api::ops::{system_status_query, SystemStatusQuery};
use crate::hooks::use_query;
use crate::ui::{ErrorBox, Load, Loading};

fn verdict(ok: bool) -> Html {
    if ok {
        html! { <span class="ok">{ "reachable" }</span> }
    } else {
        html! { <span class="bad">{ "unreachable" }</span> }
    }
}

#[function_component(SystemStatus)]
pub fn system_status() -> Html {
    let load = use_query::<SystemStatusQuery, _, _>(Some(system_status_query::Variables), |d| {
        d.system_status
    });
    let body = match &*load {
        Load::Idle | Load::Loading => html! { <Loading /> },
        Load::Failed(e) => html! { <ErrorBox error={e.clone()} /> },
        Load::Done(h) => html! {
            <dl class="facts" id="system-status">
                <dt>{ "Status" }</dt><dd id="status">{ h.status.clone() }</dd>
                <dt>{ "Database" }</dt><dd>{ verdict(h.database_ok) }</dd>
                <dt>{ "Chain" }</dt><dd>{ verdict(h.chain_ok) }{ format!(" — chain id {}", h.chain_id) }</dd>
                <dt>{ "Access contract" }</dt><dd><code class="hash" id="contract">{ h.contract.clone() }</code></dd>
                <dt>{ "Latest block" }</dt><dd>{ h.block_number.clone().unwrap_or_else(|| "—".into()) }</dd>
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
