//! The on-chain receipts of the accesses the current page made, from
//! `extensions.audit`: a quiet expandable line at the foot of the page.

use yew::prelude::*;

use crate::api::Receipt;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub items: Vec<Receipt>,
}

#[function_component(Receipts)]
pub fn receipts(props: &Props) -> Html {
    if props.items.is_empty() {
        return html! { <div class="receipts receipts-empty" aria-hidden="true"></div> };
    }
    let n = props.items.len();
    let refused = props.items.iter().filter(|r| !r.approved).count();
    let noun = if n == 1 { "access" } else { "accesses" };
    let summary = match refused {
        0 => format!("{n} {noun} recorded on chain"),
        r => format!("{n} {noun} recorded on chain ({r} refused)"),
    };
    html! {
        <details class="receipts" id="receipts">
            <summary><span class="chain-dot" aria-hidden="true"></span>{ summary }</summary>
            <ul>
                { for props.items.iter().map(|r| html! {
                    <li class={classes!("receipt", (!r.approved).then_some("refused"))}>
                        <span class="receipt-what">
                            { r.event.clone() }
                            { r.action.as_ref().map(|a| format!(" · {a}")).unwrap_or_default() }
                            { r.resource.as_ref().map(|a| format!(" · {a}")).unwrap_or_default() }
                            { if r.approved { " · approved" } else { " · refused" } }
                        </span>
                        <span class="receipt-where">
                            { format!("block {} · log {} · tx ", r.block_number, r.log_index) }
                            <code class="hash" title={r.transaction_hash.clone()}>{ short_hash(&r.transaction_hash) }</code>
                        </span>
                    </li>
                }) }
            </ul>
        </details>
    }
}

/// `0x1234…abcd`.
pub fn short_hash(h: &str) -> String {
    if h.len() > 14 {
        format!("{}…{}", &h[..8], &h[h.len() - 6..])
    } else {
        h.to_owned()
    }
}
