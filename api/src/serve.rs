//! Running the HTTPS server until Ctrl-C or SIGTERM, then draining cleanly.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context as _;

use axum_server::tls_rustls::RustlsConfig;

use crate::app::AppState;
use crate::config::Config;
use crate::http::tls;

/// Selects rustls's crypto provider for the process (several crates enable
/// more than one, so rustls cannot choose by itself). Safe to call twice.
pub fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// The certificate files (given or generated) and the rustls configuration.
async fn tls_setup(config: &Config) -> anyhow::Result<(tls::TlsFiles, RustlsConfig)> {
    let given = config.tls_cert.as_deref().zip(config.tls_key.as_deref());
    let files = tls::ensure_files(&config.data_dir, given)?;
    let tls_config = tls::load(&files).await?;
    Ok((files, tls_config))
}

/// Serves the api on `state.config.bind` over TLS until a shutdown signal.
pub async fn run(state: AppState) -> anyhow::Result<()> {
    let config = state.config.clone();
    let (files, tls_config) = tls_setup(&config).await?;
    let handle = axum_server::Handle::new();
    tokio::spawn(shutdown_on_signal(handle.clone()));
    let audit = state.audit.clone();
    let metrics = match config.metrics_bind {
        Some(bind) => crate::http::metrics::spawn(bind, state.clone()).await,
        None => None,
    };
    let app = crate::http::router(state).into_make_service_with_connect_info::<SocketAddr>();
    let url = public_url(config.bind);
    println!("CareLedger is running at {url} (GraphiQL at {url}graphql, health at {url}healthz)");
    println!(
        "  passkeys work at {} (CARELEDGER_WEBAUTHN_ORIGIN): open the app there",
        config.webauthn_origin
    );
    if let Some(metrics) = metrics {
        println!("  metrics: http://{metrics}/metrics (CARELEDGER_METRICS_BIND)");
    }
    if files.self_signed {
        println!(
            "  TLS: self-signed certificate {} (your browser will ask you to accept it)",
            files.cert.display()
        );
    }
    axum_server::bind_rustls(config.bind, tls_config)
        .handle(handle)
        .serve(app)
        .await
        .with_context(|| format!("CARELEDGER_BIND: cannot serve on {}", config.bind))?;
    audit.stop();
    tracing::info!("stopped");
    Ok(())
}

/// Serves in the background and returns the address actually bound (use
/// port 0 for any free port) and a handle to stop it. For tests and tools
/// that run the api in-process.
pub async fn spawn(state: AppState) -> anyhow::Result<(SocketAddr, axum_server::Handle)> {
    let config = state.config.clone();
    let (_, tls_config) = tls_setup(&config).await?;
    let handle = axum_server::Handle::new();
    if let Some(bind) = config.metrics_bind {
        crate::http::metrics::spawn(bind, state.clone()).await;
    }
    let app = crate::http::router(state).into_make_service_with_connect_info::<SocketAddr>();
    let server = axum_server::bind_rustls(config.bind, tls_config).handle(handle.clone());
    tokio::spawn(async move {
        if let Err(error) = server.serve(app).await {
            tracing::error!(%error, "server stopped");
        }
    });
    let addr = handle.listening().await.context("the server did not start listening")?;
    Ok((addr, handle))
}

fn public_url(bind: SocketAddr) -> String {
    if bind.ip().is_unspecified() {
        format!("https://127.0.0.1:{}/", bind.port())
    } else {
        format!("https://{bind}/")
    }
}

async fn shutdown_on_signal(handle: axum_server::Handle) {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
    tracing::info!("shutting down: finishing requests in flight");
    handle.graceful_shutdown(Some(Duration::from_secs(10)));
}
