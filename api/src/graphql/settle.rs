//! Each mutation's answer waits until every instance has heard its change (`changes.rs`).

use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};

use async_graphql::{
    Request, Response, ServerResult,
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextExecute, NextPrepareRequest},
    parser::types::{ExecutableDocument, OperationType},
};

use crate::state::AppState;

/// Whether the operation `name` (or the only one) of `document` is a mutation.
pub fn runs_mutation(document: &ExecutableDocument, name: Option<&str>) -> bool {
    document
        .operations
        .iter()
        .any(|(operation_name, operation)| {
            operation.node.ty == OperationType::Mutation
                && (name.is_none() || operation_name.map(async_graphql::Name::as_str) == name)
        })
}

/// Holds each mutation's answer until this instance has heard the changes committed before it
/// ([`Memory::settle`]).
pub struct SettleMutations;

impl ExtensionFactory for SettleMutations {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(Settle::default())
    }
}

#[derive(Default)]
struct Settle {
    mutation: AtomicBool,
}

#[async_trait::async_trait]
impl Extension for Settle {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        mut request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        let operation_name = request.operation_name.clone();
        let mutation = runs_mutation(request.parsed_query()?, operation_name.as_deref());
        self.mutation.store(mutation, Ordering::Relaxed);
        next.run(ctx, request).await
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let response = next.run(ctx, operation_name).await;
        if self.mutation.load(Ordering::Relaxed)
            && let Ok(state) = ctx.data::<AppState>()
        {
            state.memory.settle(&state.db).await;
        }
        response
    }
}
