//! Rust bindings for the access contract, generated at compile time from the
//! committed artifact (ABI and bytecode) that `contracts/tools/build.mjs`
//! produces with solc-js.

alloy::sol!(
    #[allow(missing_docs, clippy::too_many_arguments)]
    #[sol(rpc)]
    #[derive(Debug, PartialEq, Eq)]
    CareLedgerAccess,
    "../contracts/artifacts/CareLedgerAccess.json"
);
