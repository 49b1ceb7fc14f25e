//! The CareLedger web app: Rust compiled to WebAssembly with Yew.
//!
//! Layout: `api` is the one client for every call; `session` holds the
//! in-memory session; `hooks` has `use_query` (load-on-mount); `pages` has
//! one module per screen. Roles, record types, error codes and what each role
//! is offered come from the shared `careledger-vocab` crate.

mod api;
mod diff;
mod factor;
mod hooks;
mod idle;
mod labels;
mod pages;
mod passkey;
mod receipts;
mod routes;
mod session;
mod status;
mod ui;

use yew::prelude::*;
use yew_router::prelude::*;

use labels::Label;
use routes::Route;
use session::{Auth, AuthAction, AuthHandle};

#[function_component(App)]
fn app() -> Html {
    let auth = use_reducer(Auth::default);
    html! {
        <ContextProvider<AuthHandle> context={auth}>
            <BrowserRouter>
                <Shell />
            </BrowserRouter>
        </ContextProvider<AuthHandle>>
    }
}

/// Header, navigation, the page, and the page's receipts.
#[function_component(Shell)]
fn shell() -> Html {
    let auth = use_context::<AuthHandle>().expect("auth context");
    let location = use_location();
    {
        // A new page starts with no receipts.
        let auth = auth.clone();
        let path = location.as_ref().map(|l| l.path().to_owned());
        use_effect_with(path, move |_| auth.dispatch(AuthAction::ClearReceipts));
    }
    let api = session::use_api();
    let signed_in = auth.session.clone();
    let main = match &signed_in {
        None => html! { <pages::login::LoginPage /> },
        Some(_) => html! { <Switch<Route> render={routes::render} /> },
    };
    html! {
        <>
            <a class="skip" href="#main">{ "Skip to content" }</a>
            <header class="bar">
                <div class="bar-inner">
                    <Link<Route> to={Route::Home} classes="brand">
                        <span class="brand-mark" aria-hidden="true">{ "✚" }</span>{ "CareLedger" }
                    </Link<Route>>
                    if let Some(s) = &signed_in {
                        <routes::Nav role={s.role()} />
                        <div class="who">
                            <span class="who-name" id="who">{ s.user.full_name.clone() }</span>
                            <span class="badge">{ s.role().label() }</span>
                            <button class="btn btn-quiet" id="logout" onclick={Callback::from(move |_| api.sign_out(None))}>{ "Sign out" }</button>
                        </div>
                        <idle::IdleWatch />
                    }
                </div>
            </header>
            <main id="main" tabindex="-1">
                { main }
                <receipts::Receipts items={auth.receipts.clone()} />
            </main>
        </>
    }
}

fn main() {
    yew::Renderer::<App>::new().render();
}
