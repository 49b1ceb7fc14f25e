//! Automatic sign-out after 15 minutes without a key press, click or touch.

use std::cell::Cell;
use std::rc::Rc;

use gloo_events::EventListener;
use gloo_timers::callback::Interval;
use yew::prelude::*;

use crate::session::{use_api, IDLE_LIMIT_MS};

#[function_component(IdleWatch)]
pub fn idle_watch() -> Html {
    let api = use_api();
    use_effect_with((), move |_| {
        let last = Rc::new(Cell::new(js_sys::Date::now()));
        let window = web_sys::window().expect("window");
        let listeners: Vec<EventListener> = ["keydown", "pointerdown", "wheel", "touchstart"]
            .into_iter()
            .map(|kind| {
                let last = last.clone();
                EventListener::new(&window, kind, move |_| last.set(js_sys::Date::now()))
            })
            .collect();
        let fired = Rc::new(Cell::new(false));
        let timer = Interval::new(10_000, move || {
            if !fired.get() && js_sys::Date::now() - last.get() >= IDLE_LIMIT_MS {
                fired.set(true);
                api.sign_out(Some("You were signed out after 15 minutes without activity.".into()));
            }
        });
        move || {
            drop(timer);
            drop(listeners);
        }
    });
    html! {}
}
