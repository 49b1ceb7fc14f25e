//! `schema.graphql` is generated from the code and must match it.

#[test]
fn the_committed_schema_matches_the_code() {
    let committed = include_str!("../../../../schema.graphql");
    assert!(
        committed == careledger::graphql::sdl(),
        "schema.graphql is out of date: run `cargo run -p careledger -- export-schema > schema.graphql`"
    );
}
