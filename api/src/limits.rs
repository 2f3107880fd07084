//! Query limits that async-graphql does not ship, checked as soon as a query is parsed:
//! - at most [`MAX_ALIASES`] aliases per request, so one request cannot ask the same costly
//!   field hundreds of times under different names (alias overloading);
//! - the operations that guess secrets (`logIn`, `requestPasswordReset`, `resetPassword`,
//!   `acceptInvitation`) at most once per request and never inside a batch, so throttling
//!   counts every guess.
//!
//! Depth, complexity, recursion and directives are limited by async-graphql itself (see
//! `schema.rs`); the batch size and body size by the HTTP handler.

use std::sync::{Arc, Mutex};

use async_graphql::{
    Pos, Request, ServerError, ServerResult, Variables,
    extensions::{
        Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextPrepareRequest,
    },
    parser::types::{DocumentOperations, ExecutableDocument, Selection, SelectionSet},
};

pub const MAX_ALIASES: usize = 15;
/// Selections visited while checking, fragments expanded; more is refused outright (a
/// fragment bomb), long before execution would get there.
const MAX_SELECTIONS: usize = 5_000;
/// Fields that check a secret: one guess per request.
pub const GUESSING_FIELDS: [&str; 4] = [
    "logIn",
    "requestPasswordReset",
    "resetPassword",
    "acceptInvitation",
];

/// Marks a request that arrived in a batch of several operations.
pub struct InBatch;

pub struct QueryLimits;

impl ExtensionFactory for QueryLimits {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(QueryLimitsExtension::default())
    }
}

/// Created for each request: it remembers which operation of the document will run, since
/// clients send whole documents of which only the named operation executes.
#[derive(Default)]
struct QueryLimitsExtension {
    operation_name: Mutex<Option<String>>,
}

#[async_trait::async_trait]
impl Extension for QueryLimitsExtension {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        if let Ok(mut name) = self.operation_name.lock() {
            name.clone_from(&request.operation_name);
        }
        next.run(ctx, request).await
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        let name = self
            .operation_name
            .lock()
            .ok()
            .and_then(|name| name.clone());
        check(
            &document,
            name.as_deref(),
            ctx.data_opt::<InBatch>().is_some(),
        )?;
        Ok(document)
    }
}

#[derive(Default)]
struct Tally {
    aliases: usize,
    selections: usize,
    guesses: usize,
}

/// Checks the operation that will run: the named one, the only one, or (when the request is
/// ambiguous and will be refused anyway) all of them together.
fn check(
    document: &ExecutableDocument,
    operation_name: Option<&str>,
    in_batch: bool,
) -> ServerResult<()> {
    let mut tally = Tally::default();
    let operations: Vec<_> = match (&document.operations, operation_name) {
        (DocumentOperations::Single(operation), _) => vec![operation],
        (DocumentOperations::Multiple(operations), Some(name)) => operations
            .iter()
            .filter(|(candidate, _)| candidate.as_str() == name)
            .map(|(_, operation)| operation)
            .collect(),
        (DocumentOperations::Multiple(operations), None) => operations.values().collect(),
    };
    for operation in operations {
        walk(
            document,
            &operation.node.selection_set.node,
            &mut Vec::new(),
            &mut tally,
        )?;
    }
    let refuse = |message: String| Err(ServerError::new(message, Some(Pos::default())));
    if tally.aliases > MAX_ALIASES {
        return refuse(format!("at most {MAX_ALIASES} aliases per request"));
    }
    if tally.guesses > 1 {
        return refuse(format!(
            "{} may appear only once per request",
            GUESSING_FIELDS.join(", ")
        ));
    }
    if tally.guesses > 0 && in_batch {
        return refuse(format!(
            "{} cannot be sent in a batch",
            GUESSING_FIELDS.join(", ")
        ));
    }
    Ok(())
}

fn walk<'d>(
    document: &'d ExecutableDocument,
    selections: &'d SelectionSet,
    fragments: &mut Vec<&'d str>,
    tally: &mut Tally,
) -> ServerResult<()> {
    for selection in &selections.items {
        tally.selections += 1;
        if tally.selections > MAX_SELECTIONS {
            return Err(ServerError::new(
                format!("the query selects more than {MAX_SELECTIONS} fields"),
                Some(selection.pos),
            ));
        }
        match &selection.node {
            Selection::Field(field) => {
                let field = &field.node;
                tally.aliases += usize::from(field.alias.is_some());
                tally.guesses += usize::from(GUESSING_FIELDS.contains(&field.name.node.as_str()));
                walk(document, &field.selection_set.node, fragments, tally)?;
            }
            Selection::InlineFragment(inline) => {
                walk(document, &inline.node.selection_set.node, fragments, tally)?;
            }
            Selection::FragmentSpread(spread) => {
                let name = spread.node.fragment_name.node.as_str();
                // A cycle is reported by validation later; here it just stops the walk.
                if fragments.contains(&name) {
                    continue;
                }
                if let Some((name, fragment)) = document.fragments.get_key_value(name) {
                    fragments.push(name.as_str());
                    walk(
                        document,
                        &fragment.node.selection_set.node,
                        fragments,
                        tally,
                    )?;
                    fragments.pop();
                }
            }
        }
    }
    Ok(())
}
