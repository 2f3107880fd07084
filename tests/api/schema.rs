//! The committed SDL and the frontend contract stay in step with the code.

use std::path::PathBuf;

use apollo_compiler::{ExecutableDocument, Schema};

use crate::helpers::{contract_dir, operation_documents};

fn schema_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../schema.graphql")
}

#[test]
fn schema_graphql_matches_the_code() {
    let committed = std::fs::read_to_string(schema_path()).expect("schema.graphql exists");
    assert!(
        committed == api::graphql::sdl(),
        "schema.graphql is out of date: run `cargo run -q -- schema > schema.graphql`"
    );
}

#[test]
fn every_operation_document_validates_against_the_schema() {
    let schema = Schema::parse_and_validate(api::graphql::sdl(), "schema.graphql")
        .expect("the served schema is valid SDL");
    let mut checked = 0;
    for path in operation_documents() {
        let source = std::fs::read_to_string(&path).unwrap();
        if let Err(errors) = ExecutableDocument::parse_and_validate(&schema, source, &path) {
            panic!("{} does not validate:\n{errors}", path.display());
        }
        checked += 1;
    }
    assert!(checked >= 1, "no contract document found");
}

/// The shared contract is the source; the project's copy must not drift from it.
#[test]
fn contract_copies_match_the_shared_contract() {
    let shared = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/contract");
    if !shared.is_dir() {
        return; // a clone without the shared folder beside it: nothing to compare with
    }
    for entry in std::fs::read_dir(contract_dir()).unwrap() {
        let path = entry.unwrap().path();
        let Some(name) = path.file_name() else {
            continue;
        };
        let source = shared.join(name);
        if source.is_file() {
            assert_eq!(
                std::fs::read_to_string(&path).unwrap(),
                std::fs::read_to_string(&source).unwrap(),
                "tests/contract/{} differs from the shared contract",
                name.to_string_lossy()
            );
        }
    }
}
