//! Query limits that async-graphql does not ship, checked on the parsed document before
//! async-graphql looks at it:
//! - the size of every operation and fragment with its fragments expanded, computed once per
//!   definition (memoised), so a "fragment bomb" (`...F1 ...F1` on each level, 2^n selections
//!   in a few hundred bytes) is refused in time proportional to its text; async-graphql's own
//!   checks expand fragments one spread at a time and would take minutes;
//! - at most [`MAX_ALIASES`] aliases, so one request cannot ask a costly field hundreds of
//!   times under different names (alias overloading);
//! - the operations that guess secrets ([`GUESSING_FIELDS`]) at most once per request and
//!   never in a batch, so throttling counts every guess;
//! - a batch shares one [`BatchBudget`]: its operations together get the selections, aliases
//!   and complexity of one request, so a batch of ten cannot cost ten times the limits.
//!
//! - at most [`MAX_DEPTH`] levels of fields, counted so that the standard introspection query
//!   passes ([`deepens`]).
//!
//! Complexity, recursion and directives per operation are limited by async-graphql (see
//! `graphql/mod.rs`); the batch size and body size by the HTTP handler; subscriptions per socket by
//! [`SubscriptionSlots`].

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
};

use async_graphql::{
    Pos, Request, ServerError, ServerResult, ValidationResult,
    extensions::{
        Extension, ExtensionContext, ExtensionFactory, NextPrepareRequest, NextValidation,
    },
    parser::types::{DocumentOperations, ExecutableDocument, Selection, SelectionSet},
};

use crate::{
    error::{ApiError, ApiResult},
    graphql::inputs,
};

pub const MAX_ALIASES: usize = 15;
/// Deepest selection accepted ([`deepens`] says which fields count); the frontend's deepest
/// document needs 6, the standard introspection query 6.
pub const MAX_DEPTH: usize = 12;
/// The cost of a request: each field counts 1 and a page multiplies its nodes' cost by the
/// page size asked for (`page_cost`), so nested pages are priced as the database would pay.
/// async-graphql prices the whole document, and the frontend sends whole contract files (the
/// largest, `activities.graphql`, costs about 2,300); a page of pages of 100 costs 30,000+.
pub const MAX_COMPLEXITY: usize = 5_000;
/// Selections of one request with its fragments expanded; more is refused outright.
pub const MAX_SELECTIONS: usize = 5_000;
/// Subscriptions open at once on one WebSocket.
pub const MAX_SUBSCRIPTIONS_PER_SOCKET: usize = 10;
/// Fields that check a secret: one guess per request.
pub const GUESSING_FIELDS: [&str; 7] = [
    "signAttendance",
    "verifyCertificate",
    "logIn",
    "requestPasswordReset",
    "resetPassword",
    "acceptInvitation",
    "verifyEmail",
];

/// What a selection set costs once its fragments are expanded. Saturating: a bomb's true
/// size does not fit in a machine word.
#[derive(Clone, Copy, Default)]
struct Cost {
    selections: usize,
    aliases: usize,
    guesses: usize,
    /// The deepest chain of fields below, counted as [`deepens`] says.
    depth: usize,
}

impl Cost {
    /// The cost of selections side by side: sizes add up, the depth is the deepest's.
    fn add(self, other: Cost) -> Cost {
        Cost {
            selections: self.selections.saturating_add(other.selections),
            aliases: self.aliases.saturating_add(other.aliases),
            guesses: self.guesses.saturating_add(other.guesses),
            depth: self.depth.max(other.depth),
        }
    }
}

/// Whether a field adds a level to the depth. Every field does but `__Type.ofType`: a chain of
/// `ofType` answers one type per level (a list of non-null `[T!]!` is three), so it cannot fan
/// out however deep it is written, and graphql-js's standard introspection query, which every
/// GraphQL tool sends first, writes it nine levels deep. Klub's own schema has no field of
/// that name (checked by a test), so the exception cannot open a path through Klub's data.
fn deepens(field: &str) -> bool {
    field != "ofType"
}

/// The limits of one batch, shared by its operations.
#[derive(Clone)]
pub struct BatchBudget(Arc<Mutex<Remaining>>);

struct Remaining {
    selections: usize,
    aliases: usize,
    complexity: usize,
}

impl Default for BatchBudget {
    fn default() -> Self {
        Self(Arc::new(Mutex::new(Remaining {
            selections: MAX_SELECTIONS,
            aliases: MAX_ALIASES,
            complexity: MAX_COMPLEXITY,
        })))
    }
}

impl BatchBudget {
    /// Takes `amount` of what `pick` selects, or refuses when the batch has spent it.
    fn spend(
        &self,
        amount: usize,
        what: &str,
        pick: fn(&mut Remaining) -> &mut usize,
    ) -> ServerResult<()> {
        let mut remaining = self
            .0
            .lock()
            .map_err(|_| refuse("the batch's limits are unavailable".into()))?;
        let left = pick(&mut remaining);
        match left.checked_sub(amount) {
            Some(rest) => {
                *left = rest;
                Ok(())
            }
            None => Err(refuse(format!(
                "the operations of this batch together exceed the {what} of one request"
            ))),
        }
    }
}

/// The subscriptions of one socket.
#[derive(Clone, Default)]
pub struct SubscriptionSlots(Arc<AtomicUsize>);

/// One open subscription; its slot frees when the subscription's stream is dropped.
pub struct SubscriptionSlot(Arc<AtomicUsize>);

impl SubscriptionSlots {
    pub fn take(&self) -> ApiResult<SubscriptionSlot> {
        self.0
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |open| {
                (open < MAX_SUBSCRIPTIONS_PER_SOCKET).then_some(open + 1)
            })
            .map_err(|_| ApiError::TooManyRequests)?;
        Ok(SubscriptionSlot(self.0.clone()))
    }
}

impl Drop for SubscriptionSlot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Checks each request's document against the limits, parsing it once, or not at all when the
/// same text was parsed before. An extension of the schema, also called directly by the HTTP
/// endpoint for single operations ([`QueryLimits::prepare`]).
#[derive(Clone, Default)]
pub struct QueryLimits {
    documents: ParsedDocuments,
}

impl QueryLimits {
    /// Keeps the parsed document of a request that passed validation, for the next request
    /// with the same text (see [`ParsedDocuments`]).
    pub fn remember(&self, text: &str, document: &ExecutableDocument) {
        self.documents.remember(text, document);
    }

    /// Parses `request` (async-graphql then uses this document instead of parsing again) and
    /// checks it; in a batch, charges its cost to the batch's budget. True when the document
    /// was parsed anew (not known yet: see [`QueryLimits::remember`]).
    pub fn prepare(
        &self,
        request: &mut Request,
        budget: Option<&BatchBudget>,
    ) -> ServerResult<bool> {
        let fresh = self.documents.parse(request)?;
        for (name, value) in request.variables.iter() {
            inputs::no_nul_in(name, value).map_err(bad_input)?;
        }
        let operation_name = request.operation_name.clone();
        let document = request.parsed_query()?;
        no_nul_in_arguments(document).map_err(bad_input)?;
        let cost = check(document, operation_name.as_deref(), budget.is_some())?;
        if let Some(budget) = budget {
            budget.spend(cost.selections, "selections", |r| &mut r.selections)?;
            budget.spend(cost.aliases, "aliases", |r| &mut r.aliases)?;
        }
        Ok(fresh)
    }
}

impl ExtensionFactory for QueryLimits {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(self.clone())
    }
}

/// Parsed documents by their text: the frontend sends the same few documents over and over, and
/// parsing is a good part of a small query's cost. Validation still runs on every request.
/// Only documents that passed validation are kept ([`QueryLimits::remember`]): anyone can send
/// invalid ones, and a parsed document costs about a hundred times its text. The cache is
/// bounded by the documents' size in memory ([`size_in_memory`]), and a full cache starts again
/// empty, so a stream of unique documents cannot grow it.
#[derive(Clone, Default)]
struct ParsedDocuments(Arc<Mutex<Documents>>);

#[derive(Default)]
struct Documents {
    by_text: HashMap<String, ExecutableDocument>,
    bytes: usize,
}

/// What the kept documents may take in memory, and the longest text kept.
const MAX_DOCUMENTS_BYTES: usize = 16 * 1024 * 1024;
const MAX_DOCUMENT_BYTES: usize = 16 * 1024;

impl ParsedDocuments {
    /// Gives `request` its parsed document; true when it was parsed anew.
    fn parse(&self, request: &mut Request) -> ServerResult<bool> {
        let known = self.documents().by_text.get(&request.query).cloned();
        match known {
            Some(document) => {
                request.set_parsed_query(document);
                Ok(false)
            }
            None => request.parsed_query().map(|_| true),
        }
    }

    fn remember(&self, text: &str, document: &ExecutableDocument) {
        if text.len() > MAX_DOCUMENT_BYTES {
            return;
        }
        let size = text.len() + size_in_memory(document);
        let mut documents = self.documents();
        if documents.by_text.contains_key(text) {
            return;
        }
        if documents.bytes + size > MAX_DOCUMENTS_BYTES {
            documents.by_text.clear();
            documents.bytes = 0;
        }
        documents.bytes += size;
        documents.by_text.insert(text.to_owned(), document.clone());
    }

    fn documents(&self) -> std::sync::MutexGuard<'_, Documents> {
        // A map of immutable documents is consistent whatever panicked while holding it.
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A parsed document's size in memory, measured as the length of its `Debug` rendering (counted,
/// not written): every node's position, name and value appears there once, about as many bytes
/// as the node takes on the heap.
fn size_in_memory(document: &ExecutableDocument) -> usize {
    struct Counter(usize);
    impl std::fmt::Write for Counter {
        fn write_str(&mut self, text: &str) -> std::fmt::Result {
            self.0 += text.len();
            Ok(())
        }
    }
    let mut counter = Counter(0);
    let _ = std::fmt::write(&mut counter, format_args!("{document:?}"));
    counter.0
}

#[async_trait::async_trait]
impl Extension for QueryLimits {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        mut request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        let budget = request
            .data
            .get(&std::any::TypeId::of::<BatchBudget>())
            .and_then(|data| (**data).downcast_ref::<BatchBudget>())
            .cloned();
        self.prepare(&mut request, budget.as_ref())?;
        next.run(ctx, request).await
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let result = next.run(ctx).await?;
        if let Some(budget) = ctx.data_opt::<BatchBudget>() {
            budget
                .spend(result.complexity, "complexity", |r| &mut r.complexity)
                .map_err(|error| vec![error])?;
        }
        Ok(result)
    }
}

/// Every argument written in the document, NUL-free ([`inputs::no_nul_in`]).
fn no_nul_in_arguments(document: &ExecutableDocument) -> ApiResult<()> {
    fn in_set(set: &SelectionSet) -> ApiResult<()> {
        set.items
            .iter()
            .try_for_each(|selection| match &selection.node {
                Selection::Field(field) => {
                    let arguments = field.node.arguments.iter().chain(
                        field
                            .node
                            .directives
                            .iter()
                            .flat_map(|directive| directive.node.arguments.iter()),
                    );
                    for (name, value) in arguments {
                        let value = value
                            .node
                            .clone()
                            .into_const_with(|_| {
                                Ok::<_, std::convert::Infallible>(async_graphql::Value::Null)
                            })
                            .unwrap_or_default();
                        inputs::no_nul_in(name.node.as_str(), &value)?;
                    }
                    in_set(&field.node.selection_set.node)
                }
                Selection::FragmentSpread(_) => Ok(()),
                Selection::InlineFragment(fragment) => in_set(&fragment.node.selection_set.node),
            })
    }
    document
        .operations
        .iter()
        .try_for_each(|(_, operation)| in_set(&operation.node.selection_set.node))?;
    document
        .fragments
        .values()
        .try_for_each(|fragment| in_set(&fragment.node.selection_set.node))
}

/// An input error found before execution, with its code and field like a resolver's.
fn bad_input(error: ApiError) -> ServerError {
    let mut refused = ServerError::new(error.to_string(), Some(Pos::default()));
    refused.source = Some(Arc::new(error));
    refused
}

fn refuse(message: String) -> ServerError {
    ServerError::new(message, Some(Pos::default()))
}

/// Checks every definition's expanded size, then the limits of the operation that will run
/// (the named one, the only one, or all of them when the request is ambiguous and will be
/// refused anyway). Returns that operation's cost.
fn check(
    document: &ExecutableDocument,
    operation_name: Option<&str>,
    in_batch: bool,
) -> ServerResult<Cost> {
    let mut costs = FragmentCosts::new(document);
    for name in document.fragments.keys() {
        costs.of_fragment(name.as_str())?;
    }
    let mut running = Cost::default();
    for (name, operation) in document.operations.iter() {
        let cost = costs.of(&operation.node.selection_set.node)?;
        let runs = match (&document.operations, operation_name, name) {
            (DocumentOperations::Single(_), _, _) | (_, None, _) => true,
            (_, Some(wanted), Some(name)) => name.as_str() == wanted,
            (_, Some(_), None) => false,
        };
        if runs {
            running = running.add(cost);
        }
    }
    if running.depth > MAX_DEPTH {
        return Err(refuse(format!(
            "Query is nested too deep: at most {MAX_DEPTH} levels of fields"
        )));
    }
    if running.aliases > MAX_ALIASES {
        return Err(refuse(format!("at most {MAX_ALIASES} aliases per request")));
    }
    if running.guesses > 1 {
        return Err(refuse(format!(
            "{} may appear only once per request",
            GUESSING_FIELDS.join(", ")
        )));
    }
    if running.guesses > 0 && in_batch {
        return Err(refuse(format!(
            "{} cannot be sent in a batch",
            GUESSING_FIELDS.join(", ")
        )));
    }
    Ok(running)
}

/// Expanded costs of fragments, each computed once.
struct FragmentCosts<'d> {
    document: &'d ExecutableDocument,
    done: HashMap<&'d str, Cost>,
    /// Fragments being expanded right now: meeting one again is a cycle.
    open: Vec<&'d str>,
}

impl<'d> FragmentCosts<'d> {
    fn new(document: &'d ExecutableDocument) -> Self {
        Self {
            document,
            done: HashMap::new(),
            open: Vec::new(),
        }
    }

    fn of_fragment(&mut self, name: &str) -> ServerResult<Cost> {
        let Some((name, fragment)) = self.document.fragments.get_key_value(name) else {
            // An unknown fragment is reported by validation.
            return Ok(Cost::default());
        };
        let name = name.as_str();
        if let Some(cost) = self.done.get(name) {
            return Ok(*cost);
        }
        // async-graphql reports cycles too, but only after a depth check that would expand
        // them exponentially.
        if self.open.contains(&name) {
            return Err(refuse(format!("fragment {name} spreads itself")));
        }
        self.open.push(name);
        let cost = self.of(&fragment.node.selection_set.node)?;
        self.open.pop();
        self.done.insert(name, cost);
        Ok(cost)
    }

    fn of(&mut self, selections: &'d SelectionSet) -> ServerResult<Cost> {
        let mut total = Cost::default();
        for selection in &selections.items {
            let cost = match &selection.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    let name = field.name.node.as_str();
                    let below = self.of(&field.selection_set.node)?;
                    Cost {
                        selections: 1,
                        aliases: usize::from(field.alias.is_some()),
                        guesses: usize::from(GUESSING_FIELDS.contains(&name)),
                        depth: 0,
                    }
                    .add(Cost {
                        depth: below.depth + usize::from(deepens(name)),
                        ..below
                    })
                }
                Selection::InlineFragment(inline) => self.of(&inline.node.selection_set.node)?,
                Selection::FragmentSpread(spread) => {
                    self.of_fragment(spread.node.fragment_name.node.as_str())?
                }
            };
            total = total.add(cost);
            if total.selections > MAX_SELECTIONS {
                return Err(ServerError::new(
                    format!(
                        "the query selects more than {MAX_SELECTIONS} fields once its fragments are expanded"
                    ),
                    Some(selection.pos),
                ));
            }
        }
        Ok(total)
    }
}
