//! The session's clock: automatic sign-out after 15 minutes without a key
//! press, click or touch; the token renewed while the user is active (each
//! token lives 15 minutes); and sign-out when the session reaches its
//! 12-hour limit.

use std::cell::Cell;
use std::rc::Rc;

use gloo_events::EventListener;
use gloo_timers::callback::Interval;
use yew::prelude::*;

use crate::session::{use_api, use_session, IDLE_LIMIT_MS};

/// Renew when the token has less than this left.
const RENEW_BEFORE_MS: f64 = 5.0 * 60.0 * 1000.0;
/// How often the clock looks.
const TICK_MS: u32 = 10_000;

fn time_ms(rfc3339: &str) -> f64 {
    js_sys::Date::parse(rfc3339)
}

#[function_component(IdleWatch)]
pub fn idle_watch() -> Html {
    let api = use_api();
    let session = use_session();
    // The last activity outlives the timers, which restart with each token.
    let last = use_mut_ref(js_sys::Date::now);
    {
        let last = last.clone();
        use_effect_with((), move |_| {
            let window = web_sys::window().expect("window");
            let listeners: Vec<EventListener> = ["keydown", "pointerdown", "wheel", "touchstart"]
                .into_iter()
                .map(|kind| {
                    let last = last.clone();
                    EventListener::new(&window, kind, move |_| {
                        *last.borrow_mut() = js_sys::Date::now()
                    })
                })
                .collect();
            move || drop(listeners)
        });
    }
    use_effect_with(session, move |session| {
        let timer = session.as_ref().map(|session| {
            let expires = time_ms(&session.expires_at);
            let ends = time_ms(&session.session_ends_at);
            // Activity after this token arrived asks for the next one.
            let arrived = js_sys::Date::now();
            let (fired, renewing) = (Rc::new(Cell::new(false)), Rc::new(Cell::new(false)));
            Interval::new(TICK_MS, move || {
                let now = js_sys::Date::now();
                let last = *last.borrow();
                if fired.get() {
                    return;
                }
                if now - last >= IDLE_LIMIT_MS {
                    fired.set(true);
                    api.sign_out(Some(
                        "You were signed out after 15 minutes without activity.".into(),
                    ));
                } else if now >= ends {
                    fired.set(true);
                    api.sign_out(Some(
                        "Your session reached its 12-hour limit. Please sign in again.".into(),
                    ));
                } else if expires - now < RENEW_BEFORE_MS && last > arrived && !renewing.get() {
                    renewing.set(true);
                    let (api, renewing) = (api.clone(), renewing.clone());
                    wasm_bindgen_futures::spawn_local(async move {
                        // On success the new token restarts this clock; on
                        // failure the next tick tries again.
                        if !api.renew().await {
                            renewing.set(false);
                        }
                    });
                }
            })
        });
        move || drop(timer)
    });
    html! {}
}
