//! The connection pool: which connections are checked before they are handed
//! out, and what happens to one the server has closed.

use std::time::Duration;

use careledger::db::{pool_options, PoolConfig};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;

use crate::support;

/// A pool of one connection that checks connections idle for `check_idle_after`.
async fn one_connection(
    options: PgConnectOptions,
    check_idle_after: Duration,
) -> sqlx::Result<PgPool> {
    let config = PoolConfig { max_connections: 1, check_idle_after, ..PoolConfig::default() };
    pool_options(&config).connect_with(options).await
}

async fn backend_pid(pool: &PgPool) -> sqlx::Result<i32> {
    sqlx::query_scalar("SELECT pg_backend_pid()").fetch_one(pool).await
}

/// A one-connection pool whose connection answered once and was then closed
/// from the server's side, as a restart or an operator's
/// `pg_terminate_backend` would; and that connection's backend pid.
async fn used_then_closed(
    options: PgConnectOptions,
    check_idle_after: Duration,
) -> sqlx::Result<(PgPool, i32)> {
    let admin = PgPool::connect_with(options.clone()).await?;
    let pool = one_connection(options, check_idle_after).await?;
    let pid = backend_pid(&pool).await?;
    // sqlx checks a returned connection in the background before it is idle
    // again; closing it before that check ends would make the check, not the
    // test's next query, find it closed.
    assert!(
        support::eventually(async || pool.num_idle() == 1).await,
        "the connection came back to the pool"
    );
    let done: bool = sqlx::query_scalar("SELECT pg_terminate_backend($1, 5000)")
        .bind(pid)
        .fetch_one(&admin)
        .await?;
    assert!(done, "backend {pid} was not terminated");
    Ok((pool, pid))
}

#[sqlx::test(migrations = false)]
async fn an_idle_connection_the_server_closed_is_replaced_before_use(
    _: PgPoolOptions,
    options: PgConnectOptions,
) -> anyhow::Result<()> {
    let (pool, first) = used_then_closed(options, Duration::from_millis(50)).await?;
    tokio::time::sleep(Duration::from_millis(100)).await;

    let second = backend_pid(&pool).await.expect("the idle connection is checked and replaced");
    assert_ne!(second, first);
    assert_eq!(backend_pid(&pool).await?, second, "the new connection is kept");
    Ok(())
}

#[sqlx::test(migrations = false)]
async fn a_connection_used_moments_ago_is_handed_out_unchecked(
    _: PgPoolOptions,
    options: PgConnectOptions,
) -> anyhow::Result<()> {
    let (pool, first) = used_then_closed(options, Duration::from_secs(3600)).await?;

    // No round trip before the query: the closed connection is the query's
    // error, the pool drops it, and the next request gets a new one.
    let error = backend_pid(&pool).await.expect_err("the closed connection was not checked");
    assert!(
        matches!(&error, sqlx::Error::Database(e) if e.code().as_deref() == Some("57P01"))
            || matches!(error, sqlx::Error::Io(_)),
        "unexpected error: {error:?}"
    );
    let second = backend_pid(&pool).await?;
    assert_ne!(second, first);
    Ok(())
}
