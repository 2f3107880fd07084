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

/// The depth limit lets `ofType` chains through because only introspection's `__Type` has such
/// a field (see `graphql/limits.rs`); a field of Klub's named so would escape the limit.
#[test]
fn no_field_of_klub_is_named_of_type() {
    assert!(!api::graphql::sdl().contains("ofType"));
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

/// The frontend team reads the schema's descriptions, not the README: every type, field,
/// argument, input field and enum value of the served schema says what it is.
#[test]
fn every_schema_element_is_described() {
    use apollo_compiler::schema::ExtendedType;
    let schema = Schema::parse_and_validate(api::graphql::sdl(), "schema.graphql")
        .expect("the served schema is valid SDL");
    let mut missing = Vec::new();
    let mut described = 0;
    let mut check = |path: String, description: Option<&apollo_compiler::Node<str>>| {
        if description.is_some_and(|text| !text.trim().is_empty()) {
            described += 1;
        } else {
            missing.push(path);
        }
    };
    for (name, ty) in &schema.types {
        if ty.is_built_in() {
            continue;
        }
        // A connection is async-graphql's `Connection`, which carries no description of its
        // own; its fields (edges, nodes, pageInfo, totalCount) are described and checked.
        if !name.ends_with("Connection") {
            check(name.to_string(), ty.description());
        }
        match ty {
            ExtendedType::Object(object) => {
                for (field_name, field) in &object.fields {
                    check(format!("{name}.{field_name}"), field.description.as_ref());
                    for argument in &field.arguments {
                        check(
                            format!("{name}.{field_name}({})", argument.name),
                            argument.description.as_ref(),
                        );
                    }
                }
            }
            ExtendedType::Interface(interface) => {
                for (field_name, field) in &interface.fields {
                    check(format!("{name}.{field_name}"), field.description.as_ref());
                }
            }
            ExtendedType::InputObject(input) => {
                for (field_name, field) in &input.fields {
                    check(format!("{name}.{field_name}"), field.description.as_ref());
                }
            }
            ExtendedType::Enum(enumeration) => {
                for (value_name, value) in &enumeration.values {
                    check(format!("{name}.{value_name}"), value.description.as_ref());
                }
            }
            ExtendedType::Scalar(_) | ExtendedType::Union(_) => {}
        }
    }
    assert!(
        missing.is_empty(),
        "{} of {} schema elements have no description:\n{}",
        missing.len(),
        missing.len() + described,
        missing.join("\n")
    );
}
