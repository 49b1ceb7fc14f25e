//! The web app in a real browser: headless Chromium driven through
//! chromedriver by fantoccini, against a real api (real PostgreSQL database,
//! a fresh Anvil, the built app from `web/dist`) served over HTTPS on a free
//! port. Each scenario saves a screenshot under `target/screenshots/`
//! (`make screenshots` copies them to `docs/screenshots/`).
//!
//! Needs `/usr/bin/chromium` and `/usr/bin/chromedriver` (or `CHROMIUM_BIN`,
//! `CHROMEDRIVER_BIN`) and a built app (`scripts/build-web.sh`); fails with a
//! clear message when either is missing, never passes vacuously.

#[path = "../it/ops.rs"]
#[allow(dead_code)]
mod ops;
#[path = "../it/support.rs"]
#[allow(dead_code)]
mod support;

mod audit;
mod care;
mod factor;
mod graphiql;
mod harness;
mod login;
mod passkey;
mod people;
mod privacy;
mod records;
