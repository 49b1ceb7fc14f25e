//! Load-on-mount: run a typed operation when the component mounts and again
//! whenever its variables change, and hold how it went.

use std::cell::Cell;
use std::ops::Deref;
use std::rc::Rc;

use graphql_client::GraphQLQuery;
use yew::prelude::*;

use crate::session::use_api;
use crate::ui::Load;

/// The state of one query ([`Load`]) and a way to run it again.
pub struct UseQueryHandle<T> {
    state: UseStateHandle<Load<T>>,
    reload: Callback<()>,
}

impl<T> UseQueryHandle<T> {
    /// Runs the query again with the same variables.
    pub fn reload(&self) {
        self.reload.emit(());
    }
}

impl<T> Deref for UseQueryHandle<T> {
    type Target = Load<T>;
    fn deref(&self) -> &Load<T> {
        &self.state
    }
}

impl<T> Clone for UseQueryHandle<T> {
    fn clone(&self) -> Self {
        Self { state: self.state.clone(), reload: self.reload.clone() }
    }
}

/// Runs `Q` as the signed-in user with `variables` when the component mounts
/// and whenever `variables` change (`None`: not at all, the state stays
/// [`Load::Idle`]), and keeps `select(data)` once it answers. While it runs
/// the state is [`Load::Loading`]; an answer to variables since replaced is
/// dropped.
#[hook]
pub fn use_query<Q, T, F>(variables: Option<Q::Variables>, select: F) -> UseQueryHandle<T>
where
    Q: GraphQLQuery + 'static,
    Q::Variables: Clone + PartialEq + 'static,
    T: PartialEq + 'static,
    F: FnOnce(Q::ResponseData) -> T + 'static,
{
    let api = use_api();
    let state = use_state_eq(|| if variables.is_some() { Load::Loading } else { Load::Idle });
    let runs = use_mut_ref(|| 0u64);
    let rerender = use_force_update();
    let reload = {
        let runs = runs.clone();
        Callback::from(move |()| {
            *runs.borrow_mut() += 1;
            rerender.force_update();
        })
    };
    let run = *runs.borrow();
    {
        let state = state.clone();
        use_effect_with((variables, run), move |(variables, _)| {
            let current = Rc::new(Cell::new(true));
            match variables.clone() {
                None => state.set(Load::Idle),
                Some(vars) => {
                    state.set(Load::Loading);
                    let current = current.clone();
                    wasm_bindgen_futures::spawn_local(async move {
                        let outcome = api.run::<Q>(vars).await;
                        if current.get() {
                            state.set(match outcome {
                                Ok(data) => Load::Done(select(data)),
                                Err(e) => Load::Failed(e),
                            });
                        }
                    });
                }
            }
            move || current.set(false)
        });
    }
    UseQueryHandle { state, reload }
}
