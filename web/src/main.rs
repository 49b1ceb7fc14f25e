//! The CareLedger web app: Rust compiled to WebAssembly with Yew.

mod status;

use yew::prelude::*;

#[function_component(App)]
fn app() -> Html {
    html! {
        <>
            <header class="bar"><h1>{ "CareLedger" }</h1></header>
            <main>
                <status::SystemStatus />
            </main>
        </>
    }
}

fn main() {
    yew::Renderer::<App>::new().render();
}
